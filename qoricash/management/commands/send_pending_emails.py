from django.core.management.base import BaseCommand

from qoricash.outbox.delivery import deliver_pending
from qoricash.outbox.watch import alert_if_failing


class Command(BaseCommand):
    help = "Send the outbox's due e-mails (retries with backoff) and alert the Masters when mail keeps failing."

    def handle(self, *args, **options):
        # A mail server that is down is the outbox's normal weather, not this command's failure:
        # it reports and exits 0. Only an error of its own (database, code) makes it exit non-zero.
        report = deliver_pending()
        self.stdout.write(f"send_pending_emails: {report}")
        if alert_if_failing():
            self.stdout.write("send_pending_emails: alert queued for the Masters (mail failing over an hour)")
            # The alert goes out now if the server has come back; otherwise it waits like the rest.
            deliver_pending()
