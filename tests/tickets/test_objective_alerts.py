"""Objective alerts: rules that fire when an objective falls below its rate or burns its error
budget too fast, once per episode, through the notifications' delivery.

Time is simulated: the check and the firing take `now`, and the delivery task runs under
time-machine. Webhooks go to a real HTTP server on 127.0.0.1 (the `receiver` fixture of the
notification tests); emails go through Django's locmem backend.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from policies.models import Policy
from tests.factories import TicketFactory, make_policy
from tests.tickets.test_notifications import (  # noqa: F401 (fixtures, found by their names)
    SECRET,
    Receiver,
    _notification_settings,
    make_rule,
    receiver,
)
from tests.tickets.test_objectives import Rows, at
from tickets.breach_clock import check_objective_alerts
from tickets.models import NotificationRule, ServiceLevelObjective, SlaNotification, Ticket
from tickets.notifications.firing import notifications_fire_due
from tickets.notifications.objective_alerts import objective_alerts_check
from tickets.notifications.webhooks import standard_secret
from tickets.objectives import objective_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LIST = "/api/v2/slas/notification_rules.json"


class Data:
    """An objective of 90 % over 7 days on one policy's first replies, and its target rows."""

    def __init__(self) -> None:
        self.policy: Policy = make_policy("Gold")
        self.ticket: Ticket = TicketFactory(priority="normal", status="open", now=at(9, 1))
        self.rows = Rows()
        self.objective: ServiceLevelObjective = objective_create(
            data={
                "title": "Replies on time",
                "policy_id": self.policy.pk,
                "metric": "first_reply_time",
                "priority": "",
                "target_rate": Decimal("90"),
                "window_days": 7,
            },
            now=NOW - 30 * DAY,
        )

    def achieved(self, when: datetime, n: int = 1) -> None:
        self.rows.achieved(self.ticket, "first_reply_time", self.policy, when, n)

    def breached(self, when: datetime, n: int = 1) -> None:
        for _ in range(n):
            self.rows.breached(self.ticket, "first_reply_time", self.policy, when)


@pytest.fixture
def data() -> Data:
    return Data()


@pytest.fixture
def hook(request: pytest.FixtureRequest) -> Receiver:
    """The notification tests' real HTTP receiver."""
    return request.getfixturevalue("receiver")


def objective_rule(**fields: Any) -> NotificationRule:
    return make_rule(now=NOW - 30 * DAY, **fields)


def webhook_objective_rule(hook: Receiver, **fields: Any) -> NotificationRule:
    return objective_rule(channel="webhook", webhook_url=hook.url, webhook_secret=SECRET, **fields)


def clock_round(now: datetime, capture: Any) -> int:
    """One clock round's objective part: check (the interval has passed), then fire and run
    the delivery tasks the firing enqueues on commit, with the clock at `now`."""
    with time_machine.travel(now, tick=False):
        check_objective_alerts(now=now, last_checked_at=None)
        with capture(execute=True):
            return notifications_fire_due(now=now)


def alerts() -> list[SlaNotification]:
    return list(SlaNotification.objects.filter(objective__isnull=False).order_by("fire_at", "id"))


