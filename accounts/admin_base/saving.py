"""Admin saves go through services; the admin shows a service's refusal on the form.

- A ModelAdmin whose model has a rule behind it overrides `save_model` with its service call,
  built from `form.cleaned_data`, and then `show_saved(obj, saved)`. The base writes a row by
  hand only for an admin that declares `plain_save`, the reason its model needs no service
  (reference data with no rule behind it); for any other admin it refuses. A change form
  submitted with nothing changed writes nothing.
- Inline rows likewise: the parent admin overrides `save_formset`, or the inline declares
  `plain_save`. Many-to-many fields are saved by hand only under `plain_save`.
- A DomainError raised while saving rolls the whole submission back (the admin saves in one
  transaction) and the page comes back with what was typed and the refusal on the form: on the
  field its `details["field"]` names, else at the top. Never a 500.
- Reverting to an older version (django-simple-history) is a change like any other: only for
  those who may change the object, in one transaction, through the admin's `save_model`.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import router, transaction
from django.http import Http404

from accounts.audit import raw_state
from nodebyte_platform.errors import DomainError

# The refusal of a first attempt at saving, kept on the request for the second, rendering pass.
_REFUSAL_ATTR = "_admin_save_refusal"


def show_saved(obj, saved) -> None:
    """Make the admin's object the row its service saved (or created).

    The admin logs, audits, messages and redirects with the object its form built; once a
    service has written the row, that object takes the saved row's id and values, so the audit
    trail records what the service wrote.
    """
    # Straight into __dict__: protected django-fsm fields refuse assignment (and refresh_from_db).
    for field in saved._meta.concrete_fields:
        if field.attname in saved.__dict__:
            obj.__dict__[field.attname] = saved.__dict__[field.attname]
    obj._state.adding = False
    obj._state.db = saved._state.db
    obj._state.fields_cache = dict(saved._state.fields_cache)


def writes_rows(formset) -> bool:
    """Would saving this inline formset write anything: a row added, changed or deleted?"""
    deleted = formset.deleted_forms
    return bool(deleted) or any(form.has_changed() for form in formset.forms if form not in deleted)


def _unchanged(obj) -> bool:
    """Is `obj` (an existing row the form has filled in) exactly what the database holds?

    Compared with the stored row rather than the form's initial values, so a revert form (whose
    initial values are the old version) still writes the old version back.
    """
    stored = type(obj)._base_manager.filter(pk=obj.pk).first()
    return stored is not None and raw_state(stored) == raw_state(obj)


def _refused_form(form_class, refusal: DomainError):
    field = refusal.details.get("field")

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            self.add_error(field if field in self.fields else None, f"{refusal.message} ({refusal.code})")
            return cleaned

    RefusedForm.__name__ = RefusedForm.__qualname__ = form_class.__name__
    return RefusedForm


def _showing_refusals(request, view):
    """Run a form view; when its save raised a DomainError (its transaction rolled back), run it
    once more with the refusal as an error of the form, which Django then renders as usual."""
    try:
        return view()
    except DomainError as refusal:
        if request.method != "POST" or hasattr(request, _REFUSAL_ATTR):
            raise
        setattr(request, _REFUSAL_ATTR, refusal)
        return view()


class ServiceSaveMixin:
    """save_model, save_related and save_formset that never write by hand unless the admin says why."""

    # The reason this admin's rows are saved by Django's default save, e.g. "A mirror of the
    # game panel's locations: no rule of the platform applies to them yet." None: a service saves.
    plain_save: str | None = None

    def save_model(self, request, obj, form, change):
        """Refuses to write by hand: override with a service call, or declare `plain_save`."""
        if change and _unchanged(obj):
            return
        if not self.plain_save:
            raise ImproperlyConfigured(
                f"{type(self).__name__} would save {self.model._meta.label} by hand: override save_model "
                "with a service call, or declare plain_save with the reason no service is needed."
            )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Many-to-many choices are written by hand only under `plain_save` (a service sets them otherwise)."""
        if not self.plain_save:
            changed = [f.name for f in self.model._meta.many_to_many if f.name in form.changed_data]
            if changed:
                raise ImproperlyConfigured(
                    f"{type(self).__name__} would save {changed} of {self.model._meta.label} by hand: "
                    "let its service set them (override save_related), or declare plain_save."
                )
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change):
        """Inline rows are written by hand only when their inline declares `plain_save`."""
        if writes_rows(formset) and not getattr(formset, "plain_save", None):
            raise ImproperlyConfigured(
                f"{type(self).__name__} would save {formset.model._meta.label} rows by hand: override "
                "save_formset with a service call, or declare plain_save on the inline."
            )
        super().save_formset(request, form, formset, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        """On the second pass after a refusal, the form carries the refusal as its error."""
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, _REFUSAL_ATTR, None)
        return form_class if refusal is None else _refused_form(form_class, refusal)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refused save comes back as the form with the refusal, never a 500."""
        parent = super()
        return _showing_refusals(request, lambda: parent.changeform_view(request, object_id, form_url, extra_context))


class InlineSaveMixin:
    """An inline's rows are saved by hand only when it says why (`plain_save`); see ServiceSaveMixin."""

    plain_save: str | None = None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.plain_save = self.plain_save
        return formset


class HistoryRevertMixin:
    """django-simple-history's revert form, held to the rules of a change.

    The library answers a POST to a version page for anyone who may view the object, saves
    outside any transaction and lets a refusal through as a 500. Here reverting needs the change
    permission, runs in one transaction through the admin's save_model (its service), and shows a
    refusal on the form. Comes before SimpleHistoryAdmin in the bases.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such object.")
        if not self.has_change_history_permission(request, obj):
            raise PermissionDenied
        parent = super()

        def revert():
            with transaction.atomic(using=router.db_for_write(self.model)):
                return parent.history_form_view(request, object_id, version_id, extra_context)

        return _showing_refusals(request, revert)
