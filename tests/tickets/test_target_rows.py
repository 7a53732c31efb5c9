"""A carried save keeps each ticket's SLA target rows where they are: a target it changes is
updated in place, a settled one it leaves as it was is not written at all, one that loses its
target goes, and the rows always say what a full replay says."""

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


def _ticket_with_two_targets() -> tuple[Ticket, Any, Any]:
    customer = UserFactory(role="end-user")
    agent = UserFactory(role="agent")
    policy = make_policy(
        "Everyone",
        filter={"all": [], "any": []},
        metrics=[
            metric("normal", "first_reply_time", minutes=60),
            metric("normal", "next_reply_time", minutes=120),
        ],
    )
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=START,
    )
    return ticket, agent, policy


def _comment(ticket: Ticket, author_id: int, at: datetime, *, public: bool = True) -> None:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={},
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
    # The edit's recompute runs on commit; a save of the ticket applies it too.
    services.ticket_update(
        ticket_id=ticket.pk, fields={"subject": "t"}, author_id=None, comment=None, now=at
    )
    assert _rows(ticket) == {}
    assert ticket_sla_drift(Ticket.objects.get(pk=ticket.pk), now=at, grace_seconds=0) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions are PostgreSQL's")
def test_a_save_leaves_settled_targets_unwritten() -> None:
    ticket, agent, _ = _ticket_with_two_targets()
    reply_at = START + timedelta(minutes=5)
    _comment(ticket, agent.pk, reply_at)
    # The requester answers: next reply time starts; first reply time is done with.
    answer_at = reply_at + timedelta(minutes=5)
    _comment(ticket, ticket.requester_id, answer_at)
    rows, versions = _rows(ticket), _row_versions(ticket)
    assert set(rows) == {"first_reply_time", "next_reply_time"}
    # An internal note, then a reply that fulfils the next reply time: the running target's
    # row is written in place (its elapsed time moves on), the settled first reply time's
    # is not written again.
    note_at, reply_again_at = answer_at + timedelta(minutes=1), answer_at + timedelta(minutes=7)
    for at, public in ((note_at, False), (reply_again_at, True)):
        _comment(ticket, agent.pk, at, public=public)
        after = _rows(ticket)
        assert _row_versions(ticket)["first_reply_time"] == versions["first_reply_time"]
        assert after["first_reply_time"] == rows["first_reply_time"]
        assert after["next_reply_time"][0] == rows["next_reply_time"][0]
    assert _row_versions(ticket)["next_reply_time"] != versions["next_reply_time"]
    assert _rows(ticket)["next_reply_time"][1] != rows["next_reply_time"][1]
    stored = Ticket.objects.get(pk=ticket.pk)
    assert ticket_sla_drift(stored, now=reply_again_at, grace_seconds=0) == []
