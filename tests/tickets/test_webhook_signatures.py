"""Webhooks signed the Standard Webhooks way: the id, the timestamp and the body together, so
a receiver that checks the timestamp refuses a captured webhook sent again later.

The receivers here verify with the `standardwebhooks` package, as the README shows, against
webhooks slaweb really sent to a local HTTP server.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from tests.factories import TicketFactory
from tests.tickets.test_notifications import (  # noqa: F401 (fixtures, found by their names)
    Received,
    Receiver,
    _notification_settings,
    make_rule,
    receiver,
)
from tickets.models import NotificationRule, SlaNotification, User
from tickets.notifications.messages import DeliveryError
from tickets.notifications.webhooks import (
    new_webhook_secret,
    send_webhook,
    signed_headers,
    signing_key,
    standard_secret,
    webhook_secret_problem,
)

SENT_AT = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


class Inbox:
    """A receiver done right: verify the signature and the timestamp's age with the library,
    then drop any id already taken."""

    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.seen: set[str] = set()

    def take(self, request: Received, *, at: datetime) -> dict[str, Any]:
        with time_machine.travel(at, tick=False):
            payload: dict[str, Any] = self.webhook.verify(request.body, request.headers)
        message_id = request.headers["webhook-id"]
        if message_id in self.seen:
            raise WebhookVerificationError("already received")
        self.seen.add(message_id)
        return payload


def deliver(hook: Receiver, secret: str, end_user: User) -> Received:
    """One real webhook, sent at SENT_AT to the receiver."""
    rule = make_rule(
        channel="webhook", webhook_url=hook.url, webhook_secret=secret, trigger="breach"
    )
    ticket = TicketFactory(requester=end_user, now=SENT_AT - 2 * MINUTE)
    row = SlaNotification.objects.create(
        ticket=ticket,
        metric="first_reply_time",
        instance_id=1,
        rule=rule,
        kind="breach",
        fire_at=SENT_AT,
        next_attempt_at=SENT_AT,
        status="queued",
        payload={"notification": {"kind": "breach", "ticket": {"id": ticket.pk}}},
        created_at=SENT_AT,
        updated_at=SENT_AT,
    )
    send_webhook(rule, row, now=SENT_AT)
    return hook.received[-1]


@pytest.fixture
def hook(request: pytest.FixtureRequest) -> Receiver:
    """The notification tests' real HTTP receiver."""
    return request.getfixturevalue("receiver")


@pytest.fixture
def end_user(db: None) -> User:
    return User.objects.create_user("requester@example.com", name="Requester", role="end-user")


def test_a_fresh_webhook_verifies_and_a_replay_later_is_refused(
    hook: Receiver, end_user: User
) -> None:
    secret = new_webhook_secret()
    request = deliver(hook, secret, end_user)
    assert request.headers["webhook-timestamp"] == str(int(SENT_AT.timestamp()))

    inbox = Inbox(secret)
    payload = inbox.take(request, at=SENT_AT + 2 * SECOND)
    assert payload["notification"]["kind"] == "breach"

    # Captured and sent again an hour later: the signed timestamp is too old.
    later = Inbox(secret)
    with pytest.raises(WebhookVerificationError, match="too old"):
        later.take(request, at=SENT_AT + 60 * MINUTE)
    # Within the five minutes the library allows, the id gives the repeat away.
    with pytest.raises(WebhookVerificationError, match="already received"):
        inbox.take(request, at=SENT_AT + 3 * MINUTE)


def test_a_replay_cannot_freshen_its_timestamp_or_change_its_id(
    hook: Receiver, end_user: User
) -> None:
    secret = new_webhook_secret()
    request = deliver(hook, secret, end_user)
    replay_at = SENT_AT + 60 * MINUTE
    fresh = Received(
        request.body, {**request.headers, "webhook-timestamp": str(int(replay_at.timestamp()))}
    )
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Inbox(secret).take(fresh, at=replay_at)
    renamed = Received(
        request.body, {**request.headers, "webhook-id": request.headers["webhook-id"] + "-again"}
    )
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Inbox(secret).take(renamed, at=SENT_AT)
    tampered = Received(request.body.replace(b"breach", b"warning"), request.headers)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Inbox(secret).take(tampered, at=SENT_AT)


def test_a_plain_text_secret_from_before_keeps_working(hook: Receiver, end_user: User) -> None:
    request = deliver(hook, "s3cret-key", end_user)
    # Its key is its UTF-8 bytes: the library takes those, or the whsec_ form of them.
    assert standard_secret("s3cret-key") == "whsec_" + base64.b64encode(b"s3cret-key").decode()
    with time_machine.travel(SENT_AT, tick=False):
        assert Webhook(b"s3cret-key").verify(request.body, request.headers) == request.json
        assert Webhook(standard_secret("s3cret-key")).verify(request.body, request.headers)


def test_new_secrets_are_in_the_standard_form() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(signing_key(secret)) == 32
    assert new_webhook_secret() != secret
    assert webhook_secret_problem(secret) is None


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "is required for a webhook rule"),
        ("whsec_not base64!", "starts with whsec_ but what follows is not base64"),
        ("whsec_", "has no key after whsec_"),
    ],
)
def test_a_secret_that_cannot_sign_is_named(secret: str, problem: str) -> None:
    assert webhook_secret_problem(secret) == problem
    with pytest.raises(DeliveryError, match=problem):
        signed_headers(secret, message_id="m", body=b"{}", now=SENT_AT)


def test_a_rule_whose_secret_cannot_sign_fails_the_attempt_without_sending(
    hook: Receiver, end_user: User
) -> None:
    rule = NotificationRule(channel="webhook", webhook_url=hook.url, webhook_secret="whsec_!")
    row = SlaNotification(ticket_id=1, metric="first_reply_time", instance_id=1, kind="breach")
    row.payload = {}
    with pytest.raises(DeliveryError, match="not base64"):
        send_webhook(rule, row, now=SENT_AT)
    assert hook.received == []


def test_the_api_refuses_a_secret_that_cannot_sign(admin_client: Any) -> None:
    body = {
        "notification_rule": {
            "title": "Hook",
            "trigger": "breach",
            "channel": "webhook",
            "webhook_url": "https://hooks.example.com/sla",
            "webhook_secret": "whsec_not base64!",
        }
    }
    response = admin_client.post("/api/v2/slas/notification_rules.json", body, format="json")
    assert response.status_code == 422
    details = response.json()["details"]["webhook_secret"]
    assert "not base64" in details[0]["description"]
    assert not NotificationRule.objects.exists()
