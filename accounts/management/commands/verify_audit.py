"""Walk the audit trail's hash chain; exit non-zero and alert the Masters at the first broken link.

Run daily (render.yaml's cron). `--known-head` takes a head recorded earlier (the backups' manifest
keeps one): if no entry carries it, the newest entries were removed or the trail was rewritten.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.auditchain import ALERT_KIND, verify_chain
from qoricash import display
from qoricash.alerts import alert_masters


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken or missing link."

    def add_arguments(self, parser):
        parser.add_argument("--known-head", default="", help="a head hash recorded earlier that must be in the trail")

    def handle(self, *args, known_head="", **options):
        report = verify_chain(known_head=known_head or None)
        if report.ok:
            self.stdout.write(f"Audit trail intact: {report.checked} entries, head {report.head}")
            return
        if report.broken_id is not None:
            when = display.datetime(report.broken_at)
            where = _("entry %(id)s of %(date)s") % {"id": report.broken_id, "date": when}
            summary = f"{where}: {report.problem}"
            logged = f"entry {report.broken_id} of {when}: {report.problem}"
        else:
            summary = logged = report.problem
        body = _(
            "The audit trail failed its integrity check at %(where)s.\n\n"
            "Entries checked before it: %(checked)s. Last intact hash: %(head)s.\n\n"
            "Someone with direct access to the database may have changed or deleted audit entries. "
            "Keep the database as it is and compare it with the latest backup."
        ) % {"where": summary, "checked": report.checked, "head": report.head}
        alert_masters(ALERT_KIND, _("The audit trail was altered"), body)
        raise CommandError(f"Audit trail broken at {logged} (checked {report.checked}, last intact head {report.head})")
