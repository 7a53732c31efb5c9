"""Ticket import (`/api/v2/imports/tickets`), with slaweb's audit-history extension.

The spec §3.9 worked example is imported in one request and must come out exactly as the engine
test (tests/engine/test_metrics.py) computes it: same instances, same event stream.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.engine.test_metrics import stream, worked_example
from tests.factories import (
    GroupFactory,
    TicketFieldOptionFactory,
    UserFactory,
    make_policy,
    metric,
)
from tests.test_schema import assert_matches_schema
from tickets.models import (
    ChangeEvent,
    CreateEvent,
    Ticket,
    TicketAudit,
    TicketComment,
    TicketMetricEvent,
    TicketSlaTarget,
    User,
)

pytestmark = pytest.mark.django_db
EVERYTHING = {"all": [], "any": []}
NORMAL = {
    "first_reply_time": 8,
    "next_reply_time": 4,
    "periodic_update_time": 24,
    "pausable_update_time": 24,
    "requester_wait_time": 48,
    "agent_work_time": 24,
    "total_resolution_time": 72,
}
IMPORT = "/api/v2/imports/tickets.json"
IMPORT_MANY = "/api/v2/imports/tickets/create_many.json"


def at(day: int, hour: int, minute: int = 0) -> str:
    """The week of Monday 2024-03-04, as Zendesk writes times."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def policy() -> None:
    make_policy(
        "Normal",
        filter=EVERYTHING,
        metrics=[metric("normal", name, hours * 60) for name, hours in NORMAL.items()],
    )


@pytest.fixture
def agent() -> User:
    return UserFactory(role="agent", email="agent@example.org")


def change(field: str, value: Any, previous: Any = None) -> dict[str, Any]:
    return {"type": "Change", "field_name": field, "value": value, "previous_value": previous}


def said(body: str, public: bool = True) -> dict[str, Any]:
    return {"type": "Comment", "body": body, "public": public}


def audit(when: str, author: User | None, *events: dict[str, Any]) -> dict[str, Any]:
    return {"created_at": when, "author_id": author.pk if author else None, "events": list(events)}


def worked_example_import(end_user: User, agent: User) -> dict[str, Any]:
    """Spec §3.9 in Zendesk's ticket-audit shape: the statuses after each save as in
    tests/engine/test_metrics.py `worked_example()`."""
    return {
        "subject": "Printer on fire",
        "requester_id": end_user.pk,
        "submitter_id": end_user.pk,
        "assignee_id": agent.pk,
        "priority": "normal",
        "status": "solved",
        "created_at": at(4, 9),
        "updated_at": at(6, 14, 30),
        "solved_at": at(6, 14, 30),
        "audits": [
            audit(
                at(4, 9),
                end_user,
                {"type": "Create", "field_name": "status", "value": "new"},
                {"type": "Create", "field_name": "priority", "value": "normal"},
                {"type": "Create", "field_name": "assignee_id", "value": None},
                said("It is on fire."),
            ),
            audit(
                at(4, 14),
                agent,
                change("status", "open", "new"),
                change("assignee_id", agent.pk),
                said("Looking"),
            ),
            audit(at(4, 15, 30), end_user, said("Any news?")),
            audit(at(4, 16), agent, change("status", "pending", "open"), said("Try this")),
            audit(at(5, 10), end_user, change("status", "open", "pending"), said("Did not work")),
            audit(
                at(5, 11),
                agent,
                change("status", "hold", "open"),
                said("Asked the vendor", public=False),
            ),
            audit(at(6, 14), agent, change("status", "open", "hold")),
            audit(at(6, 14, 30), agent, change("status", "solved", "open"), said("Fixed")),
        ],
    }


