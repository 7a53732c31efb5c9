import io
from typing import Any

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


def _before(migration: str) -> tuple[Any, Any]:
    """The tickets app's models as of `migration`, the database migrated back to it, and an
    end user saved with them."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("tickets", migration)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    user = old_apps.get_model("tickets", "User").objects.create(
        email="old@example.com", name="Old", role="end-user"
    )
    return old_apps, user


@pytest.mark.django_db(transaction=True)
def test_stored_comment_html_loses_its_scripts() -> None:
    """Comments stored before HTML was cleaned on the way in are cleaned by the upgrade; text
    comments and clean HTML stay as they were."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    old_apps, user = _before("0030_history_rewrite_kept_events")
    now = timezone.now()
    ticket = old_apps.get_model("tickets", "Ticket").objects.create(
        subject="Old", requester=user, submitter=user, created_at=now, updated_at=now
    )
    comments = old_apps.get_model("tickets", "TicketComment").objects
    unsafe = comments.create(
        ticket=ticket,
        author=user,
        body="Hi\nsteal()",  # the text the script left in it then
        html_body='<p onclick="steal()">Hi</p><script>steal()</script>',
        created_at=now,
    )
    only_script = comments.create(
        ticket=ticket,
        author=user,
        body="Typed beside it",
        html_body="<script>steal()</script>",
        created_at=now,
    )
    clean = comments.create(
        ticket=ticket, author=user, body="Fine", html_body="<p>Fine</p>", created_at=now
    )
    text = comments.create(ticket=ticket, author=user, body="<b>as typed</b>", created_at=now)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for comment in (unsafe, only_script, clean, text):
        comment.refresh_from_db()
    assert (unsafe.html_body, unsafe.body) == ("<p>Hi</p>", "Hi")
    assert (only_script.html_body, only_script.body) == ("", "Typed beside it")
    assert clean.html_body == "<p>Fine</p>"
    assert (text.body, text.html_body) == ("<b>as typed</b>", "")


@pytest.mark.django_db(transaction=True)
def test_carried_states_survive_their_move_to_text() -> None:
    """States stored as JSON read back the same once kept as text (on PostgreSQL, jsonb
    turned into its text), and tickets without one stay without."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    old_apps, user = _before("0032_objective_one_policy_message")
    now = timezone.now()
    state = {"audit": 7, "engine": {"version": 4, "clocks": [{"metric": "first_reply_time"}]}}
    metrics = {"audit": 7, "replay": {"reopens": 0, "times": [1796633744, None]}}
    ticket = old_apps.get_model("tickets", "Ticket").objects.create(
        subject="Old",
        requester=user,
        submitter=user,
        created_at=now,
        updated_at=now,
        sla_state=state,
        metrics_state=metrics,
    )
    bare = old_apps.get_model("tickets", "Ticket").objects.create(
        subject="Bare", requester=user, submitter=user, created_at=now, updated_at=now
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from tickets.models import Ticket

    moved = Ticket.objects.get(pk=ticket.pk)
    assert (moved.sla_state, moved.metrics_state) == (state, metrics)
    assert Ticket.objects.filter(pk=bare.pk, sla_state__isnull=True).exists()
    assert list(Ticket.objects.filter(metrics_state__isnull=True).values_list("pk", flat=True)) == [
        bare.pk
    ]


@pytest.mark.django_db
def test_ticket_references_keep_only_their_partial_index() -> None:
    """The full indexes Django made for the optional references are gone (the migration drops
    them by name), each reference keeps its foreign key and has just its partial index."""
    from django.db import connection

    from tickets.models import Ticket
    from tickets.models.tickets import PARTLY_SET

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    for name in PARTLY_SET:
        column = Ticket._meta.get_field(name).column
        on_column = {key: info for key, info in constraints.items() if info["columns"] == [column]}
        assert {key for key, info in on_column.items() if info["index"]} == {f"ticket_{name}"}
        assert any(info["foreign_key"] for info in on_column.values())
