"""The staff audit trail (accounts.AuditEntry): append-only rows of who changed what."""

from django.contrib.contenttypes.models import ContentType

from accounts.audit import raw_state, snapshot, snapshot_after
from accounts.models import AuditEntry


def record_audit(*, actor, action: str, obj, before: dict | None, after: dict | None, object_id=None) -> AuditEntry:
    """Append one audit row. `before`/`after` are accounts.audit snapshots."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action[:100],
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk if object_id is None else object_id),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def _audited(*, actor, action: str, obj, change):
    before, before_state = snapshot(obj), raw_state(obj)
    change()
    record_audit(
        actor=actor, action=action, obj=obj, before=before, after=snapshot_after(obj, before_state=before_state)
    )
