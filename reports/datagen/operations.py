"""Generated operations with their deposits, payouts and events, as the services would have left them.

Each operation is planned to end completed (87 %), cancelled (10 %), returned to Pendiente (1 %) or
left Pendiente (2 %), with a timeline (deposits, sent, payouts, completed); steps after the cut-off
(the end of the last day) have not happened yet, so the newest operations are still Pendiente or En
proceso, as on a working day. Sums follow the rules the transitions check: deposits add up to what
the client sends before going to process, payouts (each with its voucher) to what it receives.
"""

import bisect
import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from operations.models import EventAction, Operation, OperationStatus, OperationType
from operations.services.creation import CODE_FLOOR
from reports.services import LIMA

OPENING, CLOSING = dt.time(8, 30), dt.time(18, 30)
SETTLING = dt.timedelta(minutes=20)  # after the last operation of the last day, the queue still moves
CENT = Decimal("0.01")
PENDING, IN_PROCESS = OperationStatus.PENDING, OperationStatus.IN_PROCESS
COMPLETED, CANCELLED = OperationStatus.COMPLETED, OperationStatus.CANCELLED
REASONS_CANCEL = ("El cliente desistió", "Tipo de cambio no aceptado", "Fondos no recibidos")
REASONS_RETURN = ("El abono no coincide con el voucher", "Falta el número de operación")


class ClientRow(NamedTuple):
    id: int
    owner: int
    created: dt.datetime
    deactivated: dt.datetime | None
    pen: tuple  # (account id, snapshot)
    usd: tuple


OPERATION_FIELDS = (
    "id",
    "code",
    "client",
    "type",
    "amount_usd",
    "rate",
    "base_rate",
    "amount_pen",
    "profit_pen",
    "source_account",
    "destination_account",
    "source_snapshot",
    "destination_snapshot",
    "status",
    "created_by",
    "trader",
    "assigned_operator",
    "processed_by",
    "created_at",
    "sent_to_process_at",
    "completed_at",
    "cancelled_at",
    "returned_at",
    "updated_at",
)
MOVEMENT_FIELDS = ("id", "operation", "amount", "client_account", "house_account", "created_by", "created_at")
FILE_FIELDS = ("file", "original_name", "content_type", "size", "sha256")
DEPOSIT_FIELDS = (*MOVEMENT_FIELDS, "bank_reference", *FILE_FIELDS)
PAYOUT_FIELDS = (*MOVEMENT_FIELDS, *FILE_FIELDS)
EVENT_FIELDS = ("operation", "action", "from_status", "to_status", "by", "at", "reason", "data")


def day_counts(days, total):
    """How many operations each day gets: fewer on weekends, the business growing over the period."""
    weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.1)
    weights = [weekday[d.weekday()] * (0.6 + 0.8 * n / len(days)) for n, d in enumerate(days)]
    scale = total / sum(weights)
    # Cumulative rounding: exactly `total` in all, each day within one of its share.
    counts, acc, done = [], 0.0, 0
    for w in weights:
        acc += w * scale
        counts.append(round(acc) - done)
        done += counts[-1]
    return counts


def split(amount, parts, rnd):
    """`amount` in `parts` positive cent amounts adding up exactly."""
    if parts == 1 or amount < parts * 10:
        return [amount]
    cuts = sorted(rnd.sample(range(1, int(amount * 100)), parts - 1))
    bounds = [0, *cuts, int(amount * 100)]
    return [Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False)]


def minutes(rnd, low, high):
    return dt.timedelta(seconds=rnd.randint(low * 60, high * 60))


