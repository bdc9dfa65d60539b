"""Tamper evidence for the audit trail: every entry is chained to the one before it.

Each entry stores `prev_hash` (the previous entry's `hash`; the first entry's is the fixed ANCHOR)
and `hash` = SHA-256 over `prev_hash` and the canonical JSON of the entry's content. Editing an
entry breaks its own hash; deleting one breaks the next entry's link; deleting the newest ones is
shown by comparing the head with a copy kept elsewhere (the off-site backups' manifest stores it).
This holds against the table's owner too, who can switch the append-only trigger off: he can change
rows, but not without `verify_audit` noticing.

Appends are serialised (a transaction-scoped advisory lock on PostgreSQL, SQLite's own write lock
in development), so concurrent writers still form one chain in id order.
"""

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connections

# The Masters' alert (qoricash.alerts) when the chain is found broken.
ALERT_KIND = "audit_chain"
ANCHOR = hashlib.sha256(b"QoriCash audit trail").hexdigest()
# pg_advisory_xact_lock key of the append (any fixed 64-bit number; "audit" in ASCII).
APPEND_LOCK = 0x6175646974
CONTENT_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "message",
    "ip",
    "user_agent",
    "request_id",
)


def _ip(value):
    # The database normalises addresses (inet); the exploded form is the same before and after.
    if not value:
        return None
    try:
        return ipaddress.ip_address(str(value)).exploded
    except ValueError:
        return str(value)


def canonical(values: dict) -> str:
    """The entry's content as one canonical JSON text (what the hash covers)."""
    at = values["at"]
    content = {name: values.get(name) for name in CONTENT_FIELDS}
    content["at"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if at else None
    content["ip"] = _ip(values.get("ip"))
    content["changes"] = values.get("changes") or {}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(values)}".encode()).hexdigest()


def values_of(entry) -> dict:
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


def seal(entry, using="default"):
    """Give a new entry its link and hash. Call inside the transaction that saves it."""
    from accounts.models import AuditEntry

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])
    last = AuditEntry.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
    entry.prev_hash = last or ANCHOR
    entry.hash = digest(entry.prev_hash, values_of(entry))


def seal_many(entries, using="default"):
    """`seal` for new entries inserted together in this order (one bulk insert gives them ascending
    ids): one lock and one read of the head for all of them. Call inside the transaction that saves them."""
    if not entries:
        return
    seal(entries[0], using=using)
    for previous, entry in zip(entries, entries[1:], strict=False):
        entry.prev_hash = previous.hash
        entry.hash = digest(entry.prev_hash, values_of(entry))


@dataclass
class ChainReport:
    checked: int = 0
    head: str = ANCHOR  # hash of the last entry that verified (ANCHOR for an empty trail)
    broken_id: int | None = None
    broken_at: object = None
    problem: str = ""
    known_head_found: bool | None = None

    @property
    def ok(self):
        return self.broken_id is None and self.known_head_found is not False


def verify_chain(*, known_head=None, using="default", batch=2000) -> ChainReport:
    """Walk the whole trail in id order and stop at the first broken or missing link.

    `known_head`: a head recorded earlier (e.g. in a backup manifest); if no entry carries it, the
    newest entries were removed or the trail was rewritten.
    """
    from accounts.models import AuditEntry

    report = ChainReport(known_head_found=None if not known_head else known_head == ANCHOR)
    expected_prev = ANCHOR
    rows = AuditEntry.objects.using(using).order_by("id")
    for entry in rows.iterator(chunk_size=batch):
        if entry.prev_hash != expected_prev:
            problem = "missing link: the entry before it was deleted or altered"
            if expected_prev == ANCHOR:
                problem = "missing link: the first entries were deleted"
            return _broken(report, entry, problem)
        if entry.hash != digest(entry.prev_hash, values_of(entry)):
            return _broken(report, entry, "content altered: its hash does not match what it says")
        report.checked += 1
        report.head = expected_prev = entry.hash
        if known_head and entry.hash == known_head:
            report.known_head_found = True
    if known_head and not report.known_head_found:
        report.problem = "the known head is not in the trail: the newest entries were removed or rewritten"
    return report


def _broken(report, entry, problem):
    report.broken_id, report.broken_at, report.problem = entry.pk, entry.at, problem
    return report


def manifest_fact():
    """What each backup manifest keeps of the trail: the head it verified up to.

    Kept off the machine, it is the `--known-head` a later `verify_audit` checks against, so a trail
    whose newest entries were removed (which a walk of what is left cannot see) is caught too.
    """
    report = verify_chain()
    return {"head": report.head, "entries": report.checked, "intact": report.ok}
