"""python manage.py export_history --from YYYY-MM-DD --to YYYY-MM-DD [--status ...] [--trader USER] --output FILE"""

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from operations.models import Operation, OperationStatus
from qoricash import display
from reports import excel, services
from reports.audit_actions import ReportAction

from ._common import atomic_output, check_output, parse_date

PROGRESS_EVERY = 10_000


class Command(BaseCommand):
    help = _("Export the operations history (created between two Lima dates, inclusive) to an Excel file.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            help=_("status code (%(codes)s); repeat it or separate with commas")
            % {"codes": ", ".join(OperationStatus.values)},
        )
        parser.add_argument("--trader", help=_("username of the account executive"))
        parser.add_argument("--output", help=_("the .xlsx file to write"))

    def handle(self, *args, **options):
        if not options["date_from"] or not options["date_to"]:
            raise CommandError(_("Give both --from YYYY-MM-DD and --to YYYY-MM-DD."))
        date_from = parse_date(options["date_from"], "--from")
        date_to = parse_date(options["date_to"], "--to")
        try:
            services.check_range(date_from, date_to)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        statuses = [s.strip() for value in options["status"] for s in value.split(",") if s.strip()]
        unknown = sorted(set(statuses) - set(OperationStatus.values))
        if unknown:
            raise CommandError(
                _("Unknown status %(bad)s; valid: %(codes)s.")
                % {"bad": ", ".join(unknown), "codes": ", ".join(OperationStatus.values)}
            )
        trader = None
        if options["trader"]:
            trader = get_user_model().objects.filter(username=options["trader"]).first()
            if trader is None:
                raise CommandError(_("There is no user “%(name)s”.") % {"name": options["trader"]})
        path = check_output(options["output"])

        queryset = services.history_queryset(Operation.objects.all(), date_from, date_to, statuses, trader)
        total = queryset.count()
        started = time.monotonic()
        verbose = options["verbosity"] > 0

        def progress(done):
            if verbose:
                elapsed = time.monotonic() - started
                self.stdout.write(
                    _("  %(done)s / %(total)s rows (%(pct)s %%), %(secs)s s")
                    % {
                        "done": f"{done:,}",
                        "total": f"{total:,}",
                        "pct": done * 100 // max(total, 1),
                        "secs": f"{elapsed:.0f}",
                    }
                )

        if verbose:
            self.stdout.write(_("Exporting %(total)s operations to %(path)s …") % {"total": f"{total:,}", "path": path})
        rows = services.history_values(queryset).iterator(chunk_size=2000)
        with atomic_output(path) as handle:
            totals = excel.write_history(
                rows, handle, include_creator=True, progress=progress, progress_every=PROGRESS_EVERY
            )
        detail = _(
            "export_history command: %(count)s operations, %(start)s to %(end)s, status %(status)s, "
            "trader %(trader)s → %(path)s"
        ) % {
            "count": totals["rows"],
            "start": display.date(date_from, empty="*"),
            "end": display.date(date_to, empty="*"),
            "status": ",".join(statuses) or "*",
            "trader": options["trader"] or "*",
            "path": path,
        }
        services.record_report_access(ReportAction.HISTORY_EXPORTED, detail, by=None)
        if verbose:
            self.stdout.write(
                self.style.SUCCESS(
                    pgettext("report", "%(count)s operations written to %(path)s in %(secs)s s.")
                    % {"count": f"{totals['rows']:,}", "path": path, "secs": f"{time.monotonic() - started:.1f}"}
                )
            )
            # The same figures as the file's totals rows: cancelled operations are listed but not added up.
            self.stdout.write(
                pgettext(
                    "report",
                    "Totals without cancelled operations: %(count)s operations, USD %(usd)s, PEN %(pen)s "
                    "(%(cancelled)s cancelled not included).",
                )
                % {
                    "count": f"{totals['count']:,}",
                    "usd": display.money(totals["usd"]),
                    "pen": display.money(totals["pen"]),
                    "cancelled": f"{totals['cancelled']['count']:,}",
                }
            )
