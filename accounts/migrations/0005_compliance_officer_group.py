"""Create the compliance officer's group. Idempotent; its permissions are granted after migrate."""

from django.db import migrations

ROLE = "Oficial de Cumplimiento"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=ROLE)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_manager_with_perm")]
    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
