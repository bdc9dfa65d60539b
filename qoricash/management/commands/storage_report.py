"""Storage report: files and bytes by kind, the provider's figure, and the alert when over the threshold.

Runs daily as a cron job; the Master's index shows the last report.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qoricash import display
from qoricash.recovery import usage


class Command(BaseCommand):
    help = "Report the private storage's files and bytes by kind; e-mail the Masters above STORAGE_ALERT_BYTES."

    def handle(self, *args, **options):
        snapshot, provider_error = usage.take_snapshot(say=self.stdout.write)
        headers = (_("Kind"), _("Files"), _("Size"), _("Without size"))
        self.stdout.write("{:<24} {:>8} {:>12} {:>12}".format(*headers))
        for kind, row in sorted(snapshot.by_kind.items()):
            self.stdout.write(
                f"{usage.label(kind):<24} {row['files']:>8,} {display.filesize(row['bytes']):>12} {row['unknown']:>12,}"
            )
        self.stdout.write(_("Recorded total: %(size)s") % {"size": display.filesize(snapshot.recorded_bytes)})
        if snapshot.provider_bytes is not None:
            self.stdout.write(
                _("According to %(backend)s: %(size)s")
                % {"backend": snapshot.backend, "size": display.filesize(snapshot.provider_bytes)}
            )
        percent = 100 * snapshot.used_bytes / snapshot.alert_bytes if snapshot.alert_bytes else 0
        self.stdout.write(
            _("Alert threshold: %(limit)s (%(percent)s%% used).")
            % {"limit": display.filesize(snapshot.alert_bytes), "percent": f"{percent:.0f}"}
        )
        if snapshot.over_threshold:
            self.stdout.write(
                _("OVER THE THRESHOLD: the Masters were alerted.")
                if snapshot.alerted
                else _("OVER THE THRESHOLD: the Masters were already alerted in the last 24 hours.")
            )
        if provider_error:
            raise CommandError(str(provider_error))
