"""Notification rules and the notifications they schedule, fire and deliver."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from policies.engine.vocabulary import Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME, metric_title
from tickets.models.tickets import Ticket


class NotificationRule(models.Model):
    """When to tell someone about an SLA target (a warning before breach, or the breach) and
    whom: a signed webhook or an email. Scheduled per target by `tickets.notifications`."""

    TRIGGER_CHOICES: ClassVar = [
        ("warning_before", "Warning a lead time before breach"),
        ("warning_percent", "Warning at a percentage of the target"),
        ("breach", "At breach"),
        ("objective_below", "An objective falls below its target rate"),
        ("budget_burn", "An objective's error budget burns too fast"),
    ]
    # Triggers that watch service level objectives rather than tickets' targets.
    OBJECTIVE_TRIGGERS: ClassVar = ("objective_below", "budget_burn")
    CHANNEL_CHOICES: ClassVar = [("webhook", "Webhook"), ("email", "Email")]
    PRIORITY_CHOICES: ClassVar = [(p.value, p.value) for p in Priority]
    METRIC_CHOICES: ClassVar = [(m.value, m.value) for m in Metric] + [
        (GROUP_OWNERSHIP_TIME, GROUP_OWNERSHIP_TIME)
    ]

    title = models.CharField(max_length=255)
    active = models.BooleanField(default=True)
    trigger = models.CharField(max_length=16, choices=TRIGGER_CHOICES)
    lead_seconds = models.PositiveIntegerField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # Scope: null or blank means any.
    policy = models.ForeignKey(
        "policies.Policy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_rules",
    )
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES, blank=True)
    # Group ownership time rules only: the group SLA policy and the group holding the ticket.
    # A blank metric means any of the ticket's own SLA metrics: group ownership time is
    # notified only by rules that name it, so rules made before group SLAs keep their scope.
    group_policy = models.ForeignKey(
        "policies.GroupSlaPolicy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_rules",
        verbose_name="group SLA policy",
    )
    group = models.ForeignKey(
        "tickets.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="holding group",
    )
    priority = models.CharField(max_length=8, choices=PRIORITY_CHOICES, blank=True)
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    webhook_url = models.URLField(max_length=2048, blank=True)
    webhook_secret = models.CharField(max_length=255, blank=True)
    email_assignee = models.BooleanField(default=False)
    email_group = models.BooleanField(default=False)
    email_addresses = models.JSONField(default=list, blank=True)
    # Email rules: wait for the account schedule's business hours; send the warnings that
    # come due together as one email per recipient.
    hold_for_business_hours = models.BooleanField(default=False)
    combine_warnings = models.BooleanField(default=False)
    # Escalation on breach (breach rules only), applied as an audited ticket update.
    set_priority = models.CharField(max_length=8, choices=PRIORITY_CHOICES, blank=True)
    set_group = models.ForeignKey(
        "tickets.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    add_tag = models.CharField(max_length=80, blank=True)
    # Objective triggers: which objective (null: every one) and, for budget_burn, the burn
    # rate from which to alert (1: the budget runs out before the window ends).
    objective = models.ForeignKey(
        "tickets.ServiceLevelObjective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_rules",
    )
    burn_rate = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        # The table was created when rules belonged to the policies app; it keeps its name.
        db_table = "policies_notificationrule"
        ordering = ["id"]
        verbose_name = "notification rule"

    def __str__(self) -> str:
        return self.title

    @property
    def watches_objectives(self) -> bool:
        return self.trigger in self.OBJECTIVE_TRIGGERS

    @property
    def escalates(self) -> bool:
        return bool(self.set_priority or self.set_group_id or self.add_tag)

    @property
    def kind(self) -> str:
        if self.watches_objectives:
            return "objective"
        return "breach" if self.trigger == "breach" else "warning"


class SlaNotification(models.Model):
    """One notification of one metric instance by one rule: scheduled by the SLA store, fired
    by the clock at `fire_at`, delivered by a background task with retries.

    The unique key is the idempotency key: a notification is created, fired and delivered at
    most once however often its ticket is re-evaluated. Delivered rows are never changed.
    """

    STATUS_CHOICES: ClassVar = [
        ("scheduled", "scheduled"),
        ("queued", "queued"),
        ("delivered", "delivered"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
    ]
    KIND_CHOICES: ClassVar = [
        ("warning", "warning"),
        ("breach", "breach"),
        ("objective", "objective"),
    ]

    # Null for objective alerts, which concern an objective rather than a ticket's target.
    ticket = models.ForeignKey(
        Ticket, null=True, on_delete=models.CASCADE, related_name="sla_notifications"
    )
    metric = models.CharField(max_length=32, blank=True)
    instance_id = models.PositiveIntegerField(null=True)
    # Kept when the rule is deleted, for the delivery log; a rule-less row is never sent.
    rule = models.ForeignKey(
        "tickets.NotificationRule", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=9, choices=KIND_CHOICES)
    policy = models.ForeignKey(
        "policies.Policy", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    breach_at = models.DateTimeField(null=True)
    # Objective alerts: one row per (rule, objective, episode). The episode starts at
    # `fire_at`, when the rule's condition began to hold, and ends at `episode_ended_at`,
    # when it stopped; while it is open the rule stays quiet about that objective.
    objective = models.ForeignKey(
        "tickets.ServiceLevelObjective",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    episode_ended_at = models.DateTimeField(null=True, blank=True)
    fire_at = models.DateTimeField()
    # When the clock should take it next: fire_at, then each retry's time.
    next_attempt_at = models.DateTimeField()
    status = models.CharField(max_length=9, choices=STATUS_CHOICES, default="scheduled")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the rule's escalation was applied to the ticket (once, at the first attempt).
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Frozen when fired, so every attempt sends the same body.
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = "SLA notification"
        verbose_name_plural = "SLA notifications"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "instance_id", "rule", "kind"],
                name="sla_notification_once",
            ),
            models.UniqueConstraint(
                fields=["rule", "objective", "fire_at"],
                name="objective_alert_once",
                condition=models.Q(objective__isnull=False),
            ),
            # At most one open episode per rule and objective: two clocks racing to open one
            # insert the same key, and the second insert is dropped.
            models.UniqueConstraint(
                fields=["rule", "objective"],
                name="objective_alert_open",
                condition=models.Q(objective__isnull=False, episode_ended_at__isnull=True),
            ),
        ]
        indexes = [
            # The clock's due list, one index scan.
            models.Index(
                fields=["next_attempt_at"],
                name="sla_notification_due",
                condition=models.Q(status="scheduled"),
            ),
            # Queued notifications whose worker died, to queue again.
            models.Index(
                fields=["queued_at"],
                name="sla_notification_queued",
                condition=models.Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        if self.ticket_id is None:
            return f"Objective alert for objective {self.objective_id} ({self.status})"
        metric = metric_title(self.metric)
        return f"{self.kind.capitalize()} for ticket #{self.ticket_id}: {metric} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        if self.ticket_id is None:
            started = int(self.fire_at.timestamp())
            return f"objective:{self.objective_id}:{self.rule_id}:{started}"
        return f"{self.ticket_id}:{self.metric}:{self.instance_id}:{self.rule_id}:{self.kind}"
