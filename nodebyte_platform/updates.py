"""Writing only what changed: the update services of every app build on it."""

from django.db.models import Model


def save_changes(instance: Model, **values) -> list[str]:
    """Give each named field of `instance` its value and save only the fields that changed (with the
    model's auto_now timestamps). Nothing changed, nothing is written. Returns the changed names.

    The caller has validated the values and locked the row; a model with django-simple-history
    gets one version per call that changed something.
    """
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, values[name])
    stamps = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    instance.save(update_fields=[*changed, *stamps])
    return changed
