"""The use cases of operations, one module per concept. Each public function is one business action:
it checks permission (operations.policy) and state, runs in one transaction with the rows it changes
locked, writes the event and the audit entry, and returns the result or raises Django's
`ValidationError` (keyed by field where a field is at fault) or `PermissionDenied`, with Spanish
messages. The actor is always the keyword `by=`.
"""

from operations.services.common import parse_id
from operations.services.compliance import (
    approve_compliance,
    evaluate_unusual,
    mark_unusual,
    record_funds_declaration,
    refresh_client_register_flags,
    refresh_register_flags,
)
from operations.services.creation import create_operation, prepare_operation, update_amount, update_notes
from operations.services.house_accounts import save_house_account, set_house_accounts_active
from operations.services.lifecycle import (
    cancel_operation,
    complete_operation,
    reassign_operator,
    return_to_pending,
    send_to_process,
)
from operations.services.movements import (
    add_movement,
    deposit_problem,
    payout_problem,
    update_movement,
    void_movement,
)
from operations.services.rate_guard import approve_rate, update_rate
from operations.services.rates import publish_rate
from operations.services.treasury import (
    enter_statement,
    reconcile_day,
    record_movement,
    reopen_day,
    set_opening_balance,
    void_entry,
)

__all__ = [
    "approve_rate",
    "update_rate",
    "enter_statement",
    "reconcile_day",
    "record_movement",
    "reopen_day",
    "set_opening_balance",
    "void_entry",
    "add_movement",
    "approve_compliance",
    "evaluate_unusual",
    "mark_unusual",
    "record_funds_declaration",
    "refresh_client_register_flags",
    "refresh_register_flags",
    "cancel_operation",
    "complete_operation",
    "create_operation",
    "deposit_problem",
    "parse_id",
    "payout_problem",
    "prepare_operation",
    "publish_rate",
    "reassign_operator",
    "return_to_pending",
    "save_house_account",
    "send_to_process",
    "set_house_accounts_active",
    "update_amount",
    "update_movement",
    "update_notes",
    "void_movement",
]
