"""Every concrete model of the six project apps has a factory, and what the factory builds
survives a save and a read back unchanged (PostgreSQL in CI; SQLite for the demo)."""

import pytest
from django.db import models

from tests.model_registry import factories_by_model, label, project_models

MODELS = project_models()


def test_every_model_has_a_factory():
    factories = factories_by_model()
    missing = sorted(label(model) for model in MODELS if model not in factories)
    assert not missing, f"models without a factory in tests/factories/: {missing}"


def _comparable(field, value):
    if isinstance(field, models.FileField):
        return value.name if value else ""
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return value
    return field.to_python(value) if value is not None else None


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=label)
def test_factory_row_reads_back_unchanged(model):
    factory_class = factories_by_model().get(model)
    if factory_class is None:
        pytest.fail(f"{label(model)} has no factory (see test_every_model_has_a_factory)")
    built = factory_class()
    assert built.pk is not None, f"{factory_class.__name__} did not save its {label(model)}"
    read = model._default_manager.get(pk=built.pk)
    for field in model._meta.concrete_fields:
        expected = _comparable(field, field.value_from_object(built))
        actual = _comparable(field, field.value_from_object(read))
        assert actual == expected, f"{label(model)}.{field.name}: saved {expected!r}, read back {actual!r}"


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=label)
def test_declared_constraints_and_indexes_exist_in_database(model):
    """Each named constraint and index of Meta is really in the database (migrations applied them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, model._meta.db_table)
    declared = [c.name for c in model._meta.constraints] + [i.name for i in model._meta.indexes]
    missing = [name for name in declared if name not in present]
    assert not missing, f"{label(model)}: declared but not in the database: {missing}"
