"""What the operations app tells the clients app about itself (clients never imports operations)."""

from clients.hooks import register_client_operations
from operations.models import Operation, OperationStatus


def client_operations(*, completed=False):
    operations = Operation.objects.all()
    return operations.filter(status=OperationStatus.COMPLETED) if completed else operations


register_client_operations(client_operations)
