"""The audit page reads in plain Spanish: labels, people by name, permissions by name, local dates."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEntry
from clients import services
from clients.audit_actions import ClientAction
from clients.tests.factories import ClientFactory, active_client
from reports.audit_actions import ReportAction

pytestmark = pytest.mark.django_db


def page_of(client, entry):
    response = client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_status_owner_and_dates_read_as_labels_names_and_local_dates(master_client, master, trader, other_trader):
    client = active_client(owner=trader)
    services.deactivate_client(client, by=master, reason="baja")
    services.reassign_clients([client], other_trader, by=master)
    status = AuditEntry.objects.get(action=ClientAction.DEACTIVATED)
    assert status.changes == {"status": ["active", "inactive"]}  # stored as it was: only the display changes
    content = page_of(master_client, status)
    assert "<td>Activo</td><td>Inactivo</td>" in content
    assert "inactive" not in content.split("audit-changes")[1]

    moved = AuditEntry.objects.get(action=ClientAction.REASSIGNED)
    content = page_of(master_client, moved)
    table = content.split("audit-changes")[1].split("</table>")[0]
    assert trader.display_name in table and other_trader.display_name in table
    assert f">{trader.pk}<" not in table

    entry = audit.record(
        ClientAction.CHANGED, client, actor=master, changes={"updated_at": [None, "2026-11-30T14:07:12-05:00"]}
    )
    content = page_of(master_client, entry)
    assert "30/11/2026 14:07:12" in content and "2026-11-30T" not in content


def test_a_role_permission_change_lists_what_was_added_and_removed_by_name(master_client):
    group = Group.objects.get(name="Trader")
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    group.permissions.add(Permission.objects.get(codename="view_all_clients"))
    group.permissions.remove(Permission.objects.get(codename="add_bankaccount"))
    entries = AuditEntry.objects.filter(object_type="auth.group").exclude(pk__in=before).order_by("at")
    added, removed = (page_of(master_client, e).split("audit-changes")[1].split("</table>")[0] for e in entries)
    assert "Añadidos: Clientes | Puede ver los clientes de todos los ejecutivos" in added
    assert "Quitados: Clientes | Puede añadir cuenta bancaria" in removed
    assert "clients.view_all_clients" not in added and "[" not in added


def test_a_report_entry_names_the_report_and_the_list_shows_people_and_local_time(master_client, master):
    ClientFactory()
    audit.record(
        ReportAction.POSITION_VIEWED, actor=master, object_type="reports.report", object_repr="report_position_view"
    )
    response = master_client.get(reverse("admin:accounts_auditentry_changelist"))
    content = response.content.decode()
    assert "report_position_view" not in content and "Posición consultada" in content
    assert master.display_name in content
