from django.core.management.base import BaseCommand

from accounts.services import sync_roles


class Command(BaseCommand):
    help = "Create the Master, Operador and Trader groups and grant their default permissions."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Make every role group exactly equal to accounts/roles.py (undoes manual changes).",
        )

    def handle(self, *args, reset=False, verbosity=1, **options):
        added = sync_roles(reset=reset, verbosity=verbosity)
        for role, count in added.items():
            verb = "set to" if reset else "added"
            self.stdout.write(f"{role}: {count} permission(s) {verb}")
