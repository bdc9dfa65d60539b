"""The SMTP backend the project uses: Django's, plus an optional deadline for the whole exchange.

A socket timeout alone bounds each read, not the conversation: a server answering every command
just before the timeout would hold a request for minutes. With `deadline` set (a time.monotonic()
value), every command and reply gets only the time left, and none at all once it has passed.
"""

import smtplib
import time

from django.core.mail.backends import smtp


class DeadlineExceeded(TimeoutError):
    pass


class _DeadlineMixin:
    deadline = None

    def _bound(self):
        if self.deadline is None or self.sock is None:
            return
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("mail delivery deadline passed")
        self.sock.settimeout(remaining)

    def send(self, s):
        self._bound()
        return super().send(s)

    def getreply(self):
        self._bound()
        return super().getreply()


class DeadlineSMTP(_DeadlineMixin, smtplib.SMTP):
    pass


class DeadlineSMTPSSL(_DeadlineMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    deadline = None

    @property
    def connection_class(self):
        cls = DeadlineSMTPSSL if self.use_ssl else DeadlineSMTP
        deadline = self.deadline
        return type(cls.__name__, (cls,), {"deadline": deadline})
