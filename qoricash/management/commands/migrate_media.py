"""Copy every private file to another storage backend (Cloudinary full → S3), each copy verified.

Resumable: run it again after an interruption and only what is missing is copied. The procedure
around it (credentials, the switch of STORAGE_BACKEND, the second pass) is in docs/contingencia.md.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qoricash import display
from qoricash.recovery import RecoveryError, media


class Command(BaseCommand):
    help = "Copy the private files from the current storage (or --from) to --to, verifying size and SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, choices=sorted(settings.PRIVATE_STORAGES), help="Target storage.")
        parser.add_argument("--from", dest="source", choices=sorted(settings.PRIVATE_STORAGES), help="Source storage.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be copied; change nothing.")
        parser.add_argument("--limit", type=int, help="Copy at most this many files in this run.")

    def handle(self, *args, to, source, dry_run, limit, **options):
        if limit is not None and limit < 1:
            raise CommandError(_("--limit must be 1 or more."))
        try:
            totals = media.migrate(to=to, source=source, dry_run=dry_run, limit=limit, say=self.stdout.write)
        except RecoveryError as exc:
            raise CommandError(str(exc)) from exc
        size = display.filesize(totals.bytes)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was copied or changed (%(size)s to copy).") % {"size": size})
            return
        self.stdout.write(
            _("Copied and verified: %(copied)s files (%(size)s); already there: %(skipped)s; failed: %(failed)s.")
            % {"copied": totals.copied, "size": size, "skipped": totals.skipped, "failed": len(totals.failed)}
        )
        if totals.failed:
            raise CommandError(
                _("%(n)s files could not be copied (see above); run the command again once the cause is fixed.")
                % {"n": len(totals.failed)}
            )
        if totals.pending:
            self.stdout.write(_("%(n)s files remain: run the command again.") % {"n": totals.pending})
        else:
            self.stdout.write(
                _(
                    "Every file is in %(to)s. Set STORAGE_BACKEND=%(to)s (web service and cron jobs), then run this "
                    "command again with --from %(source)s to copy what was uploaded in between."
                )
                % {"to": to, "source": source or settings.STORAGE_BACKEND}
            )
