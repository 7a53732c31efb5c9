# The background tasks moved with their modules (tickets/sla/, tickets/notifications/): tasks
# queued before an upgrade still name the old paths, so a worker could not import them. Unfinished
# ones are pointed at the new paths; finished ones keep the path they ran under.

from django.db import migrations

MOVED = {
    "tickets.recompute.recompute_task": "tickets.sla.recompute.recompute_task",
    "tickets.notifications.deliver_notification_task": (
        "tickets.notifications.delivery.deliver_notification_task"
    ),
    "tickets.notifications.deliver_combined_task": (
        "tickets.notifications.delivery.deliver_combined_task"
    ),
}


def forwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=old, finished_at__isnull=True).update(task_path=new)


def backwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=new, finished_at__isnull=True).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("tickets", "0011_notification_rules_move"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
