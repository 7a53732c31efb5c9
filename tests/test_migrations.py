import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = io.StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)


@pytest.mark.django_db(transaction=True)
def test_queued_tasks_follow_their_moved_modules() -> None:
    """A task queued under a module path from before the move runs after the upgrade; one
    that already ran keeps the path it ran under."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [
        ("tickets", "0011_notification_rules_move"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    results = old_apps.get_model("django_tasks_database", "DBTaskResult")
    common = {
        "args_kwargs": {"args": [1], "kwargs": {}},
        "queue_name": "default",
        "run_after": timezone.now(),
    }
    queued = results.objects.create(task_path="tickets.recompute.recompute_task", **common)
    ran = results.objects.create(
        task_path="tickets.notifications.deliver_notification_task",
        finished_at=timezone.now(),
        status="SUCCESSFUL",
        **common,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    queued.refresh_from_db()
    ran.refresh_from_db()
    assert queued.task_path == "tickets.sla.recompute.recompute_task"
    assert ran.task_path == "tickets.notifications.deliver_notification_task"
