"""The outbox: every e-mail the product sends is a row written in the transaction of the change that
causes it, then delivered after commit (best effort, bounded by EMAIL_TIMEOUT) and retried by
`manage.py send_pending_emails`. See `queue.enqueue` and `delivery.deliver_pending`."""
