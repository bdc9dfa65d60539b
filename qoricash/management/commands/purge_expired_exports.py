from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qoricash import background_exports


class Command(BaseCommand):
    help = _("Delete the files of background exports past their download period (run by cron).")

    def handle(self, *args, **options):
        count = background_exports.purge_expired()
        self.stdout.write(_("Expired export files deleted: %(count)d.") % {"count": count})
