"""Moving a django-fsm record through a transition, with a refusal every door can show."""

from django_fsm import TransitionNotAllowed

from nodebyte_platform.errors import DomainError, InvalidState


def transition(record, name: str, *, error: type[DomainError] = InvalidState, **kwargs) -> None:
    """Call the transition method `name` of `record`; a transition its state does not allow raises
    `error` (the app's InvalidState: code `invalid_state`), saying what was asked of what.

    The caller saves the record: a transition only changes it in memory.
    """
    method = getattr(record, name)
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        field = method._django_fsm.field
        field_name = field if isinstance(field, str) else field.name
        state = getattr(record, f"get_{field_name}_display")().lower()
        raise error(
            f"Cannot {name.replace('_', ' ')} this {record._meta.verbose_name}: it is {state}.",
            details={field_name: getattr(record, field_name)},
        )
