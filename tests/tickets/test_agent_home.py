"""The agent home's order and views, the badges' lateness, and the ticket page in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.admin.ticket_page import (
    badge_tooltip,
    badge_view,
    duration_words,
    event_metric_title,
    local_time,
    policy_step_lines,
)
from tickets.models import Ticket, User
from tickets.selectors import (
    QUEUE_BREACHED,
    QUEUE_NEXT,
    QUEUE_NOT_RUNNING,
    queue_order,
    queue_section_counts,
    tickets_of_agent_groups,
    with_queue_section,
)
from tickets.sla.explain import explain

pytestmark = pytest.mark.django_db
EVERYTHING = {"all": [], "any": []}
QUEUE = "/admin/tickets/ticket/"


@pytest.fixture
def agent() -> User:
    return UserFactory(role="agent", email="agent@example.com", name="Agent Smith")


@pytest.fixture
def customer() -> User:
    return UserFactory(role="end-user", email="customer@example.com", name="Carla Customer")


@pytest.fixture
def urgent_policy() -> None:
    make_policy(
        "Urgent: 10-minute first reply",
        filter=EVERYTHING,
        metrics=[metric("urgent", minutes=10), metric("normal", minutes=60)],
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ordered(now: datetime) -> list[tuple[int, int]]:
    tickets = with_queue_section(Ticket.objects.all(), now=now).order_by(*queue_order())
    return [(t.pk, t.queue_section) for t in tickets]  # type: ignore[attr-defined]


def test_breaching_soonest_first_then_the_breached_latest_breach_first_then_nothing_running(
    customer: User, urgent_policy: None
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    days_ago = TicketFactory(requester=customer, now=now - timedelta(days=3))
    hour_ago = TicketFactory(requester=customer, now=now - timedelta(hours=2))
    ten_minutes = TicketFactory(requester=customer, priority="urgent", now=now)
    fifty_minutes = TicketFactory(requester=customer, now=now - timedelta(minutes=10))
    no_priority = TicketFactory(requester=customer, priority=None, now=now)
    solved = TicketFactory(requester=customer, status="solved", now=now)
    open_tickets = Ticket.objects.exclude(pk=solved.pk)
    tickets = with_queue_section(open_tickets, now=now).order_by(*queue_order())
    assert [(t.pk, t.queue_section) for t in tickets] == [  # type: ignore[attr-defined]
        (ten_minutes.pk, QUEUE_NEXT),
        (fifty_minutes.pk, QUEUE_NEXT),
        (hour_ago.pk, QUEUE_BREACHED),
        (days_ago.pk, QUEUE_BREACHED),
        (no_priority.pk, QUEUE_NOT_RUNNING),
    ]
    assert queue_section_counts(with_queue_section(open_tickets, now=now)) == {
        QUEUE_NEXT: 2,
        QUEUE_BREACHED: 2,
        QUEUE_NOT_RUNNING: 1,
    }
    # The same tickets a quarter of an hour later: the ten-minute one has joined the breached,
    # ahead of the older breaches.
    later = ordered(now + timedelta(minutes=15))
    assert later[:3] == [
        (fifty_minutes.pk, QUEUE_NEXT),
        (ten_minutes.pk, QUEUE_BREACHED),
        (hour_ago.pk, QUEUE_BREACHED),
    ]


def test_a_ticket_with_one_target_breached_and_another_running_counts_as_breached(
    customer: User,
) -> None:
    make_policy(
        "Two targets",
        filter=EVERYTHING,
        metrics=[metric("normal", minutes=60), metric("normal", "requester_wait_time", 600)],
    )
    now = datetime.now(UTC)
    ticket = TicketFactory(requester=customer, now=now - timedelta(hours=2))
    assert ordered(now) == [(ticket.pk, QUEUE_BREACHED)]


def test_the_queue_page_shows_sections_views_and_counts(
    agent: User, customer: User, urgent_policy: None
) -> None:
    now = datetime.now(UTC)
    group = GroupFactory(name="Billing")
    group.agents.add(agent)
    mine = TicketFactory(requester=customer, assignee=agent, now=now - timedelta(days=2))
    team = TicketFactory(requester=customer, group=group, priority="urgent")
    other = TicketFactory(requester=customer, priority=None)
    client = signed_in(agent)

    def rows(**params: str) -> list[int]:
        response = client.get(QUEUE, params)
        assert response.status_code == 200
        return [t.pk for t in response.context["cl"].result_list]

    response = client.get(QUEUE)
    html = response.content.decode()
    assert rows() == [team.pk, mine.pk, other.pk]
    assert html.index(">Breaching next</th>") < html.index(">Already breached</th>")
    assert html.index(">Already breached</th>") < html.index(">No running SLA target</th>")
    links = {link["key"]: link["count"] for link in response.context["cl"].section_links}
    assert links == {"next": 1, "breached": 1, "none": 1}
    assert rows(view="mine") == [mine.pk]
    assert rows(view="groups") == [team.pk]
    assert rows(sla="breached") == [mine.pk]
    # Counts ignore the section chosen, so each link says what it would show.
    sectioned = client.get(QUEUE, {"sla": "breached"}).context["cl"].section_links
    assert {link["key"]: link["count"] for link in sectioned} == links
    assert rows(view="mine", sla="next") == []
    assert set(tickets_of_agent_groups(Ticket.objects.all(), agent.pk)) == {team}


def test_an_unknown_view_or_section_shows_everything(
    agent: User, customer: User, urgent_policy: None
) -> None:
    TicketFactory(requester=customer)
    client = signed_in(agent)
    for params in ({"view": "nobody"}, {"sla": "soon"}):
        response = client.get(QUEUE, params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == 1


def item(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "metric": "first_reply_time",
        "instance_id": 1,
        "stage": "active",
        "breach_at": "2026-12-01T13:05:00Z",
        "breached": True,
        "now": False,
    }
    return {**base, **overrides}


def test_badges_say_how_late_even_when_the_target_changed_after_the_breach() -> None:
    now = datetime(2026, 12, 15, 13, 5, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    for changed in (False, True):
        badge = badge_view(item(now=changed), now, berlin)
        assert (badge.text, badge.colour) == ("-14d", "red")
        assert badge.tooltip.startswith("First reply: breached Tue 1 Dec, 14:05 (Europe/Berlin)")
        assert ("target changed after the breach" in badge.tooltip) is changed
    due = badge_view(item(breach_at="2026-12-15T13:15:00Z", breached=False), now, berlin)
    assert (due.text, due.colour) == ("10m", "amber")
    assert due.tooltip == "First reply: due Tue 15 Dec, 14:15 (Europe/Berlin)"
    last_year = item(breach_at="2025-12-01T13:05:00Z")
    assert "Mon 1 Dec 2025, 14:05" in badge_tooltip(last_year, berlin, now)
    paused = badge_view(item(stage="paused", breach_at=None), now, berlin)
    assert (paused.text, paused.tooltip) == ("paused", "First reply: paused, already breached")


def test_times_and_targets_in_words() -> None:
    moment = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert local_time(moment, ZoneInfo("Europe/Berlin"), year=True) == "Thu 15 Jan 2026, 10:00"
    assert duration_words(8 * 3600, business=True) == "8 business hours"
    assert duration_words(600) == "10 minutes"
    assert duration_words(5400) == "1 hour 30 minutes"
    assert duration_words(5400, business=True) == "1 hour 30 minutes of business hours"
    assert duration_words(2 * 86400) == "2 days"
    assert event_metric_title("reply_time", 1) == "First reply time"
    assert event_metric_title("reply_time", 2) == "Next reply time"
    assert event_metric_title("reply_time", 3) == "Next reply time #2"
    assert event_metric_title("resolution_time", 1) == "Total resolution time"


def test_why_this_sla_explains_a_ticket_created_for_a_customer(
    agent: User, customer: User, urgent_policy: None
) -> None:
    ticket = TicketFactory(requester=customer, submitter=agent, priority="urgent")
    explained = explain(ticket, datetime.now(UTC))
    assert [(i["metric"], i["reason"]) for i in explained["not_started"]] == [
        ("first_reply_time", "created_by_agent")
    ]
    # The API's "Why this SLA" says it too.
    response = signed_in(agent).get(f"/api/v2/tickets/{ticket.pk}/sla_explanation.json")
    assert response.status_code == 200
    reasons = response.json()["sla_explanation"]["not_started"]
    assert reasons[0]["setting"] == "activate_on_ticket_created_for_end_user"
    page = signed_in(agent).get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert 'data-reason="created_by_agent"' in page
    assert "requester writes the first comment" in page


def test_the_ticket_page_lists_events_in_words_and_each_policy_change_once(
    agent: User, customer: User, urgent_policy: None
) -> None:
    # Created at 09:00 UTC and answered at 11:00, whenever the test runs: an ISO time left in
    # the page's words shows as "T09:" (or "T10:", "T11:") below.
    created = datetime(2026, 11, 23, 9, tzinfo=UTC)
    with time_machine.travel(created + timedelta(hours=2), tick=False):
        ticket = TicketFactory(requester=customer, now=created)
        services.ticket_update(
            ticket_id=ticket.pk,
            fields={},
            author_id=agent.pk,
            comment=services.NewComment(body="Looking", public=False, author_id=agent.pk),
            now=created + timedelta(hours=2),
        )
        response = signed_in(agent).get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    texts = [row.text for row in response.context["events"]]
    assert texts[0] == "Ticket created: every SLA metric is measured from here"
    assert "First reply time target applied: 1 hour (Urgent: 10-minute first reply)" in texts
    assert "First reply time: breached" in texts
    steps = response.context["explanation"]["policy_steps"]
    assert [s["text"] for s in steps] == [
        "“Urgent: 10-minute first reply” applied at normal priority"
    ]
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    jargon_words = ("apply_sla", "agent_work_time", "instance 0", "(policy 1 ")
    for jargon in (*jargon_words, "T09:", "T10:", "T11:"):
        assert jargon not in text, jargon


def test_a_policy_edit_does_not_repeat_the_policy_change_line() -> None:
    step = {"matched_policy_id": 1, "applied_policy_id": 1, "priority": "normal"}
    named = {**step, "matched_title": "Everyone", "applied_title": "Everyone"}
    steps = [
        {**named, "at": "2026-01-15T09:00:00Z"},
        {**named, "at": "2026-01-15T10:00:00Z"},  # the policy was edited: same policy
        {**named, "at": "2026-01-15T11:00:00Z", "priority": "urgent"},
    ]
    lines = policy_step_lines(steps)
    assert [line["text"] for line in lines] == [
        "“Everyone” applied at normal priority",
        "“Everyone” applied at urgent priority",
    ]
    assert lines[1]["at"] == datetime(2026, 1, 15, 11, tzinfo=UTC)
