"""The partner API's idempotency records: the first answer to a key is the answer to every replay."""

from collections.abc import Callable

from django.db import IntegrityError, transaction

from games.models import ApiIdempotencyRecord


def recorded_response(*, application, key: str) -> ApiIdempotencyRecord | None:
    return ApiIdempotencyRecord.objects.filter(application=application, key=key).first()


def run_once(
    *,
    application,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    handler: Callable[[str], tuple[int, dict]],
) -> tuple[ApiIdempotencyRecord | None, int, dict]:
    """Run `handler(key) -> (status, body)` once per (application, key) and store its answer.

    Returns `(None, status, body)` when the handler ran, or `(record, 0, {})` when a record for
    the key exists (an earlier or concurrent twin): the caller replays it or refuses a different
    request. The record is inserted before the work and in the same transaction, so a concurrent
    twin waits on the unique index and then finds it; an error rolls both back, so a failed
    request may be retried with its key.
    """
    existing = recorded_response(application=application, key=key)
    if existing is not None:
        return existing, 0, {}
    try:
        with transaction.atomic():
            record = ApiIdempotencyRecord.objects.create(
                application=application,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path[:255],
                status_code=0,
            )
            status_code, body = handler(key)
            ApiIdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, response_body=body)
    except IntegrityError:
        existing = recorded_response(application=application, key=key)
        if existing is None:
            raise
        return existing, 0, {}
    return None, status_code, body
