"""python manage.py export_position --date YYYY-MM-DD --output FILE"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from operations.models import Operation, OperationType
from qoricash import display
from reports import excel, services
from reports.audit_actions import ReportAction

from ._common import atomic_output, check_output, parse_date


class Command(BaseCommand):
    help = _("Export the position of a Lima day to an Excel file (Posicion_YYYY-MM-DD.xlsx layout).")

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("YYYY-MM-DD (default: today in Lima)"))
        parser.add_argument("--output", help=_("the .xlsx file to write"))

    def handle(self, *args, **options):
        day = parse_date(options["date"], "--date") if options["date"] else services.lima_today()
        path = check_output(options["output"])
        scoped = Operation.objects.all()
        position = services.compute_position(scoped, day, day, rows_limit=0)
        rows = (
            services.iter_position_rows(scoped, day, day, OperationType.BUY),
            services.iter_position_rows(scoped, day, day, OperationType.SELL),
        )
        with atomic_output(path) as handle:
            excel.write_position(position, handle, include_profit=True, rows=rows)
        services.record_report_access(
            ReportAction.POSITION_EXPORTED,
            _("export_position command: %(date)s, %(count)s operations → %(path)s")
            % {"date": display.date(day), "count": position.count, "path": path},
            by=None,
        )
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Position of %(date)s (%(count)s operations) written to %(path)s.")
                    % {"date": display.date(day), "count": position.count, "path": path}
                )
            )
