"""A carried save keeps each ticket's SLA target rows where they are: a target it changes is
updated in place, one it evaluates to what the row already says is not written at all, one
that loses its target goes, and the rows always say what a full replay says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from policies import services as policy_services
from tests.factories import UserFactory, make_policy, metric
from tickets import services
from tickets.models import Ticket, TicketSlaTarget
from tickets.sla.recompute import ticket_sla_drift

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def _rows(ticket: Ticket) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """The ticket's target rows by metric: id, and the values a save may change."""
    return {
        row.metric: (
            row.pk,
            (row.stage, row.target_seconds, row.breach_at, row.fulfilled_at, row.breached),
        )
        for row in TicketSlaTarget.objects.filter(ticket=ticket)
    }


def _row_versions(ticket: Ticket) -> dict[str, str]:
    """Each target row's version (PostgreSQL's xmin): it changes whenever the row is written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT metric, xmin::text FROM tickets_ticketslatarget WHERE ticket_id = %s",
            [ticket.pk],
        )
        return dict(cursor.fetchall())


def _ticket_with_two_targets(second: str = "next_reply_time") -> tuple[Ticket, Any, Any]:
    """A normal ticket an end user opened at START under a catch-all policy promising a first
    reply in an hour and `second` in two; its agent; the policy."""
    customer = UserFactory(role="end-user")
    agent = UserFactory(role="agent")
    policy = make_policy(
        "Everyone",
        filter={"all": [], "any": []},
        metrics=[
            metric("normal", "first_reply_time", minutes=60),
            metric("normal", second, minutes=120),
        ],
    )
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=START,
    )
    return ticket, agent, policy


def _comment(
    ticket: Ticket,
    author_id: int,
    at: datetime,
    *,
    public: bool = True,
    fields: dict[str, Any] | None = None,
) -> None:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields=fields or {},
        author_id=author_id,
        comment=services.NewComment(body="…", public=public, author_id=author_id),
        now=at,
    )


@pytest.mark.django_db
def test_a_save_updates_the_targets_it_changes_in_place() -> None:
    ticket, agent, _ = _ticket_with_two_targets()
    before = _rows(ticket)
    assert set(before) == {"first_reply_time"}
    at = START + timedelta(minutes=5)
    _comment(ticket, agent.pk, at)
    after = _rows(ticket)
    # The reply fulfils the first reply time, in its own row.
    assert after["first_reply_time"][0] == before["first_reply_time"][0]
    assert after["first_reply_time"][1] != before["first_reply_time"][1]
    assert ticket_sla_drift(Ticket.objects.get(pk=ticket.pk), now=at, grace_seconds=0) == []


@pytest.mark.django_db
def test_a_target_dropped_by_a_policy_edit_loses_its_row() -> None:
    ticket, _, policy = _ticket_with_two_targets()
    at = START + timedelta(minutes=5)
    policy_services.policy_update(
        policy_id=policy.pk,
        data={"policy_metrics": [metric("urgent", "first_reply_time", minutes=60)]},
        now=at,
    )
    # The edit's recompute runs on commit; a save of the ticket, continuing its carried state,
    # applies it too.
    assert Ticket.objects.get(pk=ticket.pk).sla_state is not None
    services.ticket_update(
        ticket_id=ticket.pk, fields={"subject": "t"}, author_id=None, comment=None, now=at
    )
    assert _rows(ticket) == {}
    assert ticket_sla_drift(Ticket.objects.get(pk=ticket.pk), now=at, grace_seconds=0) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions are PostgreSQL's")
def test_a_save_leaves_unchanged_targets_unwritten() -> None:
    ticket, agent, _ = _ticket_with_two_targets("total_resolution_time")
    _comment(ticket, agent.pk, START + timedelta(minutes=5), fields={"status": "solved"})
    rows, versions = _rows(ticket), _row_versions(ticket)
    assert set(rows) == {"first_reply_time", "total_resolution_time"}
    # A note on the solved ticket: its resolution time, which a reopening would run again, is
    # evaluated, comes out the same, and its row is not written.
    _comment(ticket, agent.pk, START + timedelta(minutes=10), public=False)
    assert _rows(ticket) == rows
    assert _row_versions(ticket) == versions
    # The requester reopens it: the resolution time runs again, in its own row.
    reopened_at = START + timedelta(minutes=15)
    _comment(ticket, ticket.requester_id, reopened_at, fields={"status": "open"})
    after = _rows(ticket)
    assert after["total_resolution_time"][0] == rows["total_resolution_time"][0]
    assert after["total_resolution_time"][1] != rows["total_resolution_time"][1]
    assert _row_versions(ticket)["total_resolution_time"] != versions["total_resolution_time"]
    stored = Ticket.objects.get(pk=ticket.pk)
    assert ticket_sla_drift(stored, now=reopened_at, grace_seconds=0) == []
