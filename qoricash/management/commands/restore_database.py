"""Restore a backup: checked against its manifest first, then all or nothing, then the row counts.

`--database-url` restores into another database instead: the documented way to look at an old
backup without touching production (docs/backups.md).
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qoricash.recovery import RecoveryError, services
from qoricash.recovery.report import write_comparison


class Command(BaseCommand):
    help = "Restore a backup (a name from backup_database --list, or a path) into the database, replacing its tables."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="Backup name (qoricash_YYYYmmdd_HHMMSS) or path to a .dump file.")
        parser.add_argument("--database-url", help="Restore into this database instead of the configured one.")
        parser.add_argument("--dir", default="backups", help="Local folder of the dumps.")
        parser.add_argument("--yes", action="store_true", help="Confirm: the target's tables are replaced.")

    def handle(self, *args, backup, database_url, dir, yes, **options):
        def confirm(description):
            if yes:
                return True
            if not sys.stdin.isatty():
                raise RecoveryError(
                    _(
                        "Restoring replaces every table of %(db)s. Run it again with --yes to confirm; "
                        "nothing was changed."
                    )
                    % {"db": description}
                )
            self.stdout.write(_("Every table of %(db)s will be replaced by the backup.") % {"db": description})
            return input(_("Type yes to continue: ")).strip().lower() in {"yes", "si", "sí"}

        try:
            manifest, rows = services.restore(
                backup, folder=dir, database_url=database_url, confirm=confirm, say=self.stdout.write
            )
        except RecoveryError as exc:
            raise CommandError(str(exc)) from exc
        differing = write_comparison(self.stdout.write, rows)
        if differing:
            raise CommandError(
                _("Restored %(name)s, but %(n)s tables do not match the backup (see above).")
                % {"name": manifest.name, "n": differing}
            )
        self.stdout.write(_("Restore OK: %(name)s, every table as in the backup.") % {"name": manifest.name})
