"""The ticket's JSON is built directly rather than field by field (lists of 100 tickets spent
most of their time in DRF's per-field code): it must be, byte for byte and in key order, what
the declared fields answer, for every kind of value a ticket column holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from slaweb.api.output import output_context
from tests.factories import (
    BrandFactory,
    CustomStatusFactory,
    GroupFactory,
    OrganizationFactory,
    TicketFactory,
    TicketFormFactory,
    UserFactory,
    make_policy,
    metric,
)
from tickets import services
from tickets.api.audits import (
    EVENT_SHAPES,
    TicketAuditOutputSerializer,
    ticket_audits,
    with_comments,
)
from tickets.api.ticket_metrics import TicketMetricOutputSerializer
from tickets.api.tickets import TicketOutputSerializer, ticket_context
from tickets.models import Ticket, User
from tickets.sla.ticket_metrics import metric_tickets, ticket_metric_sets

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERYTHING = {"all": [], "any": []}


def request_for(include: str | None) -> Request:
    path = "/api/v2/tickets.json" + (f"?include={include}" if include is not None else "")
    return Request(APIRequestFactory().get(path))


def tickets_of_every_kind(agent: User) -> list[Ticket]:
    make_policy(
        "Everything",
        filter=EVERYTHING,
        metrics=[
            metric("urgent", "first_reply_time", 30),
            metric("urgent", "requester_wait_time", 240, business_hours=True),
            metric("normal", "first_reply_time", 60),
            metric("normal", "total_resolution_time", 600),
        ],
    )
    plain = TicketFactory(now=T0, priority=None, subject="", comment_body=None)
    urgent = TicketFactory(
        now=T0,
        priority="urgent",
        type="incident",
        group=GroupFactory(),
        assignee=agent,
        organization=OrganizationFactory(),
        brand=BrandFactory(),
        ticket_form=TicketFormFactory(),
        tags=["vip", "printer"],
    )
    services.ticket_update(
        ticket_id=urgent.pk,
        fields={"status": "pending"},
        comment=services.NewComment(body="On it", public=True, author_id=agent.pk),
        author_id=agent.pk,
        now=T0 + timedelta(minutes=10),
    )
    solved = TicketFactory(now=T0, comment_public=False)
    services.ticket_update(
        ticket_id=solved.pk,
        fields={"status": "solved"},
        author_id=agent.pk,
        comment=None,
        now=T0 + timedelta(hours=2),
    )
    # Values the services would not write today but the columns hold: every branch of the
    # representation (unknown channel, blank and non-blank recipient, custom fields of each
    # type, a custom status, an external id).
    Ticket.objects.filter(pk=plain.pk).update(
        via_id=99,
        recipient="",
        external_id="",
        custom_fields={"12": "text", "13": True, "14": None, "15": 4.5, "16": ["a", "b"]},
        tags=[],
        custom_status=CustomStatusFactory(),
    )
    Ticket.objects.filter(pk=urgent.pk).update(
        recipient="support@example.com", external_id="crm-7", via_id=0
    )
    return list(Ticket.objects.order_by("id"))


@pytest.mark.parametrize("include", [None, "", "slas", "metric_events", "slas,metric_events,users"])
def test_the_direct_representation_is_the_fields_own(include: str | None) -> None:
    agent = UserFactory(role="agent")
    tickets = tickets_of_every_kind(agent)
    now = T0 + timedelta(hours=1, seconds=17)
    context = ticket_context(request_for(include), tickets, now)
    if include is None:
        # Without `include` in the context every side-load is answered.
        del context["include"]
        context["sla_targets"] = {}
        context["metric_events"] = {}
    serializer = TicketOutputSerializer(context=context)
    for ticket in tickets:
        direct = serializer.to_representation(ticket)
        generic = serializer.fields_representation(ticket)
        assert json.dumps(direct) == json.dumps(generic)
    if include and "slas" in include:
        slas = [serializer.to_representation(t)["slas"]["policy_metrics"] for t in tickets]
        assert any(slas), "no ticket had an SLA to compare"
    if include and "metric_events" in include:
        assert any(
            events
            for t in tickets
            for events in serializer.to_representation(t)["metric_events"].values()
        )


def test_the_list_answers_the_fields_own_representation(admin_client: APIClient) -> None:
    agent = UserFactory(role="agent")
    tickets = tickets_of_every_kind(agent)
    now = T0 + timedelta(hours=3)
    with time_machine.travel(now, tick=False):
        listed = admin_client.get("/api/v2/tickets.json?include=slas").json()["tickets"]
        shown = admin_client.get(f"/api/v2/tickets/{tickets[1].pk}.json?include=slas").json()
    context = ticket_context(request_for("slas"), tickets, now)
    serializer = TicketOutputSerializer(context=context)
    expected = [serializer.fields_representation(t) for t in tickets]
    assert listed == json.loads(json.dumps(expected))
    assert [list(t) for t in listed] == [list(t) for t in expected]
    assert shown["ticket"] == listed[1]
    assert listed[1]["slas"]["policy_metrics"]


def test_audits_answer_their_fields_own_representation(admin_client: APIClient) -> None:
    agent = UserFactory(role="agent")
    tickets = tickets_of_every_kind(agent)
    html = services.NewComment(
        body="Fixed", html_body="<p>Fixed <b>now</b></p>", public=False, author_id=agent.pk
    )
    services.ticket_update(
        ticket_id=tickets[1].pk,
        fields={"priority": "low", "tags": ["done"]},
        comment=html,
        author_id=None,
        now=T0 + timedelta(hours=4),
    )
    audits = with_comments([a for t in tickets for a in ticket_audits(t.pk).order_by("id")])
    serializer = TicketAuditOutputSerializer()
    kinds = set()
    for audit in audits:
        direct = serializer.to_representation(audit)
        assert json.dumps(direct) == json.dumps(serializer.fields_representation(audit))
        for event in audit.events.all():
            shape = EVENT_SHAPES[type(event)]()
            kinds.add(type(event).__name__)
            assert json.dumps(shape.to_representation(event)) == json.dumps(
                shape.fields_representation(event)  # type: ignore[attr-defined]
            )
    assert kinds == {"CreateEvent", "ChangeEvent", "CommentEvent"}
    assert any(a.author_id is None for a in audits)
    listed = admin_client.get(f"/api/v2/tickets/{tickets[1].pk}/audits.json").json()["audits"]
    assert listed == [
        serializer.fields_representation(a) for a in audits if a.ticket_id == tickets[1].pk
    ]


def test_ticket_metrics_answer_their_fields_own_representation(admin_client: APIClient) -> None:
    agent = UserFactory(role="agent")
    tickets = tickets_of_every_kind(agent)
    now = T0 + timedelta(hours=5)
    metric_sets = ticket_metric_sets([metric_tickets().get(pk=t.pk) for t in tickets])
    serializer = TicketMetricOutputSerializer(context=output_context(request_for(None)))
    for metric_set in metric_sets:
        assert json.dumps(serializer.to_representation(metric_set)) == json.dumps(
            serializer.fields_representation(metric_set)
        )
    # Both kinds of value of each duration: measured and not yet.
    assert any(m.reply_time is None for m in metric_sets)
    assert any(m.full_resolution_time is not None for m in metric_sets)
    with time_machine.travel(now, tick=False):
        listed = admin_client.get("/api/v2/ticket_metrics.json").json()["ticket_metrics"]
    assert [list(m) for m in listed] == [
        list(serializer.fields_representation(m)) for m in metric_sets
    ]
    assert listed == [serializer.fields_representation(m) for m in metric_sets]
