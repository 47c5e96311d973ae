"""Every change a staff member makes through the admin leaves an accounts.AuditEntry.

Add, change, delete, inline rows, each admin action and each unfold row/detail/submit-line
action: before and after snapshots (accounts.audit: personal and secret values redacted).
"""

import functools

from django.db.models import Model
from django.http import Http404

from accounts.audit import raw_state, snapshot, snapshot_after

# Objects read for a change form are snapshotted here (per request) so that log_change can
# record "before" whatever save_model an admin overrides.
_BEFORE_ATTR = "_audit_before"


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
        # Another studio's object and a missing one look the same to studio staff: not found.
        from accounts.admin_base.scoping import is_studio_staff

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
