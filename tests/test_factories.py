"""TicketFactory makes tickets as production does: through the service, with their first
comment, their audit and their SLA rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy, metric
from tickets.models import Ticket, TicketAudit, TicketComment, TicketSlaTarget

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, 0, 250_000, tzinfo=UTC)


def test_a_default_ticket_is_a_new_normal_ticket_from_an_end_user() -> None:
    make_policy("Everyone", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(now=T0)

    assert (ticket.status, ticket.priority, ticket.via_id) == ("new", "normal", 5)
    assert ticket.requester.role == "end-user"
    assert ticket.submitter == ticket.requester
    assert ticket.created_at == ticket.updated_at == T0.replace(microsecond=0)
    [comment] = TicketComment.objects.filter(ticket=ticket)
    assert (comment.author, comment.public, comment.body) == (ticket.requester, True, "help")
    assert ticket.description == "help"
    [audit] = TicketAudit.objects.filter(ticket=ticket)
    assert audit.comment == comment
    target = TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")
    assert target.breach_at == T0.replace(microsecond=0) + timedelta(hours=1)


def test_fields_objects_and_the_comment_can_be_chosen() -> None:
    customer = UserFactory(role="end-user")
    agent = UserFactory(role="agent")
    group = GroupFactory()
    ticket = TicketFactory(
        requester=customer,
        created_at=T0,
        subject="Refund",
        priority="urgent",
        status="pending",
        group=group,
        assignee=agent,
        tags=["vip"],
        submitter=agent,
        comment_body="Calling you back",
        comment_public=False,
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.subject, ticket.priority, ticket.status) == ("Refund", "urgent", "pending")
    assert (ticket.requester, ticket.submitter) == (customer, agent)
    assert (ticket.group, ticket.assignee, ticket.tags) == (group, agent, ["vip"])
    assert ticket.created_at == T0.replace(microsecond=0)
    [comment] = TicketComment.objects.filter(ticket=ticket)
    assert (comment.author, comment.public, comment.body) == (agent, False, "Calling you back")


def test_without_a_comment_and_without_a_status() -> None:
    agent = UserFactory(role="agent")
    assigned = TicketFactory(assignee=agent, comment_body=None)

    assert assigned.status == "open"  # the service's choice for an assigned ticket
    assert not TicketComment.objects.filter(ticket=assigned).exists()
    assert TicketAudit.objects.filter(ticket=assigned).count() == 1


def test_it_only_creates() -> None:
    with pytest.raises(TypeError, match="only creates"):
        TicketFactory.build()
