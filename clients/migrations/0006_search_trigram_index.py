from django.db import migrations

from qoricash.pg import trigram_index


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_client_compliance_data")]

    operations = [
        # Clients and operations lists' search by name, business name or e-mail: client_search_filter
        # compares the part of search_text after the document number with LIKE '%TERM%' (the document
        # number itself is matched as a prefix, through search_text's own index).
        trigram_index(
            "clients_client",
            "client_search_rest_trgm_idx",
            'SUBSTRING("search_text", (LENGTH("document_number") + 2))',
        ),
    ]
