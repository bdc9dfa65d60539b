"""Every action operations records in the audit trail has a Spanish label (list and filter)."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import audit
from accounts.models import AuditEntry
from operations import services
from operations.models import AuditAction

pytestmark = pytest.mark.django_db


def test_every_action_has_a_spanish_label():
    for action in AuditAction:
        with translation.override("es"):
            label = str(audit.action_label(action.value))
        with translation.override(None):
            english = str(audit.action_label(action.value))
        assert label != action.value, f"{action.value} is not registered"
        assert label != english, f"{action.value}: «{english}» has no Spanish translation"


def test_audit_list_and_filter_show_labels_not_codes(
    master_client, master, make_operation, fund, trader, operador, houses
):
    services.publish_rate(by=master, base="3.7300", buy="3.7100", sell="3.7600")
    op = make_operation()
    fund(trader, op)
    services.send_to_process(op, by=trader)
    services.return_to_pending(op, by=operador, reason="Abono no figura", notify=False)
    assert AuditEntry.objects.filter(action=AuditAction.RETURNED).exists()
    html = master_client.get(reverse("admin:accounts_auditentry_changelist")).content.decode()
    for label in (
        "Tipo de cambio publicado",
        "Operación creada",
        "Abono del cliente registrado",
        "Operación enviada a proceso",
        "Operación devuelta a Pendiente",
    ):
        assert label in html, label
    for code in ("operation.create", "operation.send_to_process", "operation.deposit_add", "exchangerate.create"):
        assert f">{code}<" not in html, code  # neither a list cell nor a filter choice
