"""The operation's state machine: every transition declared once, where its service function is.

A transition is a service function decorated with `@transition(...)`. The entry carries its label,
the statuses it starts from, its permission rule (a predicate of operations.policy), an optional
check that must hold first and what it asks for on its confirmation page. The decorator wraps the
function: it runs in one transaction, locks the operation row, refuses with the entry's messages,
and hands the locked operation to the function. The admin's buttons, the confirmation page, its
form and the permission checks all read `TRANSITIONS`; adding a transition is adding one function.
"""

import functools
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Client
from operations.models import Operation

TRANSITIONS = {}

REASON_NONE, REASON_OPTIONAL, REASON_REQUIRED = "none", "optional", "required"


@dataclass(frozen=True)
class Choice:
    """A choice the confirmation page asks for and passes to the function as the keyword `name`."""

    name: str
    label: str
    options: object  # (op) -> QuerySet


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple
    rule: object  # (user, op) -> bool, from operations.policy
    function: object  # the undecorated service body: (op, *, by, **form data) -> op
    done: object  # (op) -> the Spanish success message
    reason: str = REASON_NONE
    choices: tuple = ()
    # (op) -> a ValidationError that refuses it outright (no button, a 403 page), or None.
    blocked: object = None
    # (op) -> a ValidationError to show and raise (the button stays: the user can fix it), or None.
    check: object = None
    run: object = field(default=None, compare=False)  # the decorated function, set by @transition

    def refusal(self, op, user):
        """Why `user` may not start this transition on `op` now (an exception to raise), or None."""
        if op.status not in self.sources:
            return ValidationError(
                _("Operation %(code)s is %(status)s: “%(action)s” is not possible in that status.")
                % {"code": op.code, "status": op.get_status_display(), "action": self.label}
            )
        if not self.rule(user, op):
            return PermissionDenied(
                _("You are not allowed to “%(action)s” operation %(code)s.") % {"action": self.label, "code": op.code}
            )
        return self.blocked(op) if self.blocked else None

    def problem(self, op):
        return self.check(op) if self.check else None


def lock_operation(operation):
    """Re-read the operation with its row locked until the transaction ends.

    Its client's row is locked first, the order every path follows (create_operation and the clients
    services lock the client): the register's month sum (operations.services.compliance) then sees
    the client's operations change one transaction at a time."""
    pk = operation.pk if isinstance(operation, Operation) else operation
    client_id = Operation.objects.filter(pk=pk).values_list("client_id", flat=True).first()
    if client_id is not None:
        list(Client.objects.select_for_update().filter(pk=client_id).values_list("pk", flat=True))
    try:
        return Operation.objects.select_for_update(of=("self",)).select_related("client").get(pk=pk)
    except Operation.DoesNotExist:
        raise ValidationError(_("The operation does not exist.")) from None


def transition(name, *, label, sources, rule, done, reason=REASON_NONE, choices=(), blocked=None, check=None):
    """Declare the decorated service function `f(op, *, by, **data)` as the transition `name` (the
    confirmation page's URL, the permission matrix and the success message use it)."""

    def declare(function):
        entry = Transition(
            name,
            label,
            tuple(sources),
            rule,
            function,
            done,
            reason=reason,
            choices=tuple(choices),
            blocked=blocked,
            check=check,
        )

        @functools.wraps(function)
        def run(operation, *, by, **data):
            with transaction.atomic():
                op = lock_operation(operation)
                refused = entry.refusal(op, by)
                if refused:
                    raise refused
                problem = entry.problem(op)
                if problem:
                    raise problem
                return function(op, by=by, **data)

        TRANSITIONS[name] = run.transition = Transition(**{**entry.__dict__, "run": run})
        return run

    return declare


def allowed_transitions(user, op):
    """The transitions `user` may start on `op` now (what the change form shows as buttons)."""
    return [t for t in TRANSITIONS.values() if t.refusal(op, user) is None]
