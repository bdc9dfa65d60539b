import logging

from qoricash import context


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every record so one request's lines can be grepped together."""

    def filter(self, record):
        record.request_id = context.get().request_id
        return True
