# Notification rules now belong to the tickets app (tickets/0011); the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0006_objective_triggers"),
        ("tickets", "0011_notification_rules_move"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NotificationRule")],
            database_operations=[],
        ),
    ]
