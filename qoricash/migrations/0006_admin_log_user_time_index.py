from django.db import migrations

# The admin index's "Recent actions" reads a user's ten latest LogEntry rows. Django indexes
# django_admin_log by user only, so the query sorts every entry the user ever made: years of
# admin saves on each visit to the index. Both PostgreSQL and SQLite accept this statement.
INDEX = "admin_log_user_time_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("qoricash", "0005_outbound_email_confidential"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON django_admin_log (user_id, action_time DESC)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