class Writer:
    """Plans one operation and writes its rows."""

    def __init__(self, tables, staff, house, voucher, cutoff, rnd):
        self.t, self.staff, self.house, self.voucher = tables, staff, house, voucher
        self.cutoff, self.rnd = cutoff, rnd

    def event(self, op_id, action, by, at, *, frm="", to="", reason="", data=None):
        self.t["events"].add((op_id, action, frm, to, by, at, reason, data or {}))

    def movement(self, kind, op_id, amount, client_acc, currency, by, at, *, with_file):
        rnd = self.rnd
        table = self.t[kind]
        row_id = table.next_id()
        house_id, house_text = rnd.choice(self.house[currency])
        file_facts = (*self.voucher[:2], "application/pdf", *self.voucher[2:]) if with_file else ("", "", "", None, "")
        row = (row_id, op_id, amount, client_acc[0], house_id, by, at)
        reference = f"{rnd.randrange(10**7, 10**8)}" if kind == "deposits" else None
        table.add(row + ((reference,) if kind == "deposits" else ()) + file_facts)
        data = {
            "id": row_id,
            "amount": str(amount),
            "bank_reference": reference,
            "client_account": client_acc[1],
            "house_account": house_text,
            "voucher": file_facts[1],
            "sha256": file_facts[4],
        }
        action = EventAction.DEPOSIT_ADDED if kind == "deposits" else EventAction.PAYOUT_ADDED
        self.event(op_id, action, by, at, data=data)

    def operation(self, op_id, code, client, rate_row, created):
        rnd, cutoff = self.rnd, self.cutoff
        base, buy, sell = rate_row
        op_type = OperationType.BUY if rnd.random() < 0.55 else OperationType.SELL
        usd = Decimal(int(rnd.lognormvariate(8.3, 1.1) * 100)) / 100
        usd = min(max(usd, Decimal("50.00")), Decimal("250000.00"))
        rate = buy if op_type == OperationType.BUY else sell
        if rnd.random() < 0.1:  # a negotiated rate, better for the client, never past the base
            better = Decimal(rnd.randint(5, 40)) / 10000
            rate = min(rate + better, base) if op_type == OperationType.BUY else max(rate - better, base)
        pen, profit = Operation.compute_amounts(op_type, usd, rate, base)
        sends, receives = (client.usd, client.pen) if op_type == OperationType.BUY else (client.pen, client.usd)
        send_cur, recv_cur = ("USD", "PEN") if op_type == OperationType.BUY else ("PEN", "USD")
        send_amount, recv_amount = (usd, pen) if op_type == OperationType.BUY else (pen, usd)
        trader = client.owner
        operator = rnd.choice(self.staff["operators"])
        self.event(
            op_id,
            EventAction.CREATED,
            trader,
            created,
            to=PENDING,
            data={
                "type": op_type,
                "amount_usd": str(usd),
                "rate": str(rate),
                "base_rate": str(base),
                "amount_pen": str(pen),
                "profit_pen": str(profit),
            },
        )
        roll = rnd.random()
        plan = "completed" if roll < 0.87 else "cancelled" if roll < 0.97 else "returned" if roll < 0.98 else "stale"
        if client.deactivated and plan in ("returned", "stale"):
            plan = "completed"
        status, assigned, processed, sent_at, done_at, cancelled_at = PENDING, None, None, None, None, None
        returned_at = None
        last = created
        t = created + minutes(rnd, 2, 12)
        deposits = 0
        if plan == "stale" or (plan == "cancelled" and roll < 0.93):
            # Left (or cancelled) while Pendiente: maybe a first deposit that does not cover it yet.
            if rnd.random() < 0.4 and t <= cutoff:
                part = (send_amount * Decimal(rnd.randint(20, 80)) / 100).quantize(CENT)
                self.movement("deposits", op_id, part, sends, send_cur, trader, t, with_file=rnd.random() < 0.5)
                last = t
            t_cancel = t + minutes(rnd, 10, 180)
            if plan == "cancelled" and t_cancel <= cutoff:
                status, cancelled_at, last = CANCELLED, t_cancel, t_cancel
                reason = rnd.choice(REASONS_CANCEL)
                self.event(op_id, EventAction.CANCELLED, trader, t_cancel, frm=PENDING, to=CANCELLED, reason=reason)
        else:
            for part in split(send_amount, 1 if rnd.random() < 0.8 else 2, rnd):
                if t > cutoff:
                    break
                self.movement("deposits", op_id, part, sends, send_cur, trader, t, with_file=rnd.random() < 0.5)
                deposits += part
                last, t = t, t + minutes(rnd, 1, 8)
            if deposits == send_amount and t <= cutoff:
                status, assigned, sent_at, last = IN_PROCESS, operator, t, t
                data = {"operator": None, "deposits_total": str(send_amount)}
                self.event(op_id, EventAction.SENT_TO_PROCESS, trader, t, frm=PENDING, to=IN_PROCESS, data=data)
                t += minutes(rnd, 2, 25)
                if plan == "returned" and t <= cutoff:
                    status, assigned, sent_at, last, returned_at = PENDING, None, None, t, t
                    reason = rnd.choice(REASONS_RETURN)
                    self.event(op_id, EventAction.RETURNED, operator, t, frm=IN_PROCESS, to=PENDING, reason=reason)
                elif plan == "cancelled" and t <= cutoff:
                    status, cancelled_at, last = CANCELLED, t, t
                    reason = rnd.choice(REASONS_CANCEL)
                    self.event(op_id, EventAction.CANCELLED, operator, t, frm=IN_PROCESS, to=CANCELLED, reason=reason)
                elif plan == "completed":
                    paid = Decimal(0)
                    parts = split(recv_amount, rnd.choices((1, 2, 3), weights=(85, 12, 3))[0], rnd)
                    for part in parts:
                        if t > cutoff:
                            break
                        self.movement("payouts", op_id, part, receives, recv_cur, operator, t, with_file=True)
                        paid += part
                        last, t = t, t + minutes(rnd, 1, 6)
                    if paid == recv_amount and t <= cutoff:
                        status, processed, done_at, last = COMPLETED, operator, t, t
                        data = {"payouts_total": str(recv_amount)}
                        self.event(op_id, EventAction.COMPLETED, operator, t, frm=IN_PROCESS, to=COMPLETED, data=data)
        self.t["operations"].add(
            (
                op_id,
                code,
                client.id,
                op_type,
                usd,
                rate,
                base,
                pen,
                profit,
                sends[0],
                receives[0],
                sends[1],
                receives[1],
                status,
                trader,
                trader,
                assigned,
                processed,
                created,
                sent_at,
                done_at,
                cancelled_at,
                returned_at,
                last,
            )
        )


