"""Create one Group per staff role (nodebyte_platform/roles.py).

Permissions are filled in by accounts.apps' post_migrate handler (the same
`accounts.services.sync_roles` that `manage.py sync_roles` runs): permissions of
models are only created after every app has migrated, so a migration cannot see
them on a fresh database.
"""

from django.db import migrations

ROLE_GROUPS = ["role:admin", "role:support", "role:accounting", "role:studio"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_entry"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