def comments_only_import(end_user: User, agent: User) -> dict[str, Any]:
    """The same ticket as Zendesk's own import shape: comments, no status history."""
    return {
        "subject": "Printer on fire",
        "requester_id": end_user.pk,
        "assignee_id": agent.pk,
        "priority": "normal",
        "status": "solved",
        "created_at": at(4, 9),
        "solved_at": at(6, 14, 30),
        "comments": [
            {"author_id": end_user.pk, "value": "It is on fire.", "created_at": at(4, 9)},
            {"author_id": agent.pk, "body": "Looking", "created_at": at(4, 14)},
            {"author_id": end_user.pk, "value": "Any news?", "created_at": at(4, 15, 30)},
            {"author_id": agent.pk, "value": "Try this", "created_at": at(4, 16)},
            {"author_id": end_user.pk, "value": "Did not work", "created_at": at(5, 10)},
            {
                "author_id": agent.pk,
                "value": "Asked the vendor",
                "public": False,
                "created_at": at(5, 11),
            },
            {"author_id": agent.pk, "html_body": "<p>Fixed</p>", "created_at": at(6, 14, 30)},
        ],
    }


def post(client: APIClient, ticket: dict[str, Any], url: str = IMPORT) -> dict[str, Any]:
    response = client.post(url, {"ticket": ticket}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["ticket"]


def breaches(events: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, int]]:
    return sorted(
        (e["time"], e["metric"], e["instance_id"])
        for stream_ in events.values()
        for e in stream_
        if e["type"] == "breach"
    )


def update_statuses(events: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, int], int]:
    return {
        (e["metric"], e["instance_id"]): e["status"]["calendar"]
        for stream_ in events.values()
        for e in stream_
        if e["type"] == "update_status"
    }


def nothing_written() -> bool:
    return not (
        Ticket.objects.exists()
        or TicketAudit.objects.exists()
        or TicketComment.objects.exists()
        or TicketMetricEvent.objects.exists()
        or TicketSlaTarget.objects.exists()
    )


