"""`manage.py panel_sync INTEGRATION_ID [--entity servers ...] [--dry-run]`: sync one panel now."""

from django.core.management.base import BaseCommand, CommandError

from games.errors import GameError
from games.hosting import sync
from games.hosting.models import Integration, SyncStatus


class Command(BaseCommand):
    help = "Sync one game panel's mirrors now; --dry-run prints what would change and writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("integration_id", type=int)
        parser.add_argument(
            "--entity", action="append", choices=sync.ENTITIES, help="Sync only this entity (repeatable)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Read the panel, print the changes, keep nothing.")

    def handle(self, *args, integration_id, entity, dry_run, **options):
        integration = Integration.objects.filter(pk=integration_id).first()
        if integration is None:
            raise CommandError(f"No integration has id {integration_id}.")
        try:
            log = sync.sync_integration(integration=integration, entities=entity, dry_run=dry_run)
        except GameError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from None
        for line in log.metadata.get("changes", []):
            self.stdout.write(("would: " if dry_run else "") + line)
        for name, counts in log.metadata.get("entities", {}).items():
            self.stdout.write(
                f"{name}: {counts['created']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
                f"{counts['failed']} failed, {counts['removed']} removed"
            )
        verdict = "dry run, nothing written" if dry_run else f"sync log {log.pk}"
        self.stdout.write(f"{log.get_status_display()} ({verdict}). {log.error_message}".strip())
        if log.status != SyncStatus.COMPLETED:
            raise CommandError(log.error_message or "The sync failed.")
