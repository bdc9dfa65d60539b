"""Who may do what on an operation: ownership on top of `user.has_perm`. Services, the admin and the
views ask these predicates; none of them decides it on its own.

- The client's trader is the client's CURRENT owner (`operation.client.owner == user`) with
  `operations.change_operation`, or a supervisor (`operations.supervise_operation`). After a client is
  reassigned, its open operations are acted on by the new owner, who is also the one who sees them
  (`visible_to` follows `client__owner`); `operation.trader` stays the executive at creation (history,
  reports and goals), never a right to act.
- The assigned operator is `operation.assigned_operator == user` with `operations.process_operation`,
  or a supervisor.
- Deposits are registered, changed and voided by the client's trader while Pendiente; payouts by the
  assigned operator while En proceso (`MOVEMENT_RULES`).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from operations.models import Deposit, OperationStatus, Payout
from qoricash import display


def is_supervisor(user):
    return bool(user and user.is_authenticated and user.has_perm("operations.supervise_operation"))


def sees_cost(user):
    """The base rate is the house's cost: with a rate and an amount it gives the profit, so it is shown
    only to whoever may see profit figures."""
    return bool(user and user.is_authenticated and user.has_perm("reports.view_profit"))


def sees_operation_cost(user):
    """An operation's base rate and profit: profit readers, and supervisors, who approve rates by them."""
    return sees_cost(user) or is_supervisor(user)


def may_publish_rates(user):
    """Publishing a rate means setting its base, so it takes the right to see the base as well."""
    return bool(user and user.is_authenticated and user.has_perm("operations.add_exchangerate") and sees_cost(user))


def is_clients_trader(user, op):
    """The client's current owner (or a supervisor): who sends to process, cancels while Pendiente,
    registers deposits and edits the amount. Not `op.trader` (the executive at creation): a client
    reassigned since would leave its open operations with nobody able to act on them."""
    if is_supervisor(user):
        return True
    return bool(
        user
        and user.is_authenticated
        and op.client.owner_id == user.pk
        and user.has_perm("operations.change_operation")
    )


def is_assigned_operator(user, op):
    """The operator the operation is assigned to (or a supervisor)."""
    if is_supervisor(user):
        return True
    return bool(
        user
        and user.is_authenticated
        and op.assigned_operator_id is not None
        and op.assigned_operator_id == user.pk
        and user.has_perm("operations.process_operation")
    )


def may_cancel(user, op):
    """While Pendiente the client's trader; once En proceso only a supervisor."""
    if op.status == OperationStatus.IN_PROCESS:
        return is_supervisor(user)
    return is_clients_trader(user, op)


def may_see_queue(user):
    return is_supervisor(user) or user.has_perm("operations.process_operation")


def can_edit_amount(user, op):
    return op.pk is not None and op.status == OperationStatus.PENDING and is_clients_trader(user, op)


def can_edit_notes(user, op):
    return op.pk is not None and not op.is_final and (is_clients_trader(user, op) or is_assigned_operator(user, op))


# --- Deposits and payouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementRule:
    """When and by whom rows of one kind of money movement are registered, changed or voided."""

    status: str  # the operation's status in which they may
    permission: str
    editor: object  # (user, op) -> bool
    wrong_status: str
    not_allowed: str
    void_wrong_status: str
    void_not_allowed: str
    voided: str  # a voided row never changes again


MOVEMENT_RULES = {
    Deposit: MovementRule(
        status=OperationStatus.PENDING,
        permission="operations.add_deposit",
        editor=is_clients_trader,
        wrong_status=_("Deposits can only be registered while the operation is Pendiente (it is %(status)s)."),
        not_allowed=_("You are not allowed to register deposits on this operation."),
        void_wrong_status=_("Deposits can only be voided while the operation is Pendiente (it is %(status)s)."),
        void_not_allowed=_("You are not allowed to void deposits on this operation."),
        voided=_("The deposit of %(amount)s was voided on %(when)s: it cannot change any more."),
    ),
    Payout: MovementRule(
        status=OperationStatus.IN_PROCESS,
        permission="operations.add_payout",
        editor=is_assigned_operator,
        wrong_status=_("Payouts can only be registered while the operation is En proceso (it is %(status)s)."),
        not_allowed=_("Only the assigned operator or a supervisor can register payouts."),
        void_wrong_status=_("Payouts can only be voided while the operation is En proceso (it is %(status)s)."),
        void_not_allowed=_("Only the assigned operator or a supervisor can void payouts."),
        voided=_("The payout of %(amount)s was voided on %(when)s: it cannot change any more."),
    ),
}


def can_edit_movements(user, op, model):
    """May `user` register or change rows of `model` (Deposit/Payout) on `op` now?"""
    rule = MOVEMENT_RULES[model]
    return (
        op is not None
        and op.pk is not None
        and op.status == rule.status
        and rule.editor(user, op)
        and user.has_perm(rule.permission)
    )


def movement_refusal(user, op, model):
    """Why `user` may not register or change rows of `model` on `op` now (an exception), or None."""
    rule = MOVEMENT_RULES[model]
    if op.status != rule.status:
        return ValidationError(rule.wrong_status % {"status": op.get_status_display()})
    if not can_edit_movements(user, op, model):
        return PermissionDenied(rule.not_allowed)
    return None


def voided_refusal(row):
    """A voided row cannot change any more (a ValidationError saying since when), or None."""
    if not row.is_voided:
        return None
    message = MOVEMENT_RULES[type(row)].voided % {
        "amount": display.money(row.amount),
        "when": display.datetime(row.voided_at),
    }
    return ValidationError(message)


def void_refusal(user, row):
    """Why `user` may not void the deposit/payout `row` now (an exception), or None if it may.

    The rules of registering one: a deposit while Pendiente by the client's trader, a payout while
    En proceso by the assigned operator; a supervisor either.
    """
    refused = voided_refusal(row)
    if refused:
        return refused
    rule, op = MOVEMENT_RULES[type(row)], row.operation
    if op.status != rule.status:
        return ValidationError(rule.void_wrong_status % {"status": op.get_status_display()})
    if not can_edit_movements(user, op, type(row)):
        return PermissionDenied(rule.void_not_allowed)
    return None
