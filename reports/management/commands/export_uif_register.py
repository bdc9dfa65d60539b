"""python manage.py export_uif_register --month YYYY-MM --output FILE (the compliance officer's monthly routine)"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports import services, uif
from reports.audit_actions import ReportAction

from ._common import atomic_output, check_output


class Command(BaseCommand):
    help = _("Export the operations register (UIF) of a calendar month (Lima time) to an Excel file.")

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--output", help=_("the .xlsx file to write"))

    def handle(self, *args, **options):
        if not options["month"]:
            raise CommandError(_("Give the month with --month YYYY-MM."))
        try:
            month = uif.parse_month(options["month"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        path = check_output(options["output"])
        with atomic_output(path) as handle:
            count = uif.write_register(uif.register_operations(month), handle)
        services.record_report_access(
            ReportAction.UIF_REGISTER_EXPORTED,
            _("export_uif_register command: %(count)s operations of %(month)s → %(path)s")
            % {"count": count, "month": month.value, "path": path},
            by=None,
        )
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(count)s operations of %(month)s written to %(path)s.")
                    % {"count": count, "month": month.label, "path": path}
                )
            )
