"""Prove a backup restorable: restore it into a scratch database and compare every table.

Exits non-zero when the file is damaged or any table differs from the manifest; the result is
kept (backup_database --list, the Master's index).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qoricash.recovery import RecoveryError, services
from qoricash.recovery.report import write_comparison


class Command(BaseCommand):
    help = "Restore a backup into a scratch database, compare every table's rows with its manifest, drop it."

    def add_arguments(self, parser):
        parser.add_argument("backup", nargs="?", help="Backup name or path (default: the newest one).")
        parser.add_argument("--dir", default="backups", help="Local folder of the dumps.")

    def handle(self, *args, backup, dir, **options):
        try:
            if not backup:
                backup = services.newest(dir)
            manifest, rows = services.verify(backup, folder=dir, say=self.stdout.write)
        except RecoveryError as exc:
            raise CommandError(str(exc)) from exc
        differing = write_comparison(self.stdout.write, rows)
        if differing:
            raise CommandError(_("Verification FAILED: %(name)s differs from its manifest.") % {"name": manifest.name})
        self.stdout.write(_("Verification OK: %(name)s restores completely.") % {"name": manifest.name})
