import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app may contribute demo data through `<app>.demo.seed(stdout)`, in dependency order.
DEMO_MODULES = ("accounts.demo", "clients.demo", "operations.demo", "reports.demo")


class Command(BaseCommand):
    help = "Load demo users and data for local development (idempotent; refused when DEBUG is false)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="the port runserver will serve on (printed in the URL)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=true: it creates users with known passwords.")
        self.stdout.write("Usuarios de demostración:")
        with transaction.atomic():
            for name in DEMO_MODULES:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                module.seed(stdout=self.stdout)
        url = f"http://127.0.0.1:{options['port']}/admin/"
        self.stdout.write(self.style.SUCCESS(f"Datos de demostración listos: {url}"))