def test_below_target_fires_once_per_episode(
    data: Data, hook: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    rule = webhook_objective_rule(hook, trigger="objective_below")
    data.achieved(NOW - DAY, 9)
    assert clock_round(NOW, django_capture_on_commit_callbacks) == 0  # 100 %: met

    data.breached(NOW - DAY, 2)  # 9 of 11: 81.8 %
    assert clock_round(NOW + 5 * MINUTE, django_capture_on_commit_callbacks) == 1
    assert len(hook.received) == 1
    first = hook.received[0]
    with time_machine.travel(NOW + 5 * MINUTE, tick=False):
        Webhook(standard_secret(SECRET)).verify(first.body, first.headers)
    payload = first.json["notification"]
    assert payload["kind"] == "objective"
    assert payload["rule"]["trigger"] == "objective_below"
    assert payload["objective"]["id"] == data.objective.pk
    assert payload["objective"]["title"] == "Replies on time"
    assert payload["policy"] == {"id": data.policy.pk, "title": "Gold"}
    assert payload["metric"] == "first_reply_time"
    assert payload["target_rate"] == 90.0
    assert payload["rate"] == pytest.approx(81.82, abs=0.01)
    assert payload["met"] is False
    assert payload["error_budget_remaining"] == 1 - 2
    assert payload["burn_rate"] == pytest.approx(1.8182, abs=0.0001)
    assert payload["window"]["days"] == 7
    assert first.headers["x-slaweb-idempotency-key"] == payload["idempotency_key"]

    # Still below on the next rounds: the open episode keeps the rule quiet.
    for minutes in (10, 15, 60):
        assert clock_round(NOW + minutes * MINUTE, django_capture_on_commit_callbacks) == 0
    assert len(hook.received) == 1

    data.achieved(NOW - DAY, 20)  # 29 of 31: 93.5 %, met again: the episode closes
    assert clock_round(NOW + 2 * HOUR, django_capture_on_commit_callbacks) == 0
    [closed] = alerts()
    assert closed.episode_ended_at == NOW + 2 * HOUR
    assert closed.status == "delivered"

    data.breached(NOW - DAY, 3)  # 29 of 34: 85.3 %, a relapse
    assert clock_round(NOW + 3 * HOUR, django_capture_on_commit_callbacks) == 1
    assert len(hook.received) == 2
    second = hook.received[1]
    with time_machine.travel(NOW + 3 * HOUR, tick=False):
        Webhook(standard_secret(SECRET)).verify(second.body, second.headers)
    assert second.json["notification"]["fire_at"] == "2026-11-30T15:00:00Z"
    keys = {r.headers["x-slaweb-idempotency-key"] for r in hook.received}
    assert len(keys) == 2
    assert [(row.rule_id, row.status) for row in alerts()] == [
        (rule.pk, "delivered"),
        (rule.pk, "delivered"),
    ]


def test_budget_burn_fires_at_the_threshold_not_below(
    data: Data, hook: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook_objective_rule(hook, trigger="budget_burn", burn_rate=2)
    # Burn rate = breached / (10 % of settled). One achievement leaves the window at NOW + 1h.
    data.achieved(NOW - 7 * DAY + HOUR)
    data.achieved(NOW - DAY, 8)
    data.breached(NOW - DAY, 2)
    assert clock_round(NOW, django_capture_on_commit_callbacks) == 0  # 2 / 1.1 = 1.82
    assert hook.received == []

    assert clock_round(NOW + 2 * HOUR, django_capture_on_commit_callbacks) == 1  # 2 / 1.0
    [alert] = hook.received
    payload = alert.json["notification"]
    assert payload["rule"]["trigger"] == "budget_burn"
    assert payload["rule"]["burn_rate"] == 2.0
    assert payload["burn_rate"] == 2.0
    assert payload["met"] is False


def test_budget_burn_defaults_to_one(data: Data) -> None:
    rule = objective_rule(
        trigger="budget_burn", channel="email", email_addresses=["oncall@example.com"]
    )
    assert rule.burn_rate == Decimal(1)
    data.achieved(NOW - DAY, 10)
    data.breached(NOW - DAY, 1)  # 1 / 1.1: under 1
    assert objective_alerts_check(now=NOW) == 0
    data.breached(NOW - DAY, 1)  # 2 / 1.2: over 1
    assert objective_alerts_check(now=NOW + MINUTE) == 1


def test_an_email_alert_reaches_the_fixed_addresses(
    data: Data, django_capture_on_commit_callbacks: Any
) -> None:
    objective_rule(
        trigger="objective_below",
        channel="email",
        email_addresses=["OnCall@example.com", "lead@example.com"],
        objective_id=data.objective.pk,
    )
    data.achieved(NOW - DAY, 3)
    data.breached(NOW - DAY, 1)
    assert clock_round(NOW, django_capture_on_commit_callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["oncall@example.com", "lead@example.com"]
    assert message.subject == "Objective below target: Replies on time"
    assert "Rate: 75.0 % (target 90.0 %), 3 achieved, 1 breached" in message.body
    assert f"/api/v2/slas/objectives/{data.objective.pk}.json" in message.body
    assert [row.status for row in alerts()] == ["delivered"]


def test_a_rule_for_one_objective_ignores_the_others(
    data: Data, django_capture_on_commit_callbacks: Any
) -> None:
    other = objective_create(
        data={
            "title": "Other",
            "policy_id": data.policy.pk,
            "metric": "",
            "priority": "",
            "target_rate": Decimal("99"),
            "window_days": 7,
        },
        now=NOW - 30 * DAY,
    )
    objective_rule(
        trigger="objective_below",
        channel="email",
        email_addresses=["oncall@example.com"],
        objective_id=other.pk,
    )
    data.achieved(NOW - DAY, 99)
    data.breached(NOW - DAY, 2)  # Other misses 99 %; Replies on time meets 90 %
    assert objective_alerts_check(now=NOW) == 1
    assert [row.objective_id for row in alerts()] == [other.pk]


def test_each_objective_status_is_computed_once_per_check(data: Data) -> None:
    data.achieved(NOW - DAY, 3)
    data.breached(NOW - DAY, 1)
    email = {"channel": "email", "email_addresses": ["oncall@example.com"]}
    objective_rule(trigger="objective_below", **email)
    with CaptureQueriesContext(connection) as one_rule:
        assert objective_alerts_check(now=NOW) == 1
    SlaNotification.objects.all().delete()
    objective_rule(trigger="budget_burn", **email)
    objective_rule(trigger="objective_below", objective_id=data.objective.pk, **email)
    objective_rule(trigger="budget_burn", burn_rate="50", **email)
    with CaptureQueriesContext(connection) as four_rules:
        assert objective_alerts_check(now=NOW) == 3  # the last rule's threshold is not reached
    assert len(four_rules) == len(one_rule)


def test_the_clock_checks_no_sooner_than_the_interval(data: Data, settings: Any) -> None:
    settings.SLAWEB_OBJECTIVE_CHECK_SECONDS = 300
    objective_rule(
        trigger="objective_below", channel="email", email_addresses=["oncall@example.com"]
    )
    data.achieved(NOW - DAY, 3)
    data.breached(NOW - DAY, 1)
    with CaptureQueriesContext(connection) as queries:
        checked = check_objective_alerts(now=NOW + 299 * timedelta(seconds=1), last_checked_at=NOW)
    assert checked == NOW
    assert len(queries) == 0
    assert alerts() == []
    later = NOW + 300 * timedelta(seconds=1)
    assert check_objective_alerts(now=later, last_checked_at=NOW) == later
    assert [row.fire_at for row in alerts()] == [later]


def test_an_inactive_rule_closes_its_episode(data: Data) -> None:
    rule = objective_rule(
        trigger="objective_below", channel="email", email_addresses=["oncall@example.com"]
    )
    data.achieved(NOW - DAY, 3)
    data.breached(NOW - DAY, 1)
    assert objective_alerts_check(now=NOW) == 1
    NotificationRule.objects.filter(pk=rule.pk).update(active=False)
    assert objective_alerts_check(now=NOW + MINUTE) == 0
    assert [row.episode_ended_at for row in alerts()] == [NOW + MINUTE]
    NotificationRule.objects.filter(pk=rule.pk).update(active=True)
    assert objective_alerts_check(now=NOW + 2 * MINUTE) == 1  # still below: a new episode


OBJECTIVE_EMAIL = {
    "title": "Objective alert",
    "trigger": "objective_below",
    "channel": "email",
    "email_addresses": ["oncall@example.com"],
}


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"metric": "first_reply_time"}, "metric", "scoped by objective_id"),
        ({"priority": "urgent"}, "priority", "scoped by objective_id"),
        ({"policy_id": "gold"}, "policy_id", "scoped by objective_id"),
        ({"lead_seconds": 900}, "lead_seconds", "only to warning_before"),
        ({"percent": 50}, "percent", "only to warning_percent"),
        ({"set_priority": "urgent"}, "set_priority", ""),
        ({"add_tag": "late"}, "add_tag", ""),
        ({"hold_for_business_hours": True}, "hold_for_business_hours", "tickets' targets"),
        ({"recipients": ["assignee"]}, "recipients", "email_addresses only"),
        ({"recipients": ["group"], "email_addresses": []}, "recipients", "only"),
        ({"email_addresses": []}, "email_addresses", "needs email_addresses"),
        ({"burn_rate": 2}, "burn_rate", "only to budget_burn"),
        ({"trigger": "budget_burn", "burn_rate": 0}, "burn_rate", "greater than or equal"),
        ({"objective_id": 99999}, "objective_id", "no objective"),
        ({"trigger": "breach", "objective_id": None, "burn_rate": 1}, "burn_rate", "budget_burn"),
    ],
)
def test_ticket_fields_on_objective_rules_are_422(
    admin_client: APIClient, fields: dict[str, Any], field: str, problem: str
) -> None:
    gold = make_policy("Gold")
    if fields.get("policy_id") == "gold":
        fields = {**fields, "policy_id": gold.pk}
    response = admin_client.post(
        LIST, {"notification_rule": {**OBJECTIVE_EMAIL, **fields}}, format="json"
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert field in body["details"], body
    assert problem in str(body["details"][field])
    assert not NotificationRule.objects.exists()


def test_the_api_creates_and_shows_an_objective_rule(admin_client: APIClient, data: Data) -> None:
    response = admin_client.post(
        LIST,
        {
            "notification_rule": {
                **OBJECTIVE_EMAIL,
                "trigger": "budget_burn",
                "burn_rate": "1.5",
                "objective_id": data.objective.pk,
            }
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    shown = response.json()["notification_rule"]
    assert shown["trigger"] == "budget_burn"
    assert shown["burn_rate"] == 1.5
    assert shown["objective_id"] == data.objective.pk
    assert shown["recipients"] == []
    assert shown["email_addresses"] == ["oncall@example.com"]
    rule = NotificationRule.objects.get()
    assert rule.burn_rate == Decimal("1.5")
    # An objective rule schedules nothing against tickets' targets.
    assert not SlaNotification.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and concurrent inserts: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_clocks_racing_send_one_alert(hook: Receiver) -> None:
    data = Data()
    webhook_objective_rule(hook, trigger="objective_below")
    data.achieved(NOW - DAY, 3)
    data.breached(NOW - DAY, 1)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def clock() -> None:
        try:
            start.wait()
            objective_alerts_check(now=NOW)
            notifications_fire_due(now=NOW)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(hook.received) == 1
    assert [row.status for row in alerts()] == ["delivered"]


def test_the_admin_creates_an_objective_rule_through_the_serializer(
    admin_user: Any, data: Data
) -> None:
    browser = Client()
    browser.force_login(admin_user)
    fields = {
        "title": "Budget burning",
        "active": "on",
        "trigger": "budget_burn",
        "lead_seconds": "",
        "percent": "",
        "policy": "",
        "metric": "",
        "priority": "",
        "channel": "email",
        "webhook_url": "",
        "new_webhook_secret": "",
        "email_addresses_text": "oncall@example.com",
        "set_priority": "",
        "set_group": "",
        "add_tag": "",
        "objective": str(data.objective.pk),
        "burn_rate": "",
    }
    refused = browser.post(
        "/admin/tickets/notificationrule/add/", {**fields, "recipients": ["assignee"]}
    )
    assert refused.status_code == 200
    assert "email_addresses only" in refused.content.decode()
    assert not NotificationRule.objects.exists()

    response = browser.post("/admin/tickets/notificationrule/add/", fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = NotificationRule.objects.get()
    assert (rule.trigger, rule.objective_id, rule.burn_rate) == (
        "budget_burn",
        data.objective.pk,
        Decimal(1),
    )
    listing = browser.get("/admin/tickets/notificationrule/")
    assert "burn rate 1.00 or more" in listing.content.decode()


def test_an_email_alert_on_a_group_sla_objective_names_the_group_sla_policy(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from policies import services as policy_services
    from tests.factories import GroupFactory
    from tickets.models import TicketSlaTarget

    tier2 = GroupFactory(name="Tier 2")
    group_policy = policy_services.group_sla_policy_create(
        title="Tier 2 holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [tier2.pk]}]},
        policy_metrics=[{"priority": "normal", "target_seconds": 14400, "business_hours": False}],
        now=NOW - 30 * DAY,
    )
    objective = objective_create(
        data={
            "title": "Escalations held in time",
            "group_policy_id": group_policy.pk,
            "metric": "group_ownership_time",
            "priority": "",
            "target_rate": Decimal("90"),
            "window_days": 7,
        },
        now=NOW - 30 * DAY,
    )
    ticket = TicketFactory(priority="normal", status="open", now=at(9, 1))
    for instance, breached in enumerate([False, True], start=1):
        when = NOW - DAY
        TicketSlaTarget.objects.create(
            ticket=ticket,
            metric="group_ownership_time",
            instance_id=instance,
            group_policy=group_policy,
            group_id=tier2.pk,
            target_seconds=14400,
            stage="achieved",
            activated_at=when - 5 * HOUR,
            fulfilled_at=when,
            breached=breached,
            breached_at=when - HOUR if breached else None,
            breach_at=when - HOUR,
        )
    objective_rule(
        trigger="objective_below",
        channel="email",
        email_addresses=["lead@example.com"],
        objective_id=objective.pk,
    )
    assert clock_round(NOW, django_capture_on_commit_callbacks) == 1
    [message] = mail.outbox
    assert message.subject == "Objective below target: Escalations held in time"
    assert "(group SLA policy Tier 2 holds escalations)" in message.body
    assert "1 achieved, 1 breached" in message.body
