# Accent- and case-insensitive client search on SQLite and PostgreSQL alike: a denormalised,
# indexed `search_text` ("<DOCUMENT> <SURNAMES NAMES> <BUSINESS NAME> <E-MAIL>", upper case, no
# accents) that Client.save() keeps up to date; filled here for the clients already registered.

import unicodedata

from django.db import migrations, models

# Frozen copies of clients.models.search_key / Client.build_search_text as of this migration.
NAME_FIELDS = ("apellido_paterno", "apellido_materno", "nombres", "razon_social", "email")
MAX_LENGTH = 1000


def _key(text):
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.upper().split())


def fill_search_text(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    batch = []
    for client in Client.objects.only("pk", "document_number", *NAME_FIELDS).order_by("pk").iterator(chunk_size=500):
        number = _key(client.document_number).replace(" ", "")
        rest = _key(" ".join(str(getattr(client, name) or "") for name in NAME_FIELDS))
        client.search_text = f"{number} {rest}"[:MAX_LENGTH]
        batch.append(client)
        if len(batch) >= 500:
            Client.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Client.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_account_duplicate_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="search_text",
            field=models.CharField(
                blank=True, db_index=True, editable=False, max_length=1000, verbose_name="search text"
            ),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
    ]
