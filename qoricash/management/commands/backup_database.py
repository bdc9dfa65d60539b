"""Back up the database: a dump plus its manifest, optionally copied off the machine, old ones pruned.

Runs unattended (Render cron job, crontab, Windows Task Scheduler): it never asks anything, prints
its progress and a last line saying what was written where, and exits non-zero on any failure.
The procedure around it is docs/backups.md.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qoricash import display
from qoricash.models import BackupRecord
from qoricash.recovery import RecoveryError, archive, services


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc, or SQLite's backup API) with a manifest; --upload copies it to storage."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="backups", help="Local folder for the dumps (created if missing).")
        parser.add_argument("--upload", action="store_true", help="Copy dump and manifest to the private storage.")
        parser.add_argument("--keep-days", type=int, default=30, help="Delete backups older than this (0 keeps all).")
        parser.add_argument("--list", action="store_true", help="List the backups (local and in storage) and exit.")
        parser.add_argument("--pg-dump", default="pg_dump", help="pg_dump binary to use.")

    def handle(self, *args, dir, upload, keep_days, list, pg_dump, **options):
        try:
            if list:
                return self.show(dir)
            services.backup(folder=dir, upload=upload, keep_days=keep_days, pg_dump=pg_dump, say=self.stdout.write)
        except RecoveryError as exc:
            raise CommandError(str(exc)) from exc

    def show(self, folder):
        entries = archive.listing(folder)
        if not entries:
            self.stdout.write(_("No backups in %(folder)s/ or in storage.") % {"folder": folder})
            return
        records = BackupRecord.objects.in_bulk([e.name for e in entries], field_name="name")
        headers = (_("Backup"), _("Date"), _("Size"), _("Where"), _("Verified"))
        self.stdout.write("{:<32} {:<17} {:>10}  {:<22} {}".format(*headers))
        for entry in entries:
            record = records.get(entry.name)
            if record is None or record.verified_at is None:
                verified = _("no")
            elif record.verified_ok:
                verified = _("yes, %(when)s") % {"when": display.datetime(record.verified_at)}
            else:
                verified = _("FAILED, %(when)s") % {"when": display.datetime(record.verified_at)}
            where = " + ".join(
                place for place, present in ((_("local"), entry.local), (_("storage"), entry.stored)) if present
            )
            self.stdout.write(
                f"{entry.name:<32} {display.datetime(entry.created):<17} {display.filesize(entry.size):>10}  "
                f"{where:<22} {verified}"
            )
