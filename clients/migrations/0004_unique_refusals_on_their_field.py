# The database indexes are unchanged: only the constraints' refusals (the field they are shown on and
# the message) are new, so the constraints are altered in the migration state alone instead of being
# dropped and rebuilt.

import clients.constraints
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0003_client_search_text'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='client',
            name='uniq_client_document',
            constraint=clients.constraints.FieldUniqueConstraint(field='document_number', fields=('document_type', 'document_number'), name='uniq_client_document', violation_error_message='A client with %(document_type)s %(document_number)s is already registered.'),
        ),
        migrations.AlterConstraint(
            model_name='bankaccount',
            name='uniq_active_bank_account',
            constraint=clients.constraints.FieldUniqueConstraint(condition=models.Q(('is_active', True)), field='number', fields=('client', 'bank', 'account_type', 'currency', 'number'), name='uniq_active_bank_account', violation_error_message='This account is already registered and active for the client (same bank, type, currency and number).'),
        ),
    ]
