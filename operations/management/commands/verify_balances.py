"""Recompute every house account's stored day balances from its movements and report any drift.

The balances are kept by operations.treasury_ledger in the transaction of each movement; a row that
differs means the movements were changed around the services (a manual SQL fix, a restore of part
of the data). `--fix` rebuilds the drifted accounts from their movements. Exits non-zero on drift.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from operations import treasury_ledger
from operations.models import HouseBankAccount
from qoricash import display


class Command(BaseCommand):
    help = "Recompute the house accounts' stored day balances from the movements; report (or --fix) any drift."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="rebuild the drifted accounts from their movements")

    def handle(self, *args, fix=False, **options):
        accounts = list(HouseBankAccount.objects.order_by("pk"))
        found = treasury_ledger.drift(accounts)
        if not found:
            self.stdout.write(_("Stored balances match the movements: %(n)s accounts.") % {"n": len(accounts)})
            return
        for d in found:
            self.stdout.write(
                _("%(account)s · %(date)s: stored %(stored)s, from the movements %(expected)s")
                % {
                    "account": d.account,
                    "date": display.date(d.date),
                    "stored": "-" if d.stored is None else display.money(d.stored, d.account.currency),
                    "expected": "-" if d.expected is None else display.money(d.expected, d.account.currency),
                }
            )
        summary = ngettext(
            "%(n)s day differs from the movements.", "%(n)s days differ from the movements.", len(found)
        ) % {"n": len(found)}
        if not fix:
            raise CommandError(summary)
        with transaction.atomic():
            for account_id in sorted({d.account.pk for d in found}):
                treasury_ledger.rebuild_from(account_id)
        self.stdout.write(summary + " " + _("Rebuilt from the movements."))