def write_operations(plan, days, rates, clients, staff, house, voucher, tables, rnd, cutoff, progress):
    """Every operation, day by day in time order (codes increase with creation); returns the last code."""
    writer = Writer(tables, staff, house, voucher, cutoff, rnd)
    counts = day_counts(days, plan.operations)
    registered = [c.created for c in clients]
    code = CODE_FLOOR
    bar = progress.bar("operations", plan.operations)
    for day, count in zip(days, counts, strict=True):
        opening = dt.datetime.combine(day, OPENING, tzinfo=LIMA)
        closing = min(dt.datetime.combine(day, CLOSING, tzinfo=LIMA), cutoff - SETTLING)
        if closing <= opening:
            opening = dt.datetime.combine(day, dt.time(0), tzinfo=LIMA)
            closing = max(opening + dt.timedelta(minutes=1), cutoff - SETTLING)
        seconds = int((closing - opening).total_seconds())
        # Clients registered by the end of the day (index order is registration order).
        known = _bisect(registered, closing)
        for offset in sorted(rnd.randrange(seconds) for _ in range(count)):
            created = opening + dt.timedelta(seconds=offset)
            client = clients[min(int(known * rnd.random() ** 1.3), known - 1)]
            if client.created > created or (client.deactivated and client.deactivated <= created):
                client = clients[rnd.randrange(_bisect(registered, created) or 1)]
                if client.deactivated and client.deactivated <= created:
                    client = next((c for c in clients if not c.deactivated), client)
            code += 1
            writer.operation(tables["operations"].next_id(), f"EXP-{code}", client, rates[day], created)
            bar.update(tables["operations"].count)
    bar.done()
    return code


def _bisect(sorted_times, moment):
    return max(1, bisect.bisect_right(sorted_times, moment))
