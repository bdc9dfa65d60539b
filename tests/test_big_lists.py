"""The lists that grow with the years never count every row of their table on a visit: no exact
count over the table and no "Show counts" (Django's facets count every choice of every filter)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

BIG_LISTS = [
    "admin:operations_operation_changelist",
    "admin:clients_client_changelist",
    "admin:accounts_auditentry_changelist",
    "admin:qoricash_outboundemail_changelist",
]


@pytest.mark.parametrize("name", BIG_LISTS)
def test_show_counts_is_not_offered_and_the_facets_parameter_counts_nothing(admin_client, name):
    url = reverse(name)
    with CaptureQueriesContext(connection) as plain:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert "_facets" not in response.content.decode()  # no "Mostrar recuentos" link
    with CaptureQueriesContext(connection) as asked:
        response = admin_client.get(url + "?_facets=True")
    assert response.status_code == 200
    assert len(asked) == len(plain)
