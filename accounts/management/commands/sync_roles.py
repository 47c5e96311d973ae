from django.core.management.base import BaseCommand

from accounts.services import sync_roles


class Command(BaseCommand):
    help = "Create the staff role Groups and set their permissions from nodebyte_platform/roles.py."

    def handle(self, *args, **options):
        for role, count in sync_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
