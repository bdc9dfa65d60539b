"""Every action operations records in the audit trail has a Spanish label (list and filter)."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import audit
from accounts.models import AuditEntry
from operations import services
from operations.apps import AUDIT_ACTIONS

pytestmark = pytest.mark.django_db

APP_DIR = Path(__file__).resolve().parent.parent
CODE_PREFIXES = ("operation.", "exchangerate.", "housebankaccount.")


def recorded_codes():
    """Action codes in the app's source: the first argument of every audit.record(...) call, and every
    string that looks like one of the app's codes (e.g. the void actions passed through `_void`)."""
    codes, calls = set(), 0
    for path in APP_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record":
                calls += 1
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
            elif (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(CODE_PREFIXES)
            ):
                if " " not in node.value and node.value.count(".") == 1:
                    codes.add(node.value)
    return codes, calls


def test_the_scan_finds_the_known_codes():
    codes, calls = recorded_codes()
    assert calls >= 15
    assert {"operation.create", "operation.deposit_void", "operation.payout_void", "exchangerate.create"} <= codes


def test_every_recorded_code_has_a_spanish_label():
    codes, _calls = recorded_codes()
    with translation.override("es"):
        for code in sorted(codes):
            label = str(audit.action_label(code))
            assert label != code, f"{code} has no label: register it in operations/apps.py AUDIT_ACTIONS"
            with translation.override(None):
                english = str(audit.action_label(code))
            assert label != english, f"{code}: «{english}» has no Spanish translation"
    assert set(AUDIT_ACTIONS) == codes  # no stale label either


def test_audit_list_and_filter_show_labels_not_codes(
    master_client, master, make_operation, fund, trader, operador, houses
):
    services.publish_rate(master, base="3.7300", buy="3.7100", sell="3.7600")
    op = make_operation()
    fund(trader, op)
    services.send_to_process(trader, op)
    services.return_to_pending(operador, op, "Abono no figura", notify=False)
    assert AuditEntry.objects.filter(action="operation.return_to_pending").exists()
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
