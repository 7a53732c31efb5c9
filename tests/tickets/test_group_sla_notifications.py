"""Notification rules about group ownership time (group SLA policies): warned before and at a
group's breach, limited to a group SLA policy or the holding group, cancelled when the group
hands the ticket off or it is solved, and named in words in webhooks and emails. Rules about
the ticket's own SLA never pick up group targets.

The receiver, the settings and the clock round are those of test_notifications.
"""

# The receiver, settings and clock fixtures are imported, and tests name them as parameters.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from policies import services as policy_services
from policies.models import GroupSlaPolicy, Policy
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tests.tickets.test_notifications import (  # noqa: F401 (fixtures)
    HOUR,
    MINUTE,
    T0,
    Receiver,
    Tick,
    _notification_settings,
    make_rule,
    receiver,
    rows,
    tick,
    webhook_rule,
)
from tickets import services
from tickets.models import Group, SlaNotification, Ticket, User
from tickets.notifications import rules as notification_rules

pytestmark = pytest.mark.django_db

GROUP_METRIC = "group_ownership_time"
RULES = "/api/v2/slas/notification_rules.json"


def group_policy(group: Group, *, urgent_seconds: int = 4 * 3600) -> GroupSlaPolicy:
    return policy_services.group_sla_policy_create(
        title=f"{group.name} holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[
            {"priority": "urgent", "target_seconds": urgent_seconds, "business_hours": False},
        ],
        now=T0 - 2 * HOUR,
    )


def new_ticket(customer: User, group: Group, **fields: Any) -> Ticket:
    return services.ticket_create(
        fields={
            "subject": "VPN down",
            "requester_id": customer.pk,
            "priority": "urgent",
            "group_id": group.pk,
            **fields,
        },
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=T0,
    )


def update(ticket: Ticket, at: Any, **fields: Any) -> None:
    agent = UserFactory(role="agent")
    services.ticket_update(
        ticket_id=ticket.pk, fields=fields, author_id=agent.pk, comment=None, now=at
    )


def waiting(ticket: Ticket) -> list[tuple[str, int, str, str]]:
    return [
        (row.metric, row.instance_id or 0, row.kind, row.status)
        for row in rows(ticket)
        if row.status == "scheduled"
    ]


@pytest.fixture
def tier2() -> Group:
    return GroupFactory(name="Tier 2")


@pytest.fixture
def tier2_policy(tier2: Group) -> GroupSlaPolicy:
    return group_policy(tier2)


@pytest.fixture
def frt_policy() -> Policy:
    return make_policy(
        "FRT 30m",
        filter={"all": [], "any": []},
        metrics=[metric("urgent", "first_reply_time", 30)],
    )


def test_a_group_rule_warns_before_and_at_the_group_breach_naming_policy_and_group(
    tier2: Group,
    tier2_policy: GroupSlaPolicy,
    frt_policy: Policy,
    end_user: User,
    receiver: Receiver,
    tick: Tick,
) -> None:
    warn = webhook_rule(
        receiver,
        title="Tier 2 OLA in 30 minutes",
        trigger="warning_before",
        lead_seconds=1800,
        metric=GROUP_METRIC,
        group_policy_id=tier2_policy.pk,
    )
    webhook_rule(receiver, title="Tier 2 OLA breached", trigger="breach", group_id=tier2.pk)
    # Rules about the ticket's own SLA: neither may fire for the group's target.
    by_policy = webhook_rule(
        receiver, title="FRT breached", trigger="breach", policy_id=frt_policy.pk
    )
    any_metric = webhook_rule(receiver, title="Anything breached", trigger="breach")
    ticket = new_ticket(end_user, tier2)

    notified = {(row.rule_id, row.metric) for row in rows(ticket)}
    assert (by_policy.pk, GROUP_METRIC) not in notified
    assert (any_metric.pk, GROUP_METRIC) not in notified
    assert tick(T0 + 30 * MINUTE) == 2  # the first reply breach, to both ticket-SLA rules
    assert {r.json["notification"]["metric"] for r in receiver.received} == {"first_reply_time"}
    receiver.received.clear()

    assert tick(T0 + 3 * HOUR + 29 * MINUTE) == 0
    assert tick(T0 + 3 * HOUR + 30 * MINUTE) == 1
    [warning] = receiver.received
    body = warning.json["notification"]
    assert (
        body["message"]
        == f"Group ownership (Tier 2) for ticket #{ticket.pk} breaches in 30 minutes"
    )
    assert body["kind"] == "warning"
    assert body["rule"] == {
        "id": warn.pk,
        "title": "Tier 2 OLA in 30 minutes",
        "trigger": "warning_before",
    }
    assert body["metric"] == GROUP_METRIC
    assert body["policy"] is None
    assert body["group_sla_policy"] == {"id": tier2_policy.pk, "title": "Tier 2 holds escalations"}
    assert body["group"] == {"id": tier2.pk, "name": "Tier 2"}
    assert body["target"] == {"target": 240, "target_in_seconds": 4 * 3600, "business_hours": False}
    assert body["breach_at"] == "2025-03-03T13:00:00Z"
    assert body["idempotency_key"] == f"{ticket.pk}:{GROUP_METRIC}:1:{warn.pk}:warning"

    assert tick(T0 + 4 * HOUR) == 1
    breach = receiver.received[-1].json["notification"]
    assert breach["message"] == f"Group ownership (Tier 2) for ticket #{ticket.pk} breached"
    assert (breach["kind"], breach["group"]["name"]) == ("breach", "Tier 2")
    assert tick(T0 + 6 * HOUR) == 0  # each once


