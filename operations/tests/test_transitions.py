"""The state machine is declared once: every transition is one @transition entry, and the refusals
follow the service contract (a wrong status is a ValidationError, a wrong person PermissionDenied)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from operations import policy, services
from operations.forms import TransitionForm
from operations.models import OperationStatus
from operations.transitions import REASON_REQUIRED, TRANSITIONS, allowed_transitions, transition

pytestmark = pytest.mark.django_db


def test_the_transitions_are_declared_with_their_service_function():
    # The rate guard declares its approval in its own module (operations.services.rate_guard).
    assert [name for name in TRANSITIONS if name != "approve_rate"] == [
        "approve_compliance",
        "send_to_process",
        "return_to_pending",
        "complete",
        "cancel",
        "reassign",
    ]
    assert TRANSITIONS["approve_compliance"].run is services.approve_compliance
    assert TRANSITIONS["send_to_process"].run is services.send_to_process
    assert TRANSITIONS["reassign"].run is services.reassign_operator
    assert TRANSITIONS["cancel"].rule is policy.may_cancel


def test_wrong_status_is_a_validation_error_and_wrong_person_permission_denied(
    make_operation, fund, trader, other_trader, operador
):
    op = make_operation()
    with pytest.raises(ValidationError):
        services.complete_operation(op, by=operador)  # Pendiente: not possible in that status
    fund(trader, op)
    with pytest.raises(PermissionDenied):
        services.send_to_process(op, by=other_trader)  # not the client's owner
    with pytest.raises(PermissionDenied):
        services.publish_rate(by=trader, base="3.72", buy="3.70", sell="3.75")
    op.refresh_from_db()
    assert op.status == OperationStatus.PENDING


def test_adding_a_transition_is_one_entry(monkeypatch, make_operation, trader, master, master_client):
    """A new transition (say, a compliance hold) declared once shows as a button, gets a confirmation
    page asking for what it declares, and runs locked with the entry's refusals."""
    monkeypatch.setitem(TRANSITIONS, "hold", None)  # removed again after the test
    calls = []

    @transition(
        "hold",
        label="Hold",
        sources=(OperationStatus.PENDING,),
        rule=lambda user, op: policy.is_supervisor(user),
        reason=REASON_REQUIRED,
        done=lambda op: f"{op.code} held",
    )
    def hold(op, *, by, reason):
        calls.append((op.pk, by, reason))
        return op

    op = make_operation()
    assert "hold" in [t.name for t in allowed_transitions(master, op)]
    assert "hold" not in [t.name for t in allowed_transitions(trader, op)]
    assert TransitionForm(transition=TRANSITIONS["hold"], operation=op).fields["reason"].required
    with pytest.raises(PermissionDenied):
        hold(op, by=trader, reason="x")
    url = reverse("admin:operations_operation_transition", args=[op.pk, "hold"])
    assert master_client.get(url).status_code == 200
    response = master_client.post(url, {"reason": "Revisión de cumplimiento"})
    assert response.status_code == 302
    assert calls == [(op.pk, master, "Revisión de cumplimiento")]
