"""Factories of the kernel's own model (the job runner's records)."""

import factory
from django.utils import timezone

from nodebyte_platform.models import ApiIdempotencyRecord, JobRun, JobRunStatus, Reaction


class JobRunFactory(factory.django.DjangoModelFactory):
    """A finished run; the job runner writes the real ones (nodebyte_platform.jobs.run_job)."""

    class Meta:
        model = JobRun

    job = "ledger.reconcile_ledger"
    status = JobRunStatus.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at)
    duration_ms = 12
    items_processed = 3
    summary = factory.LazyFunction(lambda: {"status": "clean"})


class ReactionFactory(factory.django.DjangoModelFactory):
    """A pending reaction (emitting a DomainEvent writes the real ones)."""

    class Meta:
        model = Reaction

    reaction = "loyalty.count_wagering"
    event = "games.bet_settled"
    event_key = factory.Sequence(lambda n: f"bet:test-{n}")
    payload = factory.LazyFunction(lambda: {"bet_id": 0})
    next_attempt_at = factory.LazyFunction(timezone.now)


class ApiIdempotencyRecordFactory(factory.django.DjangoModelFactory):
    """A stored first response of a money-moving API call."""

    class Meta:
        model = ApiIdempotencyRecord

    application = factory.SubFactory("tests.factories.accounts.PartnerApplicationFactory")
    key = factory.Sequence(lambda n: f"key-{n}")
    fingerprint = "0" * 64
    method = "POST"
    path = "/api/v1/games/00000000-0000-0000-0000-000000000000/purchases/"
    status_code = 201
    response_body = factory.LazyFunction(lambda: {"transaction_id": "00000000-0000-0000-0000-000000000000"})
