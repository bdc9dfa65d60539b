"""What the clients app records in the audit trail. Labels are what the audit page shows."""

from django.db import models
from django.utils.translation import pgettext_lazy


class ClientAction(models.TextChoices):
    REGISTERED = "client.register", pgettext_lazy("audit", "Client registered")
    IMPORTED = "client.import", pgettext_lazy("audit", "Client imported")
    CHANGED = "client.change", pgettext_lazy("audit", "Client changed")
    ACTIVATED = "client.activate", pgettext_lazy("audit", "Client activated")
    DEACTIVATED = "client.deactivate", pgettext_lazy("audit", "Client deactivated")
    REASSIGNED = "client.reassign", pgettext_lazy("audit", "Client reassigned")
    EXPORTED = "client.export", pgettext_lazy("audit", "Clients exported")
    ACCOUNT_ADDED = "bankaccount.create", pgettext_lazy("audit", "Bank account added")
    ACCOUNT_CHANGED = "bankaccount.change", pgettext_lazy("audit", "Bank account changed")
    DOCUMENT_UPLOADED = "clientdocument.upload", pgettext_lazy("audit", "Client document uploaded")


# Codes stored before actions were named "<object>.<verb>"; the trail is append-only, so old entries
# keep their code and are shown (and filtered) as the action that replaced it.
LEGACY_CODES = {
    "client.registered": ClientAction.REGISTERED,
    "client.imported": ClientAction.IMPORTED,
    "client.updated": ClientAction.CHANGED,
    "client.activated": ClientAction.ACTIVATED,
    "client.deactivated": ClientAction.DEACTIVATED,
    "client.reassigned": ClientAction.REASSIGNED,
    "client_export": ClientAction.EXPORTED,
    "bank_account.added": ClientAction.ACCOUNT_ADDED,
    "bank_account.changed": ClientAction.ACCOUNT_CHANGED,
    "client_document.added": ClientAction.DOCUMENT_UPLOADED,
}
