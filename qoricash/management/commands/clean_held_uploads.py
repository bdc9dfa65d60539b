from django.core.management.base import BaseCommand

from qoricash import held_uploads


class Command(BaseCommand):
    help = "Delete the files held across refused forms once they are older than their time limit (run by cron)."

    def handle(self, *args, **options):
        count = held_uploads.clean_expired()
        self.stdout.write(f"Archivos retenidos eliminados: {count}.")
