"""The base views of the partner API: reads, and writes that happen once per Idempotency-Key.

An endpoint that writes subclasses `IdempotentWriteView`, names its request serializer, finds
the object its URL names in `get_target` (404 before the body is even read) and implements
`write(data, target) -> body`, which calls one service. `post` reads top to bottom: find the
target, claim the key, validate, write, store the answer, the last four in ONE transaction. That transaction
is the outermost one, so a deadlock or serialization failure anywhere inside (the ledger's
locks included) is retried here, whole, a few times; a twin request holding the same key waits
on the record's unique index and then answers the stored response.
"""

import hashlib
import json
import time

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from nodebyte_platform.api.auth import ScopedToken, player_of
from nodebyte_platform.api.errors import IdempotencyConflict, IdempotencyKeyRequired, error_body
from nodebyte_platform.errors import DomainError
from nodebyte_platform.models import ApiIdempotencyRecord

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per request (a UUID), 1 to 255 characters. A replay returns the first response; "
    "the same key with a different request answers 409 idempotency_conflict.",
)
_RECORDS = ApiIdempotencyRecord._meta.db_table
CLAIM_SQL = (
    f"INSERT INTO {_RECORDS} (application_id, key, fingerprint, method, path, status_code, response_body, created_at)"
    " VALUES (%s, %s, %s, %s, %s, 0, '{}', %s) RETURNING id"
)
ANSWER_SQL = f"UPDATE {_RECORDS} SET status_code = %s, response_body = %s WHERE id = %s"
# PostgreSQL deadlock_detected / serialization_failure: the whole transaction may run again.
RETRYABLE_PGCODES = {"40P01", "40001"}
MAX_ATTEMPTS = 5


class PartnerView(GenericAPIView):
    """A partner API endpoint: a valid token with the view's `required_scopes`, no pagination unless set."""

    permission_classes = [ScopedToken]
    pagination_class = None


def idempotency_key_of(request) -> str:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise IdempotencyKeyRequired()
    return key


def request_fingerprint(request) -> str:
    """What makes two requests the same request: method, path, the player, the body."""
    body = {
        "method": request.method,
        "path": request.path,
        "user": getattr(request.auth, "user_id", None),
        "body": request.data,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _is_retryable(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "pgcode", None) in RETRYABLE_PGCODES


class IdempotentWriteView(PartnerView):
    """POST once per (application, Idempotency-Key): a replay answers the first response; the same
    key with another request answers 409. A failed request (any refusal not `recorded`) stores
    nothing, so it may be retried with its key."""

    write_status = 201

    def get_target(self, **url_kwargs):
        """The object the URL names, looked up (404 if it is not the caller's) before the body is read."""
        return None

    def write(self, data: dict, target) -> dict:
        """Call the endpoint's service with the validated request; return the response body."""
        raise NotImplementedError

    def post(self, request, **url_kwargs):
        target = self.get_target(**url_kwargs)
        key = idempotency_key_of(request)
        fingerprint = request_fingerprint(request)
        application = request.auth.application
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Plain SQL: the record is written twice on every partner write, and the ORM's
                    # model and signal machinery cost more than the statements themselves.
                    cursor.execute(
                        CLAIM_SQL,
                        [application.pk, key, fingerprint, request.method, request.path[:255], timezone.now()],
                    )
                    record_id = cursor.fetchone()[0]
                    status_code, body = self._answer(request, target)
                    cursor.execute(ANSWER_SQL, [status_code, json.dumps(body, cls=DjangoJSONEncoder), record_id])
                return Response(body, status=status_code)
            except IntegrityError:
                # The key is taken: an earlier request, or a twin that committed while we waited.
                existing = ApiIdempotencyRecord.objects.filter(application=application, key=key).first()
                if existing is None:
                    raise
                return self._replay(existing, fingerprint)
            except OperationalError as exc:
                if not (_is_retryable(exc) and attempt < MAX_ATTEMPTS):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, request, target) -> tuple[int, dict]:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            return self.write_status, self.write(serializer.validated_data, target)
        except DomainError as exc:
            if not exc.recorded:
                raise  # rolls the record back with everything else
            # The refusal left a record (a finding) that must stand: keep it, and the refusal as the answer.
            return exc.http_status, error_body(exc.code, exc.message, exc.details)

    @staticmethod
    def _replay(record, fingerprint: str) -> Response:
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict(detail=IdempotencyConflict.default_detail)
        return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})

    @property
    def player(self):
        """The player the token acts for (None for client credentials)."""
        return player_of(self.request)