def test_a_hand_off_or_solving_cancels_the_groups_waiting_notifications(
    tier2: Group, tier2_policy: GroupSlaPolicy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    tier1 = GroupFactory(name="Tier 1")
    group_policy(tier1, urgent_seconds=2 * 3600)
    webhook_rule(receiver, trigger="warning_before", lead_seconds=1800, group_id=tier2.pk)
    webhook_rule(receiver, trigger="breach", metric=GROUP_METRIC, group_policy_id=tier2_policy.pk)
    handed_off = new_ticket(end_user, tier2)
    solved = new_ticket(end_user, tier2)
    for ticket in (handed_off, solved):
        assert waiting(ticket) == [
            (GROUP_METRIC, 1, "warning", "scheduled"),
            (GROUP_METRIC, 1, "breach", "scheduled"),
        ]

    # Tier 2 hands one to Tier 1: Tier 1's ownership has a target, but neither rule is about it.
    update(handed_off, T0 + HOUR, group_id=tier1.pk)
    update(solved, T0 + HOUR, status="solved")
    for ticket in (handed_off, solved):
        assert waiting(ticket) == []
        assert {row.status for row in rows(ticket)} == {"cancelled"}
    assert tick(T0 + 5 * HOUR) == 0
    assert receiver.received == []

    # Back with Tier 2: its new ownership (instance 3) is watched from zero.
    update(handed_off, T0 + 5 * HOUR, group_id=tier2.pk)
    assert waiting(handed_off) == [
        (GROUP_METRIC, 3, "warning", "scheduled"),
        (GROUP_METRIC, 3, "breach", "scheduled"),
    ]
    assert tick(T0 + 8 * HOUR + 30 * MINUTE) == 1
    assert receiver.received[0].json["notification"]["instance_id"] == 3


def test_a_rule_made_later_reaches_open_tickets_of_its_group_policy_only(
    tier2: Group, tier2_policy: GroupSlaPolicy, end_user: User
) -> None:
    billing = GroupFactory(name="Billing")
    billing_policy = group_policy(billing)
    ours = new_ticket(end_user, tier2)
    theirs = new_ticket(end_user, billing)

    rule = make_rule(
        now=T0 + MINUTE,
        channel="email",
        trigger="breach",
        recipients=["group"],
        group_policy_id=tier2_policy.pk,
    )
    assert rule.metric == GROUP_METRIC  # a group SLA policy scope makes a group rule
    assert waiting(ours) == [(GROUP_METRIC, 1, "breach", "scheduled")]
    assert waiting(theirs) == []

    # Moved to the Billing policy: Tier 2's ticket is left, Billing's taken.
    notification_rules.notification_rule_update(
        rule_id=rule.pk, data={"group_policy_id": billing_policy.pk}, now=T0 + 2 * MINUTE
    )
    assert waiting(ours) == []
    assert waiting(theirs) == [(GROUP_METRIC, 1, "breach", "scheduled")]


def test_the_email_names_the_group_sla_policy_and_the_group(
    tier2: Group, tier2_policy: GroupSlaPolicy, end_user: User, tick: Tick
) -> None:
    agent = UserFactory(role="agent", email="tier2.agent@example.com")
    tier2.agents.add(agent)
    make_rule(
        channel="email",
        trigger="warning_before",
        lead_seconds=3600,
        metric=GROUP_METRIC,
        recipients=["group"],
    )
    ticket = new_ticket(end_user, tier2)
    assert tick(T0 + 3 * HOUR) == 1
    [message] = mail.outbox
    assert message.to == ["tier2.agent@example.com"]
    assert message.subject == f"Group SLA warning: #{ticket.pk} VPN down (Tier 2 ownership)"
    lines = message.body.splitlines()
    assert lines[0] == f"Group ownership (Tier 2) for ticket #{ticket.pk} breaches in 1 hour"
    assert "Group SLA policy: Tier 2 holds escalations" in lines
    assert "Metric: Group ownership (Tier 2) (target 240 minutes)" in lines


# The API ------------------------------------------------------------------------------------


def test_the_api_takes_a_group_scope_and_shows_it(
    admin_client: APIClient, tier2: Group, tier2_policy: GroupSlaPolicy
) -> None:
    response = admin_client.post(
        RULES,
        {
            "notification_rule": {
                "title": "Tier 2 OLA",
                "trigger": "breach",
                "channel": "email",
                "email_addresses": ["lead@example.com"],
                "group_policy_id": tier2_policy.pk,
                "group_id": tier2.pk,
            }
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    rule = response.json()["notification_rule"]
    assert (rule["metric"], rule["group_policy_id"], rule["group_id"], rule["policy_id"]) == (
        GROUP_METRIC,
        tier2_policy.pk,
        tier2.pk,
        None,
    )
    # Back to a ticket metric: the group scope must go with it.
    url = f"/api/v2/slas/notification_rules/{rule['id']}.json"
    response = admin_client.put(
        url, {"notification_rule": {"metric": "first_reply_time"}}, format="json"
    )
    assert response.status_code == 422
    assert "group_policy_id" in response.json()["details"]
    response = admin_client.put(
        url,
        {
            "notification_rule": {
                "metric": "first_reply_time",
                "group_policy_id": None,
                "group_id": None,
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["notification_rule"]["group_policy_id"] is None


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"metric": "first_reply_time", "group_id": "tier2"},
            "group_id",
            "applies only to group_ownership_time",
        ),
        (
            {"metric": GROUP_METRIC, "policy_id": "frt"},
            "policy_id",
            "scope it with group_policy_id",
        ),
        (
            {"group_policy_id": "01J0000000000000000000NONE"},
            "group_policy_id",
            "there is no group SLA policy",
        ),
        ({"group_id": 999_999}, "group_id", "there is no group 999999"),
        ({"group_policy_id": 12}, "group_policy_id", "not a valid string"),
        ({"metric": "ownership"}, "metric", "not a valid choice"),
        (
            {"trigger": "objective_below", "group_id": "tier2"},
            "group_id",
            "applies only to rules about tickets' targets",
        ),
    ],
)
def test_the_api_refuses_a_group_scope_that_cannot_match(
    admin_client: APIClient,
    tier2: Group,
    frt_policy: Policy,
    fields: dict[str, Any],
    field: str,
    words: str,
) -> None:
    known = {"tier2": tier2.pk, "frt": frt_policy.pk}
    fields = {
        key: known.get(value, value) if isinstance(value, str) else value
        for key, value in fields.items()
    }
    before = (
        SlaNotification.objects.count(),
        list(admin_client.get(RULES).json()["notification_rules"]),
    )
    body = {
        "title": "Scoped",
        "trigger": "breach",
        "channel": "email",
        "email_addresses": ["lead@example.com"],
        **fields,
    }
    response = admin_client.post(RULES, {"notification_rule": body}, format="json")
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["error"] == "RecordInvalid"
    assert words.lower() in str(answer["details"][field]).lower()
    assert (
        SlaNotification.objects.count(),
        admin_client.get(RULES).json()["notification_rules"],
    ) == before


def test_a_breached_group_target_escalates_to_the_next_tier(
    tier2: Group, tier2_policy: GroupSlaPolicy, end_user: User, tick: Tick
) -> None:
    tier3 = GroupFactory(name="Tier 3")
    make_rule(
        channel="email",
        trigger="breach",
        email_addresses=["lead@example.com"],
        group_id=tier2.pk,
        set_group_id=tier3.pk,
    )
    ticket = new_ticket(end_user, tier2)
    assert tick(T0 + 4 * HOUR) == 1
    assert Ticket.objects.get(pk=ticket.pk).group_id == tier3.pk
    # The hand-off ended Tier 2's ownership; the rule is not about Tier 3's.
    assert tick(T0 + 12 * HOUR) == 0
    assert len(mail.outbox) == 1
