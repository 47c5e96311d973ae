"""Helper for constraint tests: make a valid row, then force a bad value past every form and
service with a queryset update (or a second insert), and expect the database to refuse it."""

import pytest
from django.db import IntegrityError, transaction


def assert_update_refused(obj, **bad_values) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        type(obj)._default_manager.filter(pk=obj.pk).update(**bad_values)


def assert_duplicate_refused(make_second) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_second()