# The worked example --------------------------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_worked_example_imported_with_its_audit_history(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    response = admin_client.post(
        IMPORT, {"ticket": worked_example_import(end_user, agent)}, format="json"
    )
    assert response.status_code == 201, response.json()
    ticket = response.json()["ticket"]
    assert response["Location"] == f"http://testserver/api/v2/tickets/{ticket['id']}.json"
    assert (ticket["status"], ticket["created_at"], ticket["updated_at"], ticket["solved_at"]) == (
        "solved",
        "2024-03-04T09:00:00Z",
        "2024-03-06T14:30:00Z",
        "2024-03-06T14:30:00Z",
    )
    assert (ticket["submitter_id"], ticket["assignee_id"]) == (end_user.pk, agent.pk)
    assert ticket["description"] == "It is on fire."

    # Every audit was recorded as a live save would be, at its historical time.
    audits = list(TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("created_at", "id"))
    assert [a.snapshot["status"] for a in audits] == [
        "new",
        "open",
        "open",
        "pending",
        "open",
        "hold",
        "open",
        "solved",
    ]
    assert [a.created_at.strftime("%a %H:%M") for a in audits] == [
        "Mon 09:00",
        "Mon 14:00",
        "Mon 15:30",
        "Mon 16:00",
        "Tue 10:00",
        "Tue 11:00",
        "Wed 14:00",
        "Wed 14:30",
    ]
    assert [a.author_id for a in audits] == [end_user.pk, agent.pk] * 3 + [agent.pk] * 2
    assert len({a.revision_id for a in audits}) == 1
    created = {e.field_name: e.value for e in CreateEvent.objects.filter(audit=audits[0])}
    assert created["priority"] == "normal"
    assert created["requester_id"] == end_user.pk
    assert "assignee_id" not in created  # None at creation: nothing to record
    assignment = ChangeEvent.objects.get(audit=audits[1], field_name="assignee_id")
    assert (assignment.previous_value, assignment.value) == (None, agent.pk)
    solved = ChangeEvent.objects.get(audit=audits[-1], field_name="status")
    assert (solved.field_name, solved.previous_value, solved.value) == ("status", "open", "solved")
    comments = TicketComment.objects.filter(ticket_id=ticket["id"])
    assert [(c.body, c.public, c.author_id) for c in comments][-2:] == [
        ("Asked the vendor", False, agent.pk),
        ("Fixed", True, agent.pk),
    ]

    body = admin_client.get(f"/api/v2/tickets/{ticket['id']}?include=slas,metric_events").json()
    events = body["ticket"]["metric_events"]
    assert breaches(events) == [
        ("2024-03-05T14:00:00Z", "reply_time", 3),
        ("2024-03-05T16:00:00Z", "periodic_update_time", 2),
        ("2024-03-06T10:00:00Z", "pausable_update_time", 2),
    ]
    statuses = update_statuses(events)
    assert statuses[("requester_wait_time", 1)] == 2130
    assert statuses[("agent_work_time", 1)] == 510
    assert statuses[("resolution_time", 1)] == 3210
    assert {m["metric"] for m in body["ticket"]["slas"]["policy_metrics"]} == set(NORMAL)
    assert all(m["stage"] == "achieved" for m in body["ticket"]["slas"]["policy_metrics"])

    # The incremental export holds exactly the engine test's stream, in its order, once the
    # minute it holds back has passed (start_time counts publish time, before the events' own).
    start = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61)):
        export = admin_client.get(
            f"/api/v2/incremental/ticket_metric_events.json?start_time={start}"
        ).json()["ticket_metric_events"]
    assert {e["ticket_id"] for e in export} == {ticket["id"]}
    lines = []
    for e in export:
        moment = datetime.fromisoformat(e["time"])
        line = f"{moment:%a %H:%M} {e['metric']}#{e['instance_id']} {e['type']}"
        if e["type"] == "apply_sla":
            line += f" {e['sla']['target']}"
        if e["type"] == "update_status":
            line += f" {e['status']['calendar']}/{e['status']['business']}"
        lines.append(line)
    assert lines == stream(worked_example().evaluate("Thu 12:00"))
    assert [e["time"] for e in export if e["type"] == "breach"] == [
        "2024-03-05T14:00:00Z",
        "2024-03-05T16:00:00Z",
        "2024-03-06T10:00:00Z",
    ]
    assert all(e["deleted"] is False for e in export if e["type"] == "breach")


