"""The base every ModelAdmin of the platform inherits.

It carries the rules that hold in every changelist, form and action:
- studio staff see only their own studio's rows (`studio_lookup` names the path from the
  model to games.Studio; a model without one is hidden from them): changelists, object URLs
  (404), foreign-key and many-to-many choices, autocomplete results, permissions;
- money fields are read-only;
- every change a staff member makes through the admin (add, change, delete, inline rows,
  each admin action, each unfold row/detail/submit-line action) leaves an
  accounts.AuditEntry with before and after snapshots.
"""

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model
from django.http import Http404
from django.utils.functional import cached_property
from unfold.admin import ModelAdmin, StackedInline, TabularInline

from accounts.audit import raw_state, snapshot, snapshot_after
from accounts.models import StaffRole
from nodebyte_platform.errors import DomainError

STUDIO_MODEL_LABEL = "games.Studio"
# Objects read for a change form are snapshotted here (per request) so that log_change can
# record "before" whatever save_model an admin overrides.
_BEFORE_ATTR = "_audit_before"


def staff_studio_id(request):
    """The studio id a studio-role user is bound to, or None for every other user."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.role == StaffRole.STUDIO and not request.user.is_superuser:
        return profile.studio_id
    return None


def is_studio_staff(request) -> bool:
    profile = getattr(request.user, "staff_profile", None)
    return bool(profile and profile.role == StaffRole.STUDIO and not request.user.is_superuser)


# How staff look a player up from any row that points at a Customer.
CUSTOMER_SEARCH = ("customer__nickname", "customer__user__username", "customer__user__email")


class LargeTablePaginator(Paginator):
    """Pages a large append-only table without a full COUNT(*) on every page.

    An unfiltered changelist on PostgreSQL takes the planner's row estimate once the
    table is big enough for the count to hurt; small tables and filtered lists count.
    """

    estimate_above = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > self.estimate_above:
                return row[0]
        return super().count


def scope_related_queryset(admin_site, model, request, queryset):
    """Narrow the choices of a relation to `model` to what the studio user may see.

    games.Studio itself narrows to the user's studio; a model whose registered admin has a
    `studio_lookup` narrows through it; anything else offers no choice at all.
    """
    if not is_studio_staff(request):
        return queryset
    studio_id = staff_studio_id(request)
    if model._meta.label == STUDIO_MODEL_LABEL:
        return queryset.filter(pk=studio_id)
    related_admin = admin_site._registry.get(model)
    lookup = getattr(related_admin, "studio_lookup", None)
    if lookup:
        return queryset.filter(**{lookup: studio_id})
    return queryset.none()


class StudioScopedMixin:
    """Limits querysets, choices and permissions to the requesting studio user's studio."""

    studio_lookup: str | None = None

    def scope_queryset(self, request, queryset):
        if not is_studio_staff(request):
            return queryset
        if self.studio_lookup is None:
            return queryset.none()
        return queryset.filter(**{self.studio_lookup: staff_studio_id(request)})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _hidden_from(self, request) -> bool:
        return is_studio_staff(request) and self.studio_lookup is None

    def has_module_permission(self, request):
        return not self._hidden_from(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return not self._hidden_from(request) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_delete_permission(request, obj)

    def _related_queryset(self, db_field, request, kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using")).all()
        return scope_related_queryset(self.admin_site, db_field.remote_field.model, request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if is_studio_staff(request):
            kwargs["queryset"] = self._related_queryset(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if is_studio_staff(request):
            kwargs["queryset"] = self._related_queryset(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete passes the admin's own queryset; scoping again costs nothing and keeps
        # any caller that hands in a wider queryset inside the studio.
        return super().get_search_results(request, self.scope_queryset(request, queryset), search_term)


def _record_change(request, action, obj, fresh, *, before, before_state):
    """Audit `obj` (`fresh`: as it is now, None once deleted) if it changed since `before_state`."""
    from accounts.services import record_audit

    if fresh is None:
        record_audit(actor=request.user, action=action, obj=obj, before=before, after=None)
    elif raw_state(fresh) != before_state:
        after = snapshot_after(fresh, before_state=before_state)
        record_audit(actor=request.user, action=action, obj=fresh, before=before, after=after)


def _audit_action(model_admin, name, func):
    """Wrap a Django admin action so each object it changes or deletes gets an audit row."""

    @functools.wraps(func)
    def audited(modeladmin, request, queryset):
        from accounts.models import AuditEntry

        objects = list(queryset)
        before = {obj.pk: (raw_state(obj), snapshot(obj), obj) for obj in objects}
        last_entry = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        result = func(modeladmin, request, queryset)
        # Services called by the action may have written their own, richer rows already.
        already = set(
            AuditEntry.objects.filter(pk__gt=last_entry, object_id__in=[str(pk) for pk in before]).values_list(
                "object_id", flat=True
            )
        )
        after = {obj.pk: obj for obj in queryset.model._base_manager.filter(pk__in=list(before))}
        for pk, (state, snap, old_obj) in before.items():
            if str(pk) not in already:
                _record_change(request, f"action:{name}", old_obj, after.get(pk), before=snap, before_state=state)
        return result

    return audited


def _audit_object_action(model_admin, name, method):
    """Wrap an unfold row/detail/submit-line action so the object it changes gets an audit row."""

    @functools.wraps(method)
    def audited(request, *args, **kwargs):
        obj = None
        object_id = kwargs.get("object_id")
        if object_id is None and args and isinstance(args[0], str | int) and not isinstance(args[0], bool):
            object_id = args[0]
        if object_id is not None:
            obj = model_admin.get_queryset(request).filter(pk=object_id).first()
            if obj is None:
                raise Http404("No such object.")
        elif args and isinstance(args[0], Model):
            obj = args[0]
        if obj is None:
            return method(request, *args, **kwargs)
        state, snap = raw_state(obj), snapshot(obj)
        result = method(request, *args, **kwargs)
        fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
        _record_change(request, f"action:{name}", obj, fresh, before=snap, before_state=state)
        return result

    return audited


class AuditedAdminMixin:
    """Writes accounts.AuditEntry rows for every change made through this admin."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            if not hasattr(request, _BEFORE_ATTR):
                setattr(request, _BEFORE_ATTR, {})
            getattr(request, _BEFORE_ATTR)[(obj._meta.label, obj.pk)] = (snapshot(obj), raw_state(obj))
        return obj

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another studio's object and a missing one look the same: not found.
        if is_studio_staff(request):
            raise Http404("No such object.")
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def log_addition(self, request, obj, message):
        from accounts.services import record_audit

        record_audit(actor=request.user, action="add", obj=obj, before=None, after=snapshot(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        from accounts.services import record_audit

        before, before_state = getattr(request, _BEFORE_ATTR, {}).get((obj._meta.label, obj.pk), (None, None))
        if before_state is None or raw_state(obj) != before_state:
            after = snapshot_after(obj, before_state=before_state)
            record_audit(actor=request.user, action="change", obj=obj, before=before, after=after)
        return super().log_change(request, obj, message)

    def log_deletion(self, request, obj, object_repr):
        from accounts.services import record_audit

        record_audit(actor=request.user, action="delete", obj=obj, before=snapshot(obj), after=None)
        return super().log_deletion(request, obj, object_repr)

    def log_deletions(self, request, queryset):
        # Django's bulk version skips log_deletion when it is not overridden; route each
        # object through ours so each deletion is audited.
        return [self.log_deletion(request, obj, str(obj)) for obj in queryset]

    def save_formset(self, request, form, formset, change):
        """Inline rows: each added, changed or deleted row gets its own audit row."""
        from accounts.services import record_audit

        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {obj.pk: (snapshot(obj), raw_state(obj)) for obj in model._base_manager.filter(pk__in=pks)}
        # A deleted instance loses its pk; remember it while the form still knows it.
        deleted_pks = {id(f.instance): f.instance.pk for f in formset.deleted_forms}
        result = super().save_formset(request, form, formset, change)
        for obj in getattr(formset, "new_objects", []):
            record_audit(actor=request.user, action="add", obj=obj, before=None, after=snapshot(obj))
        for obj, _fields in getattr(formset, "changed_objects", []):
            snap, state = before.get(obj.pk, (None, None))
            after = snapshot_after(obj, before_state=state)
            record_audit(actor=request.user, action="change", obj=obj, before=snap, after=after)
        for obj in getattr(formset, "deleted_objects", []):
            pk = deleted_pks.get(id(obj), obj.pk)
            snap = before.get(pk, (None, None))[0]
            record_audit(actor=request.user, action="delete", obj=obj, before=snap, after=None, object_id=pk)
        return result

    def get_actions(self, request):
        """Every action is audited; one that names no `permissions` needs the change permission.

        Django offers an action without `allowed_permissions` to anyone who can open the
        changelist, and these actions call services that move money or change state: a
        view-only role must not run them.
        """
        actions = super().get_actions(request)
        can_change = self.has_change_permission(request)
        wrapped = {}
        for name, (func, action_name, description) in actions.items():
            if not getattr(func, "allowed_permissions", None) and not can_change:
                continue
            if name == "delete_selected":  # audited through log_deletions
                wrapped[name] = (func, action_name, description)
            else:
                wrapped[name] = (_audit_action(self, name, func), action_name, description)
        return wrapped

    def get_unfold_action(self, action):
        unfold_action = super().get_unfold_action(action)
        method = _audit_object_action(self, action, unfold_action.method)
        try:
            unfold_action.method = method
        except (AttributeError, TypeError):  # frozen dataclass
            from dataclasses import replace

            unfold_action = replace(unfold_action, method=method)
        return unfold_action


class PlatformModelAdmin(AuditedAdminMixin, StudioScopedMixin, ModelAdmin):
    list_per_page = 50
    show_full_result_count = False
    # Fields holding money; always shown read-only (balances move only through services).
    money_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + tuple(f for f in self.money_fields if f not in readonly)


class PlatformTabularInline(StudioScopedMixin, TabularInline):
    extra = 0


class PlatformStackedInline(StudioScopedMixin, StackedInline):
    extra = 0


def run_service(modeladmin, request, queryset, call, done: str) -> None:
    """Apply `call(obj)` to each selected row of an admin action; report the successes and
    each refusal with its stable code, so one bad row never hides what happened to the others."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj)
            succeeded += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message} ({exc.code})", messages.ERROR)
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
