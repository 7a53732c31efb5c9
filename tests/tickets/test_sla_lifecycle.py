"""Spec §10 items 7 to 15 through the API, the clock set at each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from policies import selectors as policy_selectors
from policies import services as policy_services
from policies.models import PolicyRevision
from tests.factories import UserFactory, make_policy, metric
from tickets.models import SlaRecompute, Ticket, TicketAudit, TicketMetricEvent, User

pytestmark = pytest.mark.django_db
EVERYTHING = {"all": [], "any": []}
VIP = {"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}], "any": []}
MON = datetime(2024, 3, 4, 9, tzinfo=UTC)


def create(client: APIClient, requester: User, *, when: datetime, **fields: object) -> int:
    body = {
        "ticket": {
            "subject": "s",
            "comment": {"body": "help"},
            "requester_id": requester.pk,
            "submitter_id": requester.pk,
            **fields,
        }
    }
    with time_machine.travel(when, tick=False):
        response = client.post("/api/v2/tickets.json", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["ticket"]["id"]


def update(client: APIClient, ticket_id: int, *, when: datetime, **fields: object) -> dict:
    with time_machine.travel(when, tick=False):
        response = client.put(
            f"/api/v2/tickets/{ticket_id}.json?include=slas", {"ticket": fields}, format="json"
        )
    assert response.status_code == 200, response.json()
    return response.json()["ticket"]


def slas(client: APIClient, ticket_id: int, when: datetime) -> dict[str, dict]:
    with time_machine.travel(when, tick=False):
        body = client.get(f"/api/v2/tickets/{ticket_id}.json?include=slas").json()["ticket"]
    return {m["metric"]: m for m in body["slas"]["policy_metrics"]}


def events(ticket_id: int, kind: str) -> list[tuple[str, int, datetime]]:
    rows = TicketMetricEvent.objects.filter(ticket_id=ticket_id, type=kind).order_by("time", "id")
    return [(e.metric, e.instance_id, e.time) for e in rows]


def test_7_first_match_by_position_and_priority_required(
    admin_client: APIClient, end_user: User
) -> None:
    make_policy("VIP", filter=VIP, metrics=[metric("normal", minutes=30)])
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=120)])
    vip = create(admin_client, end_user, when=MON, priority="normal", tags=["vip"])
    plain = create(admin_client, end_user, when=MON, priority="normal")
    assert slas(admin_client, vip, MON)["first_reply_time"]["breach_at"] == "2024-03-04T09:30:00Z"
    assert slas(admin_client, plain, MON)["first_reply_time"]["breach_at"] == "2024-03-04T11:00:00Z"
    no_priority = create(admin_client, end_user, when=MON)
    assert slas(admin_client, no_priority, MON) == {}
    # Priority set later: the target counts from creation.
    update(admin_client, no_priority, when=MON + timedelta(minutes=20), priority="normal")
    got = slas(admin_client, no_priority, MON + timedelta(minutes=20))["first_reply_time"]
    assert got["breach_at"] == "2024-03-04T11:00:00Z"


def test_9_late_policy_is_breached_when_applied_not_before(
    admin_client: APIClient, end_user: User, django_capture_on_commit_callbacks
) -> None:
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    assert slas(admin_client, ticket, MON) == {}
    noon = MON + timedelta(hours=3)
    with time_machine.travel(noon, tick=False), django_capture_on_commit_callbacks(execute=True):
        make_policy("FRT 1h", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    frt = slas(admin_client, ticket, noon)["first_reply_time"]
    assert frt["stage"] == "active"
    assert frt["breach_at"] == "2024-03-04T10:00:00Z"
    assert frt["hours"] == -2
    assert events(ticket, "breach") == [("reply_time", 1, noon)]


def test_10_priority_change_recomputes_from_creation(
    admin_client: APIClient, end_user: User
) -> None:
    make_policy(
        "P",
        filter=EVERYTHING,
        metrics=[metric("normal", minutes=120), metric("urgent", minutes=30)],
    )
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    changed = update(admin_client, ticket, when=MON + timedelta(minutes=10), priority="urgent")
    frt = {m["metric"]: m for m in changed["slas"]["policy_metrics"]}["first_reply_time"]
    assert frt["breach_at"] == "2024-03-04T09:30:00Z"
    late = create(admin_client, end_user, when=MON, priority="normal")
    update(admin_client, late, when=MON + timedelta(minutes=45), priority="urgent")
    assert events(late, "breach") == [("reply_time", 1, MON + timedelta(minutes=45))]


def test_11_agent_created_tickets_get_no_first_reply_target_by_default(
    admin_client: APIClient, admin_user: User, end_user: User
) -> None:
    make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    body = {
        "ticket": {
            "subject": "s",
            "comment": {"body": "We noticed"},
            "requester_id": end_user.pk,
            "priority": "normal",
        }
    }
    with time_machine.travel(MON, tick=False):
        ticket = admin_client.post("/api/v2/tickets", body, format="json").json()["ticket"]
    assert ticket["submitter_id"] == admin_user.pk
    assert "first_reply_time" not in slas(admin_client, ticket["id"], MON)


def test_12_private_note_does_not_fulfil_the_first_reply(
    admin_client: APIClient, end_user: User
) -> None:
    make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    note = update(
        admin_client,
        ticket,
        when=MON + timedelta(minutes=5),
        comment={"body": "n", "public": False},
    )
    assert note["slas"]["policy_metrics"][0]["stage"] == "active"
    reply = update(admin_client, ticket, when=MON + timedelta(minutes=6), comment={"body": "hi"})
    assert reply["slas"]["policy_metrics"][0]["stage"] == "achieved"


def test_13_business_hours_follow_the_default_schedule(
    admin_client: APIClient, end_user: User
) -> None:
    make_policy(
        "P", filter=EVERYTHING, metrics=[metric("normal", minutes=120, business_hours=True)]
    )
    friday = datetime(2024, 3, 8, 21, tzinfo=UTC)  # 16:00 in New York
    calendar = create(admin_client, end_user, when=friday, priority="normal")
    assert slas(admin_client, calendar, friday)["first_reply_time"]["breach_at"] == (
        "2024-03-08T23:00:00Z"
    )
    schedule = policy_services.schedule_create(name="NY", time_zone="America/New_York")
    business = create(admin_client, end_user, when=friday, priority="normal")
    assert slas(admin_client, business, friday)["first_reply_time"]["breach_at"] == (
        "2024-03-11T14:00:00Z"  # Monday 10:00 EDT
    )
    policy_services.holiday_create(
        schedule_id=schedule.pk,
        name="Monday off",
        start_date=datetime(2024, 3, 11).date(),
        end_date=datetime(2024, 3, 11).date(),
    )
    holiday = create(admin_client, end_user, when=friday, priority="normal")
    assert slas(admin_client, holiday, friday)["first_reply_time"]["breach_at"] == (
        "2024-03-12T14:00:00Z"  # Tuesday 10:00 EDT
    )


def test_14_stages_and_badge_values(
    admin_client: APIClient, end_user_client: APIClient, end_user: User
) -> None:
    make_policy("P", filter=EVERYTHING, metrics=[metric("normal", "requester_wait_time", 120)])
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    assert slas(admin_client, ticket, MON)["requester_wait_time"] == {
        "breach_at": "2024-03-04T11:00:00Z",
        "stage": "active",
        "metric": "requester_wait_time",
        "hours": 2,  # past 90 minutes the badge counts hours
    }
    paused = update(admin_client, ticket, when=MON + timedelta(hours=1), status="pending")
    assert paused["slas"]["policy_metrics"][0] == {
        "breach_at": None,
        "stage": "paused",
        "metric": "requester_wait_time",
    }
    with time_machine.travel(MON + timedelta(hours=3), tick=False):
        end_user_client.put(
            f"/api/v2/tickets/{ticket}.json", {"ticket": {"comment": {"body": "?"}}}, format="json"
        )
    resumed = slas(admin_client, ticket, MON + timedelta(hours=3))["requester_wait_time"]
    assert (resumed["stage"], resumed["breach_at"]) == ("active", "2024-03-04T13:00:00Z")
    late = slas(admin_client, ticket, MON + timedelta(hours=5, minutes=31))["requester_wait_time"]
    assert late["hours"] == -2  # 1:31 past the breach: beyond 90 minutes, rounded to hours
    solved = update(admin_client, ticket, when=MON + timedelta(hours=6), status="solved")
    assert solved["slas"]["policy_metrics"][0]["stage"] == "achieved"


def test_15_metric_events_export_in_both_forms(admin_client: APIClient, end_user: User) -> None:
    make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    first = create(admin_client, end_user, when=MON, priority="normal")
    create(admin_client, end_user, when=MON + timedelta(days=1), priority="normal")
    start = int((MON + timedelta(hours=12)).timestamp())
    body = admin_client.get(f"/api/v2/incremental/ticket_metric_events?start_time={start}").json()
    assert {e["ticket_id"] for e in body["ticket_metric_events"]} == {first + 1}
    # end_time is exclusive: the second after the last event's (published at its creation).
    assert body["end_time"] == int((MON + timedelta(days=1)).timestamp()) + 1
    assert body["next_page"].endswith(f"start_time={body['end_time']}")
    apply = next(e for e in body["ticket_metric_events"] if e["type"] == "apply_sla")
    assert apply["sla"] == {
        "target": 60,
        "target_in_seconds": 3600,
        "business_hours": False,
        "policy": {"id": apply["sla"]["policy"]["id"], "title": "P", "description": None},
    }
    seen, url = [], "/api/v2/incremental/ticket_metric_events.json?start_time=0&page[size]=4"
    while url:
        page = admin_client.get(url).json()
        seen += [e["id"] for e in page["ticket_metric_events"]]
        url = page["links"]["next"]
    assert seen == list(
        TicketMetricEvent.objects.order_by("time", "id").values_list("id", flat=True)
    )
    for bad in ("", "x", "-5", "99999999999999"):
        assert (
            admin_client.get(
                f"/api/v2/incremental/ticket_metric_events?start_time={bad}"
            ).status_code
            == 400
        )
    assert (
        admin_client.get(
            "/api/v2/incremental/ticket_metric_events?start_time=0&page[after]=zz"
        ).status_code
        == 400
    )


# Policy and schedule edits reach open tickets ------------------------------------------------


def test_a_policy_edit_recomputes_exactly_the_affected_open_tickets(
    admin_client: APIClient, end_user: User, django_capture_on_commit_callbacks
) -> None:
    vip_policy = make_policy("VIP", filter=VIP, metrics=[metric("normal", minutes=60)])
    make_policy("Rest", filter=EVERYTHING, metrics=[metric("normal", minutes=240)])
    vip = [
        create(admin_client, end_user, when=MON, priority="normal", tags=["vip"]) for _ in range(2)
    ]
    other = create(admin_client, end_user, when=MON, priority="normal")
    solved = create(admin_client, end_user, when=MON, priority="normal", tags=["vip"])
    update(admin_client, solved, when=MON + timedelta(minutes=1), status="solved")
    audits_before = {
        t: TicketAudit.objects.filter(ticket_id=t).count() for t in (*vip, other, solved)
    }

    edit = MON + timedelta(minutes=10)
    with time_machine.travel(edit, tick=False), django_capture_on_commit_callbacks(execute=True):
        policy_services.policy_update(
            policy_id=vip_policy.pk,
            data={"policy_metrics": [metric("normal", minutes=30)]},
            now=edit,
        )
    run = SlaRecompute.objects.latest("id")
    # Only the edited policy's tickets are candidates: the other open ticket is not even read.
    assert (run.status, run.total, run.done, run.changed) == ("done", 2, 2, 2)
    for ticket in vip:
        assert (
            slas(admin_client, ticket, edit)["first_reply_time"]["breach_at"]
            == "2024-03-04T09:30:00Z"
        )
        assert TicketAudit.objects.filter(ticket_id=ticket).count() == audits_before[ticket] + 1
    assert TicketAudit.objects.filter(ticket_id=other).count() == audits_before[other]
    assert TicketAudit.objects.filter(ticket_id=solved).count() == audits_before[solved]
    assert (
        slas(admin_client, other, edit)["first_reply_time"]["breach_at"] == "2024-03-04T13:00:00Z"
    )


def test_a_recompute_resumes_where_it_stopped(admin_client: APIClient, end_user: User) -> None:
    from tickets.sla.recompute import recompute_run

    tickets = [create(admin_client, end_user, when=MON, priority="normal") for _ in range(3)]
    policy = make_policy("Late", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    run = SlaRecompute.objects.create(
        reason="policies",
        revision_id=policy_services.PolicyRevision.objects.latest("id").pk,
        effective_at=MON + timedelta(minutes=5),
        status="running",
        total=3,
        done=1,
        last_ticket_id=tickets[0],  # as if it crashed after the first ticket
    )
    SlaRecompute.objects.filter(pk=run.pk).update(updated_at=MON)  # and went quiet
    recompute_run(recompute_id=run.pk, now=MON + timedelta(minutes=6))
    run.refresh_from_db()
    assert (run.status, run.done, run.changed) == ("done", 3, 2)
    assert Ticket.objects.get(pk=tickets[0]).sla_policy_id is None
    assert Ticket.objects.get(pk=tickets[2]).sla_policy_id == policy.pk
    assert recompute_run(recompute_id=run.pk, now=MON + timedelta(minutes=7)).status == "done"


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_recompute(settings) -> None:
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    end_user = UserFactory(role="end-user", email="worker@example.com")
    client = APIClient()
    from tests.conftest import token_client

    client = token_client(UserFactory(role="admin", email="boss@example.com"))
    ticket = create(
        client, end_user, when=datetime.now(UTC) - timedelta(minutes=5), priority="normal"
    )
    make_policy("Now", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    run = SlaRecompute.objects.latest("id")
    assert run.status == "queued"
    call_command("db_worker", "--batch", "--interval", "0")
    run.refresh_from_db()
    assert run.status == "done"
    assert Ticket.objects.get(pk=ticket).sla_policy_id is not None


def test_impact_preview_counts_and_lists_without_writing(
    admin_client: APIClient, end_user: User
) -> None:
    vip_policy = make_policy("VIP", filter=VIP, metrics=[metric("normal", minutes=60)])
    make_policy("Rest", filter=EVERYTHING, metrics=[metric("normal", minutes=240)])
    now = datetime.now(UTC).replace(microsecond=0)
    vip = create(
        admin_client, end_user, when=now - timedelta(minutes=45), priority="normal", tags=["vip"]
    )
    plain = create(admin_client, end_user, when=now - timedelta(minutes=45), priority="normal")
    audits = TicketAudit.objects.count()
    # Tightening VIP to 30 minutes: the VIP ticket's target changes and it is already breached.
    response = admin_client.post(
        "/api/v2/slas/policies/impact.json",
        {
            "sla_policy": {
                "policy_metrics": [
                    {"priority": "normal", "metric": "first_reply_time", "target": 30}
                ]
            },
            "id": vip_policy.pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    impact = response.json()["impact"]
    assert impact["open_tickets"] == 2
    assert impact["changed_tickets"] == 1
    assert (impact["target_changes"], impact["newly_breached"], impact["policy_changes"]) == (
        1,
        1,
        0,
    )
    assert [t["id"] for t in impact["tickets"]] == [vip]
    assert impact["tickets"][0]["url"].endswith(f"/api/v2/tickets/{vip}.json")
    # A new catch-all policy at the top would take both tickets.
    new = admin_client.post(
        "/api/v2/slas/policies/impact",
        {"sla_policy": {"title": "Top", "position": 1, "filter": EVERYTHING, "policy_metrics": []}},
        format="json",
    ).json()["impact"]
    assert new["policy_changes"] == 2
    assert {t["id"] for t in new["tickets"]} == {vip, plain}
    assert TicketAudit.objects.count() == audits
    bad = admin_client.post(
        "/api/v2/slas/policies/impact", {"sla_policy": {"title": ""}}, format="json"
    )
    assert bad.status_code == 422
    missing = admin_client.post(
        "/api/v2/slas/policies/impact", {"sla_policy": {}, "id": 999999}, format="json"
    )
    assert missing.status_code == 404


def test_recompute_progress_is_visible_in_the_api(
    admin_client: APIClient,
    agent_client: APIClient,
    end_user: User,
    django_capture_on_commit_callbacks,
) -> None:
    create(admin_client, end_user, when=MON, priority="normal")
    with django_capture_on_commit_callbacks(execute=True):
        make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    listed = agent_client.get("/api/v2/slas/recomputes.json").json()
    run = listed["recomputes"][-1]
    assert (run["reason"], run["status"], run["progress"], run["total"]) == (
        "policies",
        "done",
        1.0,
        1,
    )
    shown = agent_client.get(f"/api/v2/slas/recomputes/{run['id']}").json()["recompute"]
    assert shown == run
    assert agent_client.get("/api/v2/slas/recomputes/999999").status_code == 404


def test_a_schedule_edit_moves_business_hour_deadlines_of_open_tickets(
    admin_client: APIClient, end_user: User, django_capture_on_commit_callbacks
) -> None:
    # Friday 16:00 in New York: one business hour left that day, the second on Monday.
    opened = datetime(2024, 3, 8, 21, tzinfo=UTC)
    with (
        time_machine.travel(opened - timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_policy(
            "P", filter=EVERYTHING, metrics=[metric("normal", minutes=120, business_hours=True)]
        )
        schedule = policy_services.schedule_create(name="NY", time_zone="America/New_York")
    ticket = create(admin_client, end_user, when=opened, priority="normal")
    before = Ticket.objects.get(pk=ticket).next_breach_at
    assert before == datetime(2024, 3, 11, 14, tzinfo=UTC)
    with (
        time_machine.travel(opened + timedelta(minutes=90), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        policy_services.schedule_set_workweek(
            schedule_id=schedule.pk,
            intervals=[(0, 10080)],  # around the clock
        )
    after = Ticket.objects.get(pk=ticket).next_breach_at
    edit = PolicyRevision.objects.latest("id")
    # The new hours count from the edit on; the time before it keeps the old hours' measure.
    old_hours = policy_selectors.schedule_from_snapshot(
        PolicyRevision.objects.filter(pk__lt=edit.pk).latest("id").schedule
    )
    assert old_hours is not None
    used = old_hours.between(opened, edit.created_at)
    assert used == 3600
    assert after == edit.created_at + timedelta(hours=1) == opened + timedelta(hours=2, minutes=30)
    assert SlaRecompute.objects.filter(revision=edit, status="done").exists()


def test_a_save_right_after_a_policy_edit_stays_in_order(
    admin_client: APIClient, end_user: User, django_capture_on_commit_callbacks
) -> None:
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    edit = MON + timedelta(minutes=10, microseconds=700_000)
    with time_machine.travel(edit, tick=False), django_capture_on_commit_callbacks(execute=True):
        policy_services.policy_update(
            policy_id=policy.pk, data={"policy_metrics": [metric("normal", minutes=30)]}, now=edit
        )
    reply = update(
        admin_client,
        ticket,
        when=MON + timedelta(minutes=10, microseconds=900_000),
        comment={"body": "on it"},
    )
    assert reply["slas"]["policy_metrics"][0]["stage"] == "achieved"
    times = list(TicketAudit.objects.filter(ticket_id=ticket).values_list("created_at", flat=True))
    assert times == sorted(times)
    assert all(t.microsecond == 0 for t in times)


def test_a_recompute_whose_worker_died_is_taken_over_and_finished(
    admin_client: APIClient, end_user: User
) -> None:
    from tickets.sla.recompute import recompute_run, resume_stale_recomputes

    ticket = create(admin_client, end_user, when=MON, priority="normal")
    make_policy("Late", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    run = SlaRecompute.objects.create(
        reason="policies",
        revision_id=policy_services.PolicyRevision.objects.latest("id").pk,
        effective_at=MON + timedelta(minutes=5),
        status="running",
        total=1,
    )
    # A live worker holds it: nobody else may take it.
    assert resume_stale_recomputes() == []
    assert recompute_run(recompute_id=run.pk, now=MON + timedelta(minutes=6)).done == 0
    # Its worker went quiet: the clock enqueues it again and the run is finished.
    SlaRecompute.objects.filter(pk=run.pk).update(updated_at=MON)
    assert resume_stale_recomputes() == [run.pk]
    run.refresh_from_db()
    assert run.status == "done"
    assert Ticket.objects.get(pk=ticket).sla_policy_id is not None


def test_impact_preview_query_count_does_not_grow_with_tickets(
    admin_client: APIClient, end_user: User, django_assert_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    create(admin_client, end_user, when=MON, priority="normal")
    draft = {"sla_policy": {"title": "New", "filter": EVERYTHING, "policy_metrics": []}}
    url = "/api/v2/slas/policies/impact"
    admin_client.post(url, draft, format="json")
    with CaptureQueriesContext(connection) as one:
        admin_client.post(url, draft, format="json")
    queries_for_one = len(one)
    for _ in range(11):
        create(admin_client, end_user, when=MON, priority="normal")
    with django_assert_num_queries(queries_for_one):
        response = admin_client.post(url, draft, format="json")
    assert response.json()["impact"]["open_tickets"] == 12