@pytest.mark.usefixtures("policy")
def test_the_same_ticket_from_comments_only_gets_a_plain_history(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    """Without audits: created at created_at with the first comment, one save per comment,
    and the final status in the save of the last comment (it is at solved_at)."""
    ticket = post(admin_client, comments_only_import(end_user, agent))
    assert (ticket["status"], ticket["solved_at"], ticket["updated_at"]) == (
        "solved",
        "2024-03-06T14:30:00Z",
        "2024-03-06T14:30:00Z",
    )
    assert ticket["submitter_id"] == end_user.pk  # the first comment's author
    audits = list(TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("created_at", "id"))
    # The ticket was open from creation (it has an assignee) until the last reply solved it.
    assert [(a.created_at.strftime("%a %H:%M"), a.snapshot["status"]) for a in audits] == [
        ("Mon 09:00", "open"),
        ("Mon 14:00", "open"),
        ("Mon 15:30", "open"),
        ("Mon 16:00", "open"),
        ("Tue 10:00", "open"),
        ("Tue 11:00", "open"),
        ("Wed 14:30", "solved"),
    ]
    assert [a.author_id for a in audits] == [end_user.pk, agent.pk] * 3 + [agent.pk]
    assert audits[-1].comment.body == "<p>Fixed</p>"

    body = admin_client.get(f"/api/v2/tickets/{ticket['id']}?include=metric_events").json()
    events = body["ticket"]["metric_events"]
    # Reply metrics are as in the worked example; with no pending or on-hold spell nothing
    # pauses, so agent work time (24h) and requester wait time (48h) run out, and the pausable
    # update breaches with the periodic one.
    assert breaches(events) == [
        ("2024-03-05T09:00:00Z", "agent_work_time", 1),
        ("2024-03-05T14:00:00Z", "reply_time", 3),
        ("2024-03-05T16:00:00Z", "pausable_update_time", 2),
        ("2024-03-05T16:00:00Z", "periodic_update_time", 2),
        ("2024-03-06T09:00:00Z", "requester_wait_time", 1),
    ]
    assert update_statuses(events) == {
        ("reply_time", 1): 300,
        ("reply_time", 2): 30,
        ("reply_time", 3): 1710,
        ("periodic_update_time", 1): 120,
        ("periodic_update_time", 2): 2790,
        ("pausable_update_time", 1): 120,
        ("pausable_update_time", 2): 2790,
        ("requester_wait_time", 1): 3210,
        ("agent_work_time", 1): 3210,
        ("resolution_time", 1): 3210,
    }
    assert not any(e["type"] == "pause" for stream_ in events.values() for e in stream_)


@pytest.mark.usefixtures("policy")
def test_comments_only_final_status_lands_at_updated_at(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    data = comments_only_import(end_user, agent)
    data.update(status="pending", updated_at=at(5, 12))
    del data["solved_at"]
    data["comments"] = data["comments"][:5]
    ticket = post(admin_client, data)
    audits = list(TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("created_at", "id"))
    assert (audits[-1].created_at.strftime("%a %H:%M"), audits[-1].snapshot["status"]) == (
        "Tue 12:00",
        "pending",
    )
    assert audits[-1].comment is None
    assert audits[-1].author_id == agent.pk  # the assignee set the status
    assert ticket["updated_at"] == "2024-03-05T12:00:00Z"
    pauses = TicketMetricEvent.objects.filter(ticket_id=ticket["id"], type="pause")
    assert {(e.metric, e.time.strftime("%a %H:%M")) for e in pauses} == {
        ("agent_work_time", "Tue 12:00"),
        ("pausable_update_time", "Tue 12:00"),
        ("requester_wait_time", "Tue 12:00"),
    }
    # Still pending: what ran out before the import is breached at its historical time, what
    # pauses on pending waits.
    events = admin_client.get(f"/api/v2/tickets/{ticket['id']}?include=slas,metric_events").json()
    assert breaches(events["ticket"]["metric_events"]) == [
        ("2024-03-05T09:00:00Z", "agent_work_time", 1),
        ("2024-03-05T14:00:00Z", "reply_time", 3),
        ("2024-03-05T16:00:00Z", "periodic_update_time", 2),
        ("2024-03-07T09:00:00Z", "resolution_time", 1),  # 72h after creation: long gone
    ]
    stages = {m["metric"]: m["stage"] for m in events["ticket"]["slas"]["policy_metrics"]}
    assert stages["requester_wait_time"] == "paused"
    assert stages["next_reply_time"] == "active"
    # Every running target is already breached and the rest are paused: nothing left to breach.
    assert Ticket.objects.get(pk=ticket["id"]).next_breach_at is None


def test_description_only_makes_the_first_comment_and_closed_is_solved_first(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    ticket = post(
        admin_client,
        {
            "subject": "Old",
            "description": "From the legacy system",
            "requester": {"name": "Legacy", "email": "legacy@example.org"},
            "submitter_id": agent.pk,
            "status": "closed",
            "created_at": at(4, 9),
            "solved_at": at(4, 10),
            "updated_at": at(5, 10),
        },
    )
    requester = User.objects.get(email="legacy@example.org")
    assert (ticket["requester_id"], ticket["submitter_id"]) == (requester.pk, agent.pk)
    assert (ticket["status"], ticket["solved_at"], ticket["updated_at"]) == (
        "closed",
        "2024-03-04T10:00:00Z",
        "2024-03-05T10:00:00Z",
    )
    audits = list(TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("created_at", "id"))
    assert [(a.created_at.strftime("%a %H:%M"), a.snapshot["status"]) for a in audits] == [
        ("Mon 09:00", "new"),
        ("Mon 10:00", "solved"),
        ("Tue 10:00", "closed"),
    ]
    first = audits[0].comment
    assert (first.body, first.author_id, first.public) == ("From the legacy system", agent.pk, True)


def test_custom_fields_tags_and_groups_change_through_the_history(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    option = TicketFieldOptionFactory(value="mobile")
    other = TicketFieldOptionFactory(value="desktop")
    group = GroupFactory()
    ticket = post(
        admin_client,
        {
            "requester_id": end_user.pk,
            "tags": ["b", "a"],
            "custom_fields": [{"id": option.field_id, "value": "mobile"}],
            "group_id": group.pk,
            "created_at": at(4, 9),
            "audits": [
                {
                    "created_at": None,  # the first audit is at the ticket's created_at
                    "author_id": end_user.pk,
                    "events": [
                        {"type": "Create", "field_name": "tags", "value": ["a"]},
                        {"type": "Create", "field_name": "group_id", "value": None},
                        {"type": "Create", "field_name": str(option.field_id), "value": None},
                        {"type": "Create", "field_name": str(other.field_id), "value": "desktop"},
                        said("Hello"),
                    ],
                },
                audit(
                    at(4, 10),
                    agent,
                    change("tags", ["A", "b"]),
                    change("group_id", group.pk),
                    change(str(option.field_id), "mobile"),
                ),
            ],
        },
    )
    assert sorted(ticket["tags"]) == ["a", "b"]
    assert {f["id"]: f["value"] for f in ticket["custom_fields"]} == {
        option.field_id: "mobile",
        other.field_id: "desktop",
    }
    assert ticket["group_id"] == group.pk
    audits = list(TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("created_at", "id"))
    assert audits[0].created_at == datetime(2024, 3, 4, 9, tzinfo=UTC)
    assert audits[0].snapshot["tags"] == ["a"]
    assert audits[0].snapshot["group_id"] is None
    assert audits[0].snapshot["custom_fields"] == {
        str(option.field_id): None,
        str(other.field_id): "desktop",
    }
    assert audits[1].snapshot["tags"] == ["a", "b"]
    assert audits[1].snapshot["custom_fields"] == {
        str(option.field_id): "mobile",
        str(other.field_id): "desktop",
    }
    changed = {e.field_name for e in ChangeEvent.objects.filter(audit=audits[1])}
    assert changed == {"tags", "group_id", "custom_fields"}


# create_many -----------------------------------------------------------------------------------


def test_create_many_answers_the_tickets_in_request_order(
    admin_client: APIClient, end_user: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    second = comments_only_import(end_user, agent)
    second["subject"] = "Second"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            IMPORT_MANY + "?include=slas",
            {"tickets": [worked_example_import(end_user, agent), second]},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["job_status"]["status"] == "queued"
    job = admin_client.get(response.json()["job_status"]["url"]).json()["job_status"]
    assert (job["status"], job["total"], job["progress"]) == ("completed", 2, 2)
    tickets = list(Ticket.objects.order_by("id"))
    assert [t.subject for t in tickets] == ["Printer on fire", "Second"]
    assert job["results"] == [
        {"index": 0, "id": tickets[0].pk, "action": "create", "success": True},
        {"index": 1, "id": tickets[1].pk, "action": "create", "success": True},
    ]
    assert Ticket.objects.count() == 2
    assert TicketAudit.objects.filter(ticket_id=tickets[0].pk).count() == 8


@pytest.mark.usefixtures("policy")
def test_create_many_imports_each_ticket_on_its_own(
    admin_client: APIClient, end_user: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    good = worked_example_import(end_user, agent)
    good["requester"] = {"email": "new@example.org"}
    del good["requester_id"]
    bad = comments_only_import(end_user, agent)
    bad["priority"] = "whenever"
    # A ticket whose history contradicts its body is found only while writing: it is rolled
    # back alone.
    late = comments_only_import(end_user, agent)
    late["audits"] = worked_example_import(end_user, agent)["audits"]
    del late["comments"]
    late["priority"] = "high"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(IMPORT_MANY, {"tickets": [bad, good, late]}, format="json")
    assert response.status_code == 200, response.json()
    job = admin_client.get(response.json()["job_status"]["url"]).json()["job_status"]
    assert (job["status"], job["total"], job["progress"]) == ("completed", 3, 3)
    imported = Ticket.objects.get()
    assert job["results"][1] == {"index": 1, "id": imported.pk, "action": "create", "success": True}
    for index in (0, 2):
        result = job["results"][index]
        assert {k: result[k] for k in ("index", "action", "success", "error")} == {
            "index": index,
            "action": "create",
            "success": False,
            "error": "RecordInvalid",
        }
        assert "id" not in result
        assert result["details"].startswith("priority: ")
    assert imported.requester == User.objects.get(email="new@example.org")
    assert TicketAudit.objects.filter(ticket=imported).count() == 8
    assert TicketComment.objects.exclude(ticket=imported).count() == 0


# Validation ------------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ..., delete) a value at a dotted path such as audits.1.created_at."""

    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return apply


FUTURE = "2999-01-01T00:00:00Z"
# (id, change to the worked example import, the details key)
AUDIT_CASES = [
    ("future created_at", _set("created_at", FUTURE), "created_at"),
    ("future audit", _set("audits.7.created_at", FUTURE), "audits[7].created_at"),
    ("future updated_at", _set("updated_at", FUTURE), "updated_at"),
    ("not ISO 8601", _set("audits.2.created_at", "Monday afternoon"), "audits[2].created_at"),
    ("impossible date", _set("solved_at", "2024-02-30T10:00:00Z"), "solved_at"),
    ("time as a number", _set("audits.1.created_at", 1709546400), "audits[1].created_at"),
    ("out of order", _set("audits.3.created_at", at(4, 15)), "audits[3].created_at"),
    ("audit without time", _set("audits.3.created_at", ...), "audits[3].created_at"),
    (
        "first audit not at created_at",
        _set("audits.0.created_at", at(4, 8)),
        "audits[0].created_at",
    ),
    ("before 1970", _set("created_at", "1969-12-31T00:00:00Z"), "created_at"),
    (
        "unknown field",
        _set("audits.1.events.0.field_name", "mood"),
        "audits[1].events[0].field_name",
    ),
    (
        "bad priority",
        _set("audits.1.events.0", change("priority", "asap")),
        "audits[1].events[0].value",
    ),
    ("bad status", _set("audits.1.events.0.value", "done"), "audits[1].events[0].value"),
    ("change without value", _set("audits.1.events.0.value", ...), "audits[1].events[0].value"),
    ("assignee not an agent", _set("audits.1.events.1.value", 0), "audits[1].events[1].value"),
    ("comment without body", _set("audits.2.events.0.body", ...), "audits[2].events[0].body"),
    ("blank comment", _set("audits.2.events.0.body", "  "), "audits[2].events[0].body"),
    ("public not a boolean", _set("audits.2.events.0.public", "yes"), "audits[2].events[0].public"),
    ("two comments", _set("audits.2.events", [said("a"), said("b")]), "audits[2].events[1]"),
    (
        "unknown event type",
        _set("audits.2.events.0.type", "Notification"),
        "audits[2].events[0].type",
    ),
    ("Create after creation", _set("audits.1.events.0.type", "Create"), "audits[1].events[0].type"),
    ("Change at creation", _set("audits.0.events.0.type", "Change"), "audits[0].events[0].type"),
    (
        "field twice",
        _set("audits.1.events.1", change("status", "open")),
        "audits[1].events[1].field_name",
    ),
    ("no events", _set("audits.6.events", []), "audits[6].events"),
    ("events not a list", _set("audits.6.events", {}), "audits[6].events"),
    ("audit not an object", _set("audits.6", "x"), "audits[6]"),
    ("no audits", _set("audits", []), "audits"),
    ("unknown author", _set("audits.2.author_id", 99999999), "audits[2].author_id"),
    ("author not an id", _set("audits.2.author_id", True), "audits[2].author_id"),
    (
        "unknown comment author",
        _set("audits.2.events.0.author_id", 99999999),
        "audits[2].events[0].author_id",
    ),
    ("unknown requester", _set("requester_id", 99999999), "requester_id"),
    ("bad via", _set("audits.2.via_id", "email"), "audits[2].via_id"),
    ("history ends elsewhere", _set("priority", "high"), "priority"),
    ("solved at another time", _set("solved_at", at(6, 15)), "solved_at"),
    ("updated before the last save", _set("updated_at", at(6, 14)), "updated_at"),
    ("both audits and comments", _set("comments", []), "audits"),
    ("a comment, not comments", _set("comment", {"body": "x"}), "comment"),
]
COMMENT_CASES = [
    ("future comment", _set("comments.6.created_at", FUTURE), "comments[6].created_at"),
    ("comments out of order", _set("comments.3.created_at", at(4, 15)), "comments[3].created_at"),
    ("comment before created_at", _set("created_at", at(4, 10)), "comments[0].created_at"),
    ("comment without text", _set("comments.2.value", ...), "comments[2].body"),
    ("unknown comment author", _set("comments.2.author_id", 99999999), "comments[2].author_id"),
    ("comments not a list", _set("comments", "hello"), "comments"),
    ("no comment at all", _set("comments", []), "comments"),
    ("no requester", _set("requester_id", ...), "requester_id"),
    ("solved before created", _set("solved_at", at(4, 8)), "solved_at"),
    ("solved_at but open", _set("status", "open"), "solved_at"),
]


@pytest.mark.parametrize(
    ("mutate", "key"), [c[1:] for c in AUDIT_CASES], ids=[c[0] for c in AUDIT_CASES]
)
def test_bad_audit_histories_are_422_and_write_nothing(
    admin_client: APIClient,
    end_user: User,
    agent: User,
    mutate: Callable[[dict[str, Any]], None],
    key: str,
) -> None:
    make_policy("Normal", filter=EVERYTHING)
    data = worked_example_import(end_user, agent)
    mutate(data)
    response = admin_client.post(IMPORT, {"ticket": data}, format="json")
    assert response.status_code == 422, response.json()
    assert key in response.json()["details"], response.json()
    assert nothing_written()


@pytest.mark.parametrize(
    ("mutate", "key"), [c[1:] for c in COMMENT_CASES], ids=[c[0] for c in COMMENT_CASES]
)
def test_bad_comment_imports_are_422_and_write_nothing(
    admin_client: APIClient,
    end_user: User,
    agent: User,
    mutate: Callable[[dict[str, Any]], None],
    key: str,
) -> None:
    data = comments_only_import(end_user, agent)
    mutate(data)
    response = admin_client.post(IMPORT, {"ticket": data}, format="json")
    assert response.status_code == 422, response.json()
    assert key in response.json()["details"], response.json()
    assert nothing_written()


def test_a_bad_body_field_is_the_only_problem_reported(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    data = worked_example_import(end_user, agent)
    data["priority"] = "asap"
    details = admin_client.post(IMPORT, {"ticket": data}, format="json").json()["details"]
    assert details == {
        "priority": [
            {"description": 'priority: "asap" is not a valid choice.', "error": "InvalidValue"}
        ]
    }


def test_every_problem_is_reported_at_once(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    data = worked_example_import(end_user, agent)
    data["priority"] = "asap"
    data["audits"][2]["created_at"] = "soon"
    data["audits"][3]["events"][0]["field_name"] = "mood"
    details = admin_client.post(IMPORT, {"ticket": data}, format="json").json()["details"]
    assert set(details) == {"priority", "audits[2].created_at", "audits[3].events[0].field_name"}
    assert details["audits[2].created_at"] == [
        {
            "description": "audits[2].created_at: 'soon' is not an ISO 8601 time",
            "error": "InvalidValue",
        }
    ]


@pytest.mark.parametrize(
    ("url", "body", "code"),
    [
        (IMPORT, {}, 400),
        (IMPORT, {"tickets": []}, 400),
        (IMPORT, {"ticket": []}, 400),
        (IMPORT, [], 400),
        (IMPORT_MANY, {}, 400),
        (IMPORT_MANY, {"ticket": {}}, 400),
        (IMPORT_MANY, {"tickets": {}}, 400),
        (IMPORT_MANY, {"tickets": []}, 422),
        (IMPORT_MANY, {"tickets": ["x"]}, 422),
    ],
)
def test_bad_roots(admin_client: APIClient, url: str, body: Any, code: int) -> None:
    response = admin_client.post(url, body, format="json")
    assert response.status_code == code, response.json()
    assert nothing_written()


def test_more_than_100_tickets_is_422(admin_client: APIClient, end_user: User, agent: User) -> None:
    one = comments_only_import(end_user, agent)
    response = admin_client.post(
        IMPORT_MANY, {"tickets": [copy.deepcopy(one) for _ in range(101)]}, format="json"
    )
    assert response.status_code == 422
    assert list(response.json()["details"]) == ["tickets"]
    assert nothing_written()


def test_invalid_json_is_400(admin_client: APIClient) -> None:
    response = admin_client.post(IMPORT, "{", content_type="application/json")
    assert response.status_code == 400


# Permissions and schema ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [IMPORT, IMPORT_MANY, IMPORT[:-5], IMPORT_MANY[:-5]])
@pytest.mark.parametrize(("role", "code"), [("agent", 403), ("end-user", 403), ("anonymous", 401)])
def test_only_admins_import(
    client_for: Callable[[str], APIClient],
    end_user: User,
    agent: User,
    url: str,
    role: str,
    code: int,
) -> None:
    one = comments_only_import(end_user, agent)
    body = {"tickets": [one]} if "create_many" in url else {"ticket": one}
    response = client_for(role).post(url, body, format="json")
    assert response.status_code == code
    assert nothing_written()


@pytest.mark.parametrize("url", [IMPORT[:-5], IMPORT_MANY[:-5]])
def test_without_json_suffix(
    admin_client: APIClient, end_user: User, agent: User, url: str
) -> None:
    one = comments_only_import(end_user, agent)
    body = {"tickets": [one]} if "create_many" in url else {"ticket": one}
    expected = 200 if "create_many" in url else 201  # create_many answers a job status
    assert admin_client.post(url, body, format="json").status_code == expected


def test_responses_match_the_schema(
    admin_client: APIClient, anonymous_client: APIClient, end_user: User, agent: User
) -> None:
    schema = anonymous_client.get("/api/schema/?format=json").json()
    one = comments_only_import(end_user, agent)
    calls = [
        (IMPORT, {"ticket": one}),
        (IMPORT, {"ticket": {**one, "priority": "asap"}}),
        (IMPORT, {"nope": {}}),
        (IMPORT_MANY, {"tickets": [one, worked_example_import(end_user, agent)]}),
        (IMPORT_MANY, {"tickets": []}),
        (IMPORT_MANY, {"nope": []}),
    ]
    for url, body in calls:
        response = admin_client.post(url, body, format="json")
        assert_matches_schema(schema, "post", url, response)
