"""The anti-money-laundering rules (SPLAFT) on operations, as plain functions of the settings.

The thresholds are settings in USD (docs/cumplimiento.md); nothing here assumes their value:
- the operations register (Registro de Operaciones, UIF): a single operation at or above
  COMPLIANCE_RO_SINGLE_USD, or a client's operations not cancelled in one calendar month (Lima time)
  adding up to COMPLIANCE_RO_MONTHLY_USD or more: then every one of them belongs to the register;
- the origin of the funds is declared for an operation at or above COMPLIANCE_ORIGIN_FUNDS_USD;
- a PEP client's operation at or above that same threshold waits for the compliance officer.
"""

import datetime as dt
import zoneinfo

from django.conf import settings

from qoricash import money

LIMA = zoneinfo.ZoneInfo("America/Lima")


def single_threshold():
    return money.cents(settings.COMPLIANCE_RO_SINGLE_USD)


def monthly_threshold():
    return money.cents(settings.COMPLIANCE_RO_MONTHLY_USD)


def origin_threshold():
    return money.cents(settings.COMPLIANCE_ORIGIN_FUNDS_USD)


def month_bounds(moment):
    """[start, end) of the calendar month, in Lima, that contains the aware datetime `moment`."""
    local = moment.astimezone(LIMA)
    start = dt.datetime(local.year, local.month, 1, tzinfo=LIMA)
    end = dt.datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=LIMA)
    return start, end


def month_of(year, month):
    """[start, end) of a calendar month in Lima (the register page and its command)."""
    return month_bounds(dt.datetime(year, month, 15, tzinfo=LIMA))


def is_single(amount_usd):
    return money.to_decimal(amount_usd) >= single_threshold()


def is_multiple(month_total_usd):
    return money.to_decimal(month_total_usd) >= monthly_threshold()


def needs_origin_of_funds(op):
    return op.amount_usd is not None and op.amount_usd >= origin_threshold()


def needs_pep_approval(op):
    """A PEP client's operation at or above the origin-of-funds threshold (reinforced due diligence)."""
    return bool(op.client.is_pep) and needs_origin_of_funds(op)
