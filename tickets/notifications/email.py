"""Notification emails: recipients, subject and body, one at a time or combined.

An email rule may hold its emails until the account schedule's next
  opening (the clock moves the row's next attempt there) and may combine the warnings that
  come due together into one email per recipient (one task for the group)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from policies.models import GROUP_OWNERSHIP_TIME
from tickets.models import NotificationRule, SlaNotification, Ticket, User
from tickets.notifications.messages import DeliveryError, target_words


def email_recipients(rule: NotificationRule, ticket: Ticket | None) -> list[str]:
    """The rule's recipients for this ticket now: its assignee, its group's agents, and the
    fixed addresses, each once, in that order. Objective alerts (no ticket) go to the fixed
    addresses only."""
    found: list[str | None] = []
    if ticket is None:
        pass
    elif rule.email_assignee and ticket.assignee_id is not None:
        found += User.objects.filter(pk=ticket.assignee_id, active=True).values_list(
            "email", flat=True
        )
    if ticket is not None and rule.email_group and ticket.group_id is not None:
        found += (
            User.objects.filter(agent_groups=ticket.group_id, active=True)
            .order_by("id")
            .values_list("email", flat=True)
        )
    found += [str(address) for address in rule.email_addresses]
    # A user without an email address (an end user; agents need one) gets no email.
    return list(dict.fromkeys(address.lower() for address in found if address))


def email_message(row: SlaNotification) -> tuple[str, str]:
    """Subject and plain-text body of a notification email."""
    data = (row.payload or {})["notification"]
    if "objective" in data:
        return objective_email(data)
    ticket = data["ticket"]
    # Payloads frozen before group SLAs have no group keys.
    group = data.get("group")
    metric = target_words(data["metric"], group["name"] if group else None)
    about = data["metric"].replace("_", " ")
    kind = "SLA"
    if data["metric"] == GROUP_OWNERSHIP_TIME:
        kind, about = "Group SLA", f"{group['name']} ownership" if group else "group ownership"
    if data["kind"] == "breach":
        subject = f"{kind} breached: #{ticket['id']} {ticket['subject']} ({about})"
    else:
        subject = f"{kind} warning: #{ticket['id']} {ticket['subject']} ({about})"
    if data["metric"] == GROUP_OWNERSHIP_TIME:
        group_policy = data.get("group_sla_policy")
        policy = "Group SLA policy: " + (group_policy["title"] if group_policy else "none")
    else:
        policy = "Policy: " + (data["policy"]["title"] if data["policy"] else "no policy")
    target = data["target"]
    lines = [
        *([data["message"]] if data.get("message") else []),
        f"Ticket #{ticket['id']}: {ticket['subject']}",
        f"Priority: {ticket['priority'] or '-'}, status: {ticket['status']}",
        policy,
        f"Metric: {metric} (target {target['target']} minutes"
        + (", business hours)" if target["business_hours"] else ")"),
        f"Breach at: {data['breach_at']} (UTC)",
        "",
        ticket["url"],
    ]
    return subject, "\n".join(lines) + "\n"


def objective_email(data: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of an objective alert."""
    objective, rule = data["objective"], data["rule"]
    if rule["trigger"] == "objective_below":
        subject = f"Objective below target: {objective['title']}"
    else:
        subject = f"Error budget burning: {objective['title']}"

    def shown(value: object, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    if data.get("group_sla_policy"):
        scope = f"group SLA policy {data['group_sla_policy']['title']}"
    else:
        scope = data["policy"]["title"] if data["policy"] else "no policy"
    lines = [
        f"Objective: {objective['title']} ({scope})",
        f"Metric: {(data['metric'] or 'any').replace('_', ' ')}, "
        f"priority: {data['priority'] or 'any'}",
        f"Window: {data['window']['days']} days, {data['window']['start']} to "
        f"{data['window']['end']} (UTC)",
        f"Rate: {shown(data['rate'], ' %')} (target {data['target_rate']} %), "
        f"{data['achieved']} achieved, {data['breached']} breached",
        f"Error budget left: {data['error_budget_remaining']} breach(es), "
        f"burn rate {shown(data['burn_rate'])}",
        "",
        objective["url"],
    ]
    return subject, "\n".join(lines) + "\n"


NO_RECIPIENTS = "no recipients: the ticket has no assignee or group agents"


def combined_email(rows: Sequence[SlaNotification]) -> tuple[str, str]:
    """Subject and body of one email for several warnings."""
    if len(rows) == 1:
        return email_message(rows[0])
    parts = [email_message(row)[1] for row in rows]
    subject = f"SLA warnings: {len(rows)} tickets"
    return subject, ("\n" + "-" * 40 + "\n\n").join(parts)


def send_email(rule: NotificationRule, row: SlaNotification) -> None:
    recipients = email_recipients(rule, row.ticket)
    if not recipients:
        raise DeliveryError(NO_RECIPIENTS)
    subject, body = email_message(row)
    try:
        send_mail(subject, body, settings.SLAWEB_NOTIFICATION_FROM_EMAIL, recipients)
    except (OSError, ValueError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
