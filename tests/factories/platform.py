"""Factories of the kernel's own model (the job runner's records)."""

import factory
from django.utils import timezone

from nodebyte_platform.models import JobRun, JobRunStatus


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
