"""The agents' pages in the admin site: the queue, the ticket page and the JSON they poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.models import Ticket, TicketAudit, TicketComment, TicketSlaTarget, User

pytestmark = pytest.mark.django_db
EVERYTHING = {"all": [], "any": []}
POLL = "/admin/tickets/ticket/sla/"
QUEUE = "/admin/tickets/ticket/"


@pytest.fixture(autouse=True)
def clock_stopped() -> Iterator[None]:
    """Badges count the minutes to a deadline from the request's clock: stopped, a slow run
    cannot move a count across the half minute that rounds it."""
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0), tick=False):
        yield


def page_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


@pytest.fixture
def agent() -> User:
    return UserFactory(role="agent", email="agent@example.com", name="Agent Smith")


@pytest.fixture
def customer() -> User:
    return UserFactory(role="end-user", email="customer@example.com", name="Carla Customer")


@pytest.fixture
def policy() -> None:
    make_policy(
        "Everyone",
        filter=EVERYTHING,
        metrics=[
            metric("normal", "first_reply_time", 60),
            metric("normal", "requester_wait_time", 240),
            metric("urgent", "first_reply_time", 10),
        ],
    )


def signed_in(user: User, **options: bool) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def frt(ticket: Ticket) -> TicketSlaTarget:
    return TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")


# The JSON poll endpoint -----------------------------------------------------------------------


def test_poll_answers_badges_in_the_include_slas_shape(
    agent: User, customer: User, policy: None
) -> None:
    ticket = TicketFactory(requester=customer, now=datetime.now(UTC) - timedelta(minutes=20))
    body = signed_in(agent).get(POLL, {"ids": str(ticket.pk)}).json()

    assert set(body) == {"now", "tickets"}
    datetime.fromisoformat(body["now"].replace("Z", "+00:00"))
    (row,) = body["tickets"]
    assert set(row) == {
        "id",
        "status",
        "priority",
        "updated_at",
        "version",
        "next_breach_at",
        "badge",
        "policy_metrics",
    }
    assert (row["id"], row["status"], row["priority"]) == (ticket.pk, "new", "normal")
    by_metric = {item["metric"]: item for item in row["policy_metrics"]}
    assert set(by_metric) == {"first_reply_time", "requester_wait_time"}
    first = by_metric["first_reply_time"]
    # Zendesk's element (stage, breach_at, the signed rounded unit) plus the badge's flags.
    assert first["stage"] == "active"
    assert first["minutes"] == 40
    assert first["breach_at"] == frt(ticket).breach_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (first["instance_id"], first["breached"], first["now"]) == (1, False, False)
    assert first["label"] == "First reply"
    assert by_metric["requester_wait_time"]["hours"] == 4
    # The soonest running target is the queue's badge.
    assert row["badge"] == first


def test_poll_query_count_does_not_grow_with_the_tickets(
    agent: User, customer: User, policy: None
) -> None:
    client = signed_in(agent)
    tickets = [TicketFactory(requester=customer)]
    client.get(POLL, {"ids": str(tickets[0].pk)})  # warm the session and caches

    def count(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(POLL, {"ids": ",".join(map(str, ids))})
        assert response.status_code == 200
        assert len(response.json()["tickets"]) == len(ids)
        return len(queries)

    one = count([tickets[0].pk])
    tickets += [TicketFactory(requester=customer, subject=f"t{n}") for n in range(49)]
    assert count([t.pk for t in tickets]) == one


def test_poll_refuses_end_users_and_anonymous_callers(customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    for client in (Client(), signed_in(customer)):
        response = client.get(POLL, {"ids": str(ticket.pk)})
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("ids", "error"),
    [
        ("1,x", "ids must be comma-separated ticket ids"),
        ("0", "ids must be ticket ids: whole numbers from 1"),
        ("99999999999999999999", "ids must be ticket ids: whole numbers from 1"),
        (",".join(str(n) for n in range(1, 202)), "ids must list at most 200 ids"),
    ],
)
def test_poll_rejects_bad_ids(agent: User, ids: str, error: str) -> None:
    response = signed_in(agent).get(POLL, {"ids": ids})
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_a_target_applied_after_its_deadline_shows_how_late(
    agent: User, customer: User, policy: None
) -> None:
    # No priority, so no targets; two hours later a priority brings a 60-minute target that
    # is already past: the breach is recorded at that save. Where Zendesk's badge says "Now",
    # this one says how late the ticket is, and its tooltip says the target changed.
    ticket = TicketFactory(
        requester=customer, now=datetime.now(UTC) - timedelta(hours=2), priority=None
    )
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"priority": "normal"},
        author_id=agent.pk,
        comment=None,
        now=datetime.now(UTC),
    )
    body = signed_in(agent).get(POLL, {"ids": str(ticket.pk)}).json()
    badge = body["tickets"][0]["badge"]
    assert (badge["metric"], badge["breached"], badge["now"]) == ("first_reply_time", True, True)
    assert badge["minutes"] == -60

    html = signed_in(agent).get(QUEUE).content.decode()
    assert 'data-now="true"' in html
    assert '<span class="sla-badge__text">-60m</span>' in html
    assert ">Now<" not in html
    assert "(the target changed after the breach)" in html


def test_a_breached_target_changed_to_a_later_but_past_deadline_shows_now(
    agent: User, customer: User, policy: None
) -> None:
    # Breached at ten minutes (urgent); then normal priority moves the deadline to sixty
    # minutes, also past: the breach is recorded again at that save, so "Now".
    ticket = TicketFactory(
        requester=customer, now=datetime.now(UTC) - timedelta(hours=3), priority="urgent"
    )
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"priority": "normal"},
        author_id=agent.pk,
        comment=None,
        now=datetime.now(UTC),
    )
    badge = signed_in(agent).get(POLL, {"ids": str(ticket.pk)}).json()["tickets"][0]["badge"]
    assert (badge["metric"], badge["breached"], badge["now"]) == ("first_reply_time", True, True)


def test_a_breach_without_a_later_change_counts_negative_time(
    agent: User, customer: User, policy: None
) -> None:
    ticket = TicketFactory(requester=customer, now=datetime.now(UTC) - timedelta(hours=2))
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={},
        author_id=agent.pk,
        comment=services.NewComment(body="Looking", public=False, author_id=agent.pk),
        now=datetime.now(UTC),
    )
    assert frt(ticket).breached
    client = signed_in(agent)
    badge = client.get(POLL, {"ids": str(ticket.pk)}).json()["tickets"][0]["badge"]
    assert (badge["breached"], badge["now"], badge["minutes"]) == (True, False, -60)
    html = client.get(page_url(ticket)).content.decode()
    assert '<span class="sla-badge__text">-60m</span>' in html
    assert "sla-badge--red" in html


def test_the_admin_passes_the_system_checks() -> None:
    call_command("check", fail_level="WARNING")


# Permissions ----------------------------------------------------------------------------------


def test_agents_change_tickets_and_nothing_else(agent: User, customer: User) -> None:
    assert agent.has_perm("tickets.change_ticket")
    assert agent.has_perm("policies.view_policy")
    assert not agent.has_perm("policies.change_policy")
    assert not agent.has_perm("tickets.change_user")
    assert not agent.has_perm("tickets.add_ticket")
    assert not agent.has_perm("tickets.delete_ticket")
    assert not customer.has_perm("tickets.change_ticket")
    assert not customer.has_perm("tickets.view_ticket")


def test_agent_opens_the_queue_and_the_ticket_page(
    agent: User, customer: User, policy: None
) -> None:
    ticket = TicketFactory(requester=customer, comment_body="It broke")
    client = signed_in(agent)
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    assert f'data-ticket="{ticket.pk}"' in queue.content.decode()
    response = client.get(page_url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("SLA targets", "Reply and update", "Why this SLA", "Metric events", "It broke"):
        assert text in html
    assert 'data-role="target"' in html


def test_end_users_and_anonymous_cannot_open_the_pages(customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    for client in (Client(), signed_in(customer)):
        for url in (QUEUE, page_url(ticket)):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
        response = client.post(page_url(ticket), {"body": "hi", "visibility": "public"})
        assert response.status_code == 302
    assert TicketComment.objects.filter(ticket=ticket).count() == 1


def test_admin_has_no_add_or_delete_for_tickets(customer: User, policy: None) -> None:
    admin = UserFactory(role="admin", email="boss@example.com")
    ticket = TicketFactory(requester=customer)
    client = signed_in(admin)
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/delete/").status_code == 403
    assert client.get(page_url(ticket)).status_code == 200


# The ticket page's form -----------------------------------------------------------------------


def post(client: Client, ticket: Ticket, **data: str) -> object:
    form = {"body": "", "visibility": "public", "status": ticket.status, "priority": "normal"}
    return client.post(page_url(ticket), {**form, **data})


def test_public_reply_fulfils_first_reply(agent: User, customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    response = post(signed_in(agent), ticket, body="On it", status="open")
    assert response.status_code == 302
    assert response["Location"] == page_url(ticket)
    target = frt(ticket)
    assert target.stage == "achieved"
    assert target.fulfilled_at is not None
    comment = TicketComment.objects.filter(ticket=ticket).last()
    assert (comment.body, comment.public, comment.author_id) == ("On it", True, agent.pk)
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    audit = TicketAudit.objects.filter(ticket=ticket).last()
    assert (audit.author_id, audit.via_id) == (agent.pk, 0)


def test_private_note_leaves_first_reply_running(agent: User, customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    assert post(signed_in(agent), ticket, body="Internal", visibility="private").status_code == 302
    target = frt(ticket)
    assert (target.stage, target.fulfilled_at) == ("active", None)
    assert TicketComment.objects.filter(ticket=ticket).last().public is False


def test_priority_change_recomputes_the_sla(agent: User, customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    before = frt(ticket).breach_at
    assert post(signed_in(agent), ticket, priority="urgent").status_code == 302
    assert frt(ticket).breach_at == before - timedelta(minutes=50)
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"status": "bogus"}, "Select a valid choice"),
        ({"status": "closed"}, "Select a valid choice"),
        ({"priority": "whenever"}, "Select a valid choice"),
        ({"visibility": "shouting", "body": "x"}, "Select a valid choice"),
        ({}, "Nothing to save"),
        ({"body": "   "}, "Nothing to save"),
        ({"body": "x" * 65_537}, "at most 65536 characters"),
    ],
)
def test_bad_input_shows_form_errors_and_writes_nothing(
    agent: User, customer: User, policy: None, data: dict[str, str], error: str
) -> None:
    ticket = TicketFactory(requester=customer)
    audits = TicketAudit.objects.count()
    response = post(signed_in(agent), ticket, **data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert TicketAudit.objects.count() == audits
    assert TicketComment.objects.filter(ticket=ticket).count() == 1
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.priority) == ("new", "normal")


def test_closed_tickets_cannot_be_updated(agent: User, customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer, status="closed")
    response = post(signed_in(agent), ticket, body="Too late", status="closed")
    assert response.status_code == 200
    assert "A closed ticket cannot be updated." in response.content.decode()
    assert TicketComment.objects.filter(ticket=ticket).count() == 1


def test_the_form_needs_the_csrf_token(agent: User, customer: User, policy: None) -> None:
    ticket = TicketFactory(requester=customer)
    client = signed_in(agent, enforce_csrf_checks=True)
    response = post(client, ticket, body="No token")
    assert response.status_code == 403
    assert TicketComment.objects.filter(ticket=ticket).count() == 1

    page = client.get(page_url(ticket))
    token = page.context["csrf_token"]
    response = post(client, ticket, body="With token", csrfmiddlewaretoken=str(token))
    assert response.status_code == 302
    assert TicketComment.objects.filter(ticket=ticket).count() == 2


# The queue ------------------------------------------------------------------------------------


def queue_ids(client: Client, **params: str) -> list[int]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


def test_queue_orders_by_next_breach_then_the_breached(
    agent: User, customer: User, policy: None
) -> None:
    now = datetime.now(UTC)
    later = TicketFactory(requester=customer, now=now - timedelta(minutes=5), subject="later")
    breached = TicketFactory(requester=customer, now=now - timedelta(hours=3), subject="breached")
    sooner = TicketFactory(requester=customer, now=now - timedelta(minutes=30), subject="sooner")
    no_sla = TicketFactory(requester=customer, subject="no priority", priority=None)
    solved = TicketFactory(requester=customer, subject="solved", status="solved")
    client = signed_in(agent)
    assert queue_ids(client) == [sooner.pk, later.pk, breached.pk, no_sla.pk]
    assert solved.pk in queue_ids(client, status="all")
    assert queue_ids(client, status="solved") == [solved.pk]
    # The policy impact preview links to a list of ids.
    assert queue_ids(client, id__in=f"{later.pk},{solved.pk}") == [later.pk, solved.pk]


def test_queue_filters(agent: User, customer: User, policy: None) -> None:
    now = datetime.now(UTC)
    other_agent = UserFactory(role="agent", email="other@example.com")
    group = GroupFactory(name="Billing")
    mine = TicketFactory(requester=customer, subject="mine", assignee=agent, group=group)
    theirs = TicketFactory(requester=customer, subject="theirs", assignee=other_agent)
    urgent = TicketFactory(requester=customer, subject="urgent", priority="urgent")
    late = TicketFactory(requester=customer, now=now - timedelta(hours=2), subject="late")
    vip_policy = make_policy(
        "VIP",
        filter={"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}]},
        metrics=[metric("low", "first_reply_time", 600)],
        position=1,
    )
    vip = TicketFactory(requester=customer, subject="vip", priority="low", tags=["vip"])
    client = signed_in(agent)
    assert queue_ids(client, group__id__exact=str(group.pk)) == [mine.pk]
    assert queue_ids(client, assignee__id__exact=str(other_agent.pk)) == [theirs.pk]
    assert queue_ids(client, priority__exact="urgent") == [urgent.pk]
    assert queue_ids(client, breached="yes") == [late.pk]
    assert set(queue_ids(client, breached="no")) == {mine.pk, theirs.pk, urgent.pk, vip.pk}
    assert queue_ids(client, sla_policy__id__exact=str(vip_policy.pk)) == [vip.pk]
    everyone = Ticket.objects.get(pk=mine.pk).sla_policy_id
    assert set(queue_ids(client, sla_policy__id__exact=str(everyone))) == {
        mine.pk,
        theirs.pk,
        urgent.pk,
        late.pk,
    }


def test_queue_query_count_does_not_grow_with_the_tickets(
    agent: User, customer: User, policy: None
) -> None:
    client = signed_in(agent)
    TicketFactory(requester=customer)
    client.get(QUEUE)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    one = count()
    for n in range(20):
        TicketFactory(requester=customer, subject=f"t{n}", assignee_id=agent.pk)
    assert count() == one
