"""Client use cases. The admin, the importer and commands call these; none of them repeats a rule.

Every function is one business action: it checks the permission, runs in one transaction with the
rows it changes locked (select_for_update), writes the audit entry and raises a Spanish
`ValidationError` (bad data or state, keyed by field where a field is at fault) or `PermissionDenied`
(not allowed) when it refuses. The acting user is always the keyword argument `by`.

Decisions:
- Every new client starts Inactivo, whoever registers it. Activation is always an explicit review
  step (`activate_client`), so its checks (accounts, identity documents) run exactly once, in one
  place, and its e-mail is sent exactly once.
- Activation needs at least one identity document (`IDENTITY_KINDS`) and, for a RUC, the Ficha RUC.
- Who may hold a portfolio: see clients.policy.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import audit
from clients import emails
from clients.audit_actions import ClientAction
from clients.models import (
    DOCUMENT_CONSTRAINT,
    BankAccount,
    Client,
    ClientReassignment,
    ClientStatus,
    account_set_errors,
    document_errors,
    registered_documents,
)
from clients.policy import (
    CONTACT_FIELDS,
    IMMUTABLE_FIELDS,
    PROFILE_FIELDS,
    REGISTER_FIELDS,
    REGISTRATION_FIELDS,
    can_own_clients,
    editable_fields,
)
from clients.validators import mask
from qoricash import bulk

ACCOUNT_FIELDS = ("bank", "account_type", "currency", "number", "cci", "location", "is_active")
ACCOUNT_NUMBER_FIELDS = ("number", "cci")


def _require(user, perm, message):
    if user is None or not user.is_active or not user.has_perm(perm):
        raise PermissionDenied(message)


def _lock_client(client, *, by):
    pk = client.pk if isinstance(client, Client) else client
    locked = Client.objects.visible_to(by).select_for_update().filter(pk=pk).first()
    if locked is None:
        raise PermissionDenied(_("This client does not exist or is not in your portfolio."))
    return locked


def _label(model, field):
    return str(model._meta.get_field(field).verbose_name)


# full_clean() checks the unique constraints, but two people saving the same document (or account)
# at once both pass it; the database then refuses the second insert. The save runs in its own
# savepoint, so after the refusal the transaction is still usable to check the constraints again:
# they now see the other row and raise the same Spanish message full_clean would have given. Any
# other IntegrityError is a bug and is raised unchanged.
def _save_unique(instance):
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.validate_constraints()
        raise


# --- Registration -------------------------------------------------------------------------------
def register_client(client, *, by, accounts=None, documents=()):
    """Save a new client (an unsaved `Client`) with its accounts and documents; it starts Inactivo.

    `client.owner` may be preset only by a user with `view_all_clients` and must be someone who
    `can_own_clients`; otherwise the registering user owns it. When `accounts` is a list (the
    admin form) the full account rules apply. The client is sent the registration e-mail.
    """
    return _register(
        client, by=by, accounts=accounts, documents=documents, action=ClientAction.REGISTERED, send_email=True
    )


def import_client(client, *, by, accounts=None):
    """Register a client read from an import file, with the accounts of its row (when it has any,
    the full account rules apply). No e-mail is sent: the clients of a migration are already customers.
    """
    return _register(client, by=by, accounts=accounts, documents=(), action=ClientAction.IMPORTED, send_email=False)


class ClientImport:
    """Registering the new clients of an import file together: `import_client` for many rows.

    `add(client, accounts)` checks one row exactly as `import_client` would (permissions, owner,
    `full_clean`, the document not registered, each account and the set of them) and raises that
    row's `ValidationError`; `save()` then writes every added client, its accounts and their audit
    entries with a few bulk inserts, in one transaction. The checks that need other rows are made
    for the whole file at once: the documents already registered are read in `documents` (the
    file's (type, number) pairs, one query) and each owner is checked once; a document outside that
    list is still checked, on its own.
    """

    BATCH = 1000  # rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement

    def __init__(self, *, by, documents=()):
        _require(by, "clients.add_client", _("You are not allowed to register clients."))
        self.by = by
        self.entries = []
        self._owners = {}
        self._checked = {(t, (n or "").strip().upper()) for t, n in documents if t and n}
        self._taken = registered_documents(self._checked)
        self._queued = set()

    def add(self, client, accounts=None, errors=None):
        """Check one new client (and its accounts, a list, when the row has any) and queue it.

        `errors`: what reading the row already found ({field: [errors]}); the fields named there
        are not checked again and the row's `ValidationError` carries them all.
        """
        errors = dict(errors or {})
        owner = self._owner(client)
        if isinstance(owner, ValidationError):
            errors = owner.update_error_dict(errors)
            owner = self.by
        if accounts and not self.by.has_perm("clients.add_bankaccount"):
            raise PermissionDenied(_("You are not allowed to add bank accounts."))
        client.owner = owner
        client.created_by = self.by
        client.status = ClientStatus.INACTIVE
        client.status_changed_by = None
        client.status_changed_at = None
        # The users are those just read (their rows exist); the constraints are checked below.
        try:
            client.full_clean(exclude=[*errors, "owner", "created_by", "status_changed_by"], validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        errors = self._constraint_errors(client, errors)
        if accounts is not None:
            errors = self._account_errors(accounts, errors)
        if errors:
            raise ValidationError(errors)
        self._queued.add((client.document_type, client.document_number))
        self.entries.append((client, None if accounts is None else list(accounts)))

    def _owner(self, client):
        """`_registration_owner`, each owner checked once per file; a refusal of the owner is returned."""
        if client.pk is not None:
            raise ValidationError(_("This client is already registered."))
        if not client.owner_id or client.owner_id == self.by.pk:
            return self.by
        owner = client.owner
        if owner.pk not in self._owners:
            try:
                self._owners[owner.pk] = _registration_owner(client, by=self.by)
            except ValidationError as exc:
                self._owners[owner.pk] = exc
        return self._owners[owner.pk]

    def _constraint_errors(self, client, errors):
        key = (client.document_type, client.document_number)
        for constraint in Client._meta.constraints:
            if set(constraint.fields) & set(errors):
                continue
            if constraint.name == DOCUMENT_CONSTRAINT:
                # Another row of this import counts as registered too: the database would refuse it.
                if key in self._queued or key in self._taken:
                    errors = constraint.refusal(client).update_error_dict(errors)
                    continue
                if key in self._checked:
                    continue
            try:
                constraint.validate(Client, client, exclude=set(errors))
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        return errors

    def _account_errors(self, accounts, errors):
        """`_add_first_accounts`' checks: each account valid and, together, the complete set."""
        valid = True
        for account in accounts:
            try:
                account.full_clean(exclude=["client"])
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
                valid = False
        if valid:
            rules = account_set_errors(accounts, complete=True)
            if rules:
                errors = ValidationError(rules, code="account_rules").update_error_dict(errors)
        return errors

    def save(self):
        """Write the clients added since the last save, with their accounts and audit entries; returns them."""
        pending, self.entries = self.entries, []
        clients = [client for client, _accounts in pending]
        if not clients:
            return clients
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Client.objects.insert(clients, batch_size=self.BATCH)
            except IntegrityError:
                # Someone registered one of these documents since add() checked it: say which.
                taken = registered_documents((c.document_type, c.document_number) for c in clients)
                refusals = [c for c in clients if (c.document_type, c.document_number) in taken]
                if not refusals:
                    raise
                constraint = next(c for c in Client._meta.constraints if c.name == DOCUMENT_CONSTRAINT)
                raise ValidationError([m for c in refusals for m in constraint.refusal(c).messages]) from None
            accounts = []
            for client, client_accounts in pending:
                for account in client_accounts or ():
                    account.client = client
                    accounts.append(account)
            bulk.insert(accounts, batch_size=self.BATCH)
            entries = []
            for client, client_accounts in pending:
                changes = _registration_changes(client)
                entries.append(audit.entry(ClientAction.IMPORTED, client, actor=self.by, changes=changes))
                entries += [
                    audit.entry(ClientAction.ACCOUNT_ADDED, a, actor=self.by, changes=_account_changes(None, a))
                    for a in client_accounts or ()
                ]
            audit.record_many(entries, batch_size=self.BATCH)
        return clients


def _registration_changes(client):
    return {f: [None, getattr(client, f)] for f in (*REGISTRATION_FIELDS, "owner_id") if getattr(client, f)}


def _register(client, *, by, accounts, documents, action, send_email):
    accounts = None if accounts is None else list(accounts)
    documents = list(documents)
    owner = _registration_owner(client, by=by)
    if accounts and not by.has_perm("clients.add_bankaccount"):
        raise PermissionDenied(_("You are not allowed to add bank accounts."))
    if documents and not by.has_perm("clients.add_clientdocument"):
        raise PermissionDenied(_("You are not allowed to upload client documents."))

    client.owner = owner
    client.created_by = by
    client.status = ClientStatus.INACTIVE
    client.status_changed_by = None
    client.status_changed_at = None
    with transaction.atomic():
        client.full_clean()
        _save_unique(client)
        audit.record(
            action,
            client,
            actor=by,
            changes=_registration_changes(client),
        )
        if accounts is not None:
            _add_first_accounts(client, accounts, by=by)
        for document in documents:
            _add_document(client, document, by=by)
        if send_email:
            emails.queue_registration_received(client)
    return client


def _registration_owner(client, *, by):
    """Who will own the new client: `by`, or the preset owner when `by` may place it elsewhere."""
    _require(by, "clients.add_client", _("You are not allowed to register clients."))
    if client.pk is not None:
        raise ValidationError(_("This client is already registered."))
    owner = client.owner if client.owner_id else by
    if owner.pk == by.pk:
        return owner
    if not by.has_perm("clients.view_all_clients"):
        raise PermissionDenied(_("You may only register clients in your own portfolio."))
    if not can_own_clients(owner):
        raise ValidationError({"owner": _("%(user)s cannot hold a client portfolio.") % {"user": owner.get_username()}})
    return owner


def _add_first_accounts(client, accounts, *, by):
    """The accounts typed with the registration: each valid, and together the complete set."""
    for account in accounts:
        account.client = client
        account.full_clean(exclude=["client"])
    errors = account_set_errors(accounts, complete=True)
    if errors:
        raise ValidationError(errors, code="account_rules")
    for account in accounts:
        _save_unique(account)
        audit.record(ClientAction.ACCOUNT_ADDED, account, actor=by, changes=_account_changes(None, account))


def _account_changes(before, account):
    out = {}
    for field in ACCOUNT_FIELDS:
        old = getattr(before, field) if before is not None else None
        new = getattr(account, field)
        if old != new:
            if field in ACCOUNT_NUMBER_FIELDS:
                old, new = (mask(old) if old else old), (mask(new) if new else new)
            out[field] = [old, new]
    return out


def _add_document(client, document, *, by):
    document.client = client
    document.uploaded_by = by
    document.full_clean(exclude=["client", "uploaded_by"])
    document.save()
    audit.record(
        ClientAction.DOCUMENT_UPLOADED,
        document,
        actor=by,
        changes={"kind": [None, document.kind], "file": [None, document.original_name]},
        message=f"{client.document_type} {client.document_number}",
    )
    return document


# --- Changes ------------------------------------------------------------------------------------
def update_client(client, changes=None, *, by, accounts=(), documents=()):
    """Apply `changes` ({field: value}) to an existing client, plus account edits and new documents.

    Only the given fields are touched (a Trader editing accounts never wipes the phone). Without
    `clients.change_client_profile` only contact data may change; the document never does; the
    owner and the status change only through `reassign_clients` / `activate_client`.
    `accounts`: BankAccount instances, existing ones (with pk, possibly modified) or new ones.
    Accounts are never deleted, only deactivated (`is_active=False`).
    """
    changes = dict(changes or {})
    accounts = list(accounts)
    documents = list(documents)
    with transaction.atomic():
        locked = _lock_client(client, by=by)
        before = audit.snapshot(locked)
        errors = {}
        denied = []
        allowed = set(editable_fields(by))
        for field, value in changes.items():
            if field not in IMMUTABLE_FIELDS + CONTACT_FIELDS + REGISTER_FIELDS + PROFILE_FIELDS:
                errors.setdefault("__all__", []).append(
                    _("The field %(field)s cannot be changed here.") % {"field": field}
                )
            elif field in allowed or field in IMMUTABLE_FIELDS or value == getattr(locked, field):
                setattr(locked, field, value)  # a changed document is refused by Client.clean()
            else:
                denied.append(_label(Client, field))
        if denied:
            raise PermissionDenied(
                _("You are not allowed to change: %(fields)s.") % {"fields": ", ".join(str(d) for d in denied)}
            )
        if errors:
            raise ValidationError(errors)
        locked.full_clean()
        client_diff = audit.diff(before, audit.snapshot(locked))
        if client_diff:
            locked.save(update_fields=[*client_diff, "updated_at"])
            audit.record(ClientAction.CHANGED, locked, actor=by, changes=client_diff)

        if accounts:
            _save_accounts(locked, accounts, by=by)
        for document in documents:
            if not by.has_perm("clients.add_clientdocument"):
                raise PermissionDenied(_("You are not allowed to upload client documents."))
            _add_document(locked, document, by=by)
    return locked


def _save_accounts(client, accounts, *, by):
    existing = {a.pk: a for a in BankAccount.objects.select_for_update().filter(client=client).order_by("pk")}
    changed, new = [], []
    for account in accounts:
        if account.pk is None:
            _require(by, "clients.add_bankaccount", _("You are not allowed to add bank accounts."))
            account.client = client
            account.full_clean(exclude=["client"])
            new.append(account)
            continue
        current = existing.get(account.pk)
        if current is None:
            raise PermissionDenied(_("That bank account does not belong to this client."))
        before = BankAccount(**{f: getattr(current, f) for f in ACCOUNT_FIELDS})
        touched = [f for f in ACCOUNT_FIELDS if getattr(account, f) != getattr(current, f)]
        if not touched:
            continue
        _require(by, "clients.change_bankaccount", _("You are not allowed to change bank accounts."))
        if set(touched) & set(ACCOUNT_NUMBER_FIELDS) and not by.has_perm("clients.view_full_accounts"):
            raise PermissionDenied(
                _("You may not edit the number of a registered account: deactivate it and add the right one.")
            )
        for field in touched:
            setattr(current, field, getattr(account, field))
        current.full_clean(exclude=["client"])
        changed.append((before, current))
    result = [a for pk, a in existing.items()] + new
    # Hard rules always; the complete set (2+, PEN and USD) as long as the client is Activo.
    errors = account_set_errors(result, complete=client.is_active)
    if errors:
        raise ValidationError(errors, code="account_rules")
    # Deactivations and edits first, so an account can be replaced by an identical new one.
    for before, current in changed:
        _save_unique(current)
        audit.record(ClientAction.ACCOUNT_CHANGED, current, actor=by, changes=_account_changes(before, current))
    for account in new:
        _save_unique(account)
        audit.record(ClientAction.ACCOUNT_ADDED, account, actor=by, changes=_account_changes(None, account))
    return [c for _b, c in changed] + new


def add_bank_account(client, account, *, by):
    """Add one account (the bank-account importer); hard rules always, the full set if Activo."""
    with transaction.atomic():
        locked = _lock_client(client, by=by)
        _require(by, "clients.add_bankaccount", _("You are not allowed to add bank accounts."))
        _save_accounts(locked, [account], by=by)
    return account


# --- Review: activation and deactivation ------------------------------------------------------
def activation_errors(client, *, overview=False, document_kinds=None):
    """Why `client` cannot be activated yet (Spanish messages); empty when it can.

    `overview` (a list of many clients, e.g. the review panel, with accounts and documents
    prefetched): the client's own data, accounts and documents only, without the checks that ask
    the database about other rows (its users exist, no other client has its document), which
    activation itself still runs. `document_kinds`: the kinds of document the client has, when the
    caller read them already (the review panel, with its clients)."""
    errors = []
    try:
        if overview:
            client.full_clean(exclude=["owner", "created_by", "status_changed_by"], validate_constraints=False)
        else:
            client.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            label = _label(Client, field) if field != "__all__" else ""
            errors.extend(f"{label}: {m}" if label else m for m in messages)
    errors += account_set_errors(list(client.accounts.all()), complete=True)
    if document_kinds is None:
        document_kinds = [d.kind for d in client.documents.all()]
    errors += document_errors(client, document_kinds)
    return errors


def activate_client(client, *, by):
    """Inactivo → Activo after checking data, accounts and documents; e-mails the client."""
    _require(by, "clients.activate_client", _("You are not allowed to activate clients."))
    with transaction.atomic():
        locked = _lock_client(client, by=by)
        if locked.is_active:
            raise ValidationError(_("The client %(client)s is already active.") % {"client": locked.display_name})
        list(BankAccount.objects.select_for_update().filter(client=locked))
        errors = activation_errors(locked)
        if errors:
            raise ValidationError(errors, code="activation")
        _set_status(locked, ClientStatus.ACTIVE, by=by, action=ClientAction.ACTIVATED)
        emails.queue_account_activated(locked)
    return locked


def deactivate_client(client, *, by, reason=""):
    """Activo → Inactivo: the client can no longer trade until it is activated again."""
    _require(by, "clients.activate_client", _("You are not allowed to deactivate clients."))
    with transaction.atomic():
        locked = _lock_client(client, by=by)
        if not locked.is_active:
            raise ValidationError(_("The client %(client)s is already inactive.") % {"client": locked.display_name})
        _set_status(locked, ClientStatus.INACTIVE, by=by, action=ClientAction.DEACTIVATED, message=reason)
    return locked


def _set_status(client, status, *, by, action, message=""):
    old = client.status
    client.status = status
    client.status_changed_by = by
    client.status_changed_at = timezone.now()
    client.save(update_fields=["status", "status_changed_by", "status_changed_at", "updated_at"])
    audit.record(action, client, actor=by, changes={"status": [old, status]}, message=message)


# --- Export -------------------------------------------------------------------------------------
# Query-string parameters of the changelist that are not filters (ordering, page, admin plumbing).
NOT_FILTERS = {"q", "o", "p", "e", "all", "_changelist_filters", "_to_field", "_popup"}


def record_client_export(*, by, rows, params=None, full_accounts=False):
    """The audit entry of one export of the clients sheet: how many rows, with which filters/search.

    `params`: the changelist's query string (a QueryDict or a dict of lists); "q" is the search.
    The file may hold full account numbers (`full_accounts`), so the entry says which kind it held.
    """
    params = params or {}
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: list(params.get(k) or []))
    filters = {k: ",".join(getlist(k)) for k in sorted(params) if k not in NOT_FILTERS}
    search = " ".join(getlist("q")).strip()
    message = _("Rows: %(rows)d. Filters: %(filters)s. Search: %(search)s. Account numbers: %(accounts)s.") % {
        "rows": rows,
        "filters": ", ".join(f"{k}={v}" for k, v in filters.items()) or pgettext("export filters", "none"),
        "search": f"«{search}»" if search else pgettext("export search", "none"),
        "accounts": pgettext("account numbers", "full") if full_accounts else pgettext("account numbers", "masked"),
    }
    return audit.record(
        ClientAction.EXPORTED,
        actor=by,
        object_type=Client._meta.label_lower,
        object_repr=_("Clients export"),
        message=message,
    )


