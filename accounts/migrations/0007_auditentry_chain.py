"""Chain the audit trail (accounts/auditchain.py): new entries are sealed on save; this back-fills the
link and hash of the entries already there, in id order. The append-only trigger refuses UPDATE, so
it is switched off for the back-fill only, inside this migration's transaction (run by the owner).
"""

import django.utils.timezone
from django.db import migrations, models


def backfill(apps, schema_editor):
    from accounts.auditchain import ANCHOR, digest, values_of

    AuditEntry = apps.get_model("accounts", "AuditEntry")
    db = schema_editor.connection.alias
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER accounts_auditentry_append_only")
    prev = ANCHOR
    for entry in AuditEntry.objects.using(db).order_by("id").iterator(chunk_size=2000):
        sealed = digest(prev, values_of(entry))
        AuditEntry.objects.using(db).filter(pk=entry.pk).update(prev_hash=prev, hash=sealed)
        prev = sealed
    if postgres:
        schema_editor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER accounts_auditentry_append_only")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_user_session_generation'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='hash'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='previous hash'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='when'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
