"""What apps above clients tell it about themselves at start-up; clients never imports them.

The clients list and export show how many operations each client has, but operations sits above
clients in the import graph. The operations app registers where its rows are (see
operations/client_hooks.py); without a registration the counts are 0.
"""

_client_operations = None


def register_client_operations(source):
    """`source(completed=False)` returns a queryset of operations with a `client` foreign key.

    With `completed=True` it returns only the completed ones.
    """
    global _client_operations
    _client_operations = source


def client_operations(*, completed=False):
    """The registered operations queryset, or None when no app registered one."""
    if _client_operations is None:
        return None
    return _client_operations(completed=completed)