# --- Portfolios ---------------------------------------------------------------------------------
def reassign_clients(clients, to_trader, *, by):
    """Move clients to another portfolio holder; returns the ClientReassignment rows written.

    `clients`: Client instances or ids (one, a selection or a whole portfolio). Clients already
    owned by `to_trader` are left alone. The previous owner is read from the locked row before
    the change, so the history and the audit name the right person.
    """
    _require(by, "clients.reassign_client", _("You are not allowed to reassign clients."))
    if not can_own_clients(to_trader):
        raise ValidationError(
            _("%(user)s cannot receive clients: choose an active trader.") % {"user": to_trader.get_username()}
        )
    ids = sorted({c.pk if isinstance(c, Client) else int(c) for c in clients})
    if not ids:
        raise ValidationError(_("Select at least one client to reassign."))
    moved = []
    with transaction.atomic():
        locked = list(Client.objects.visible_to(by).select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(locked) != len(ids):
            raise PermissionDenied(_("Some of the selected clients do not exist or are not visible to you."))
        owners = {u.pk: u for u in get_user_model().objects.filter(pk__in={c.owner_id for c in locked})}
        for client in locked:
            from_owner = owners[client.owner_id]  # read before the change
            if from_owner.pk == to_trader.pk:
                continue
            client.owner = to_trader
            client.save(update_fields=["owner", "updated_at"])
            moved.append(
                ClientReassignment.objects.create(client=client, from_owner=from_owner, to_owner=to_trader, by=by)
            )
            audit.record(
                ClientAction.REASSIGNED,
                client,
                actor=by,
                changes={"owner": [str(from_owner), str(to_trader)]},
                message=_("From %(old)s to %(new)s")
                % {"old": from_owner.get_username(), "new": to_trader.get_username()},
            )
    return moved


def reassign_portfolio(from_owner, to_trader, *, by):
    """Every client `from_owner` holds goes to `to_trader` (one transaction)."""
    ids = list(Client.objects.filter(owner=from_owner).values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("%(user)s has no clients.") % {"user": from_owner.get_username()})
    return reassign_clients(ids, to_trader, by=by)
