"""What the engine measured on tickets: targets, metric events and recompute runs."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from policies.models import metric_title
from tickets.models.tickets import Ticket


class TicketSlaTarget(models.Model):
    """One metric instance of a ticket, as the engine last computed it.

    Group ownership time (`metric` "group_ownership_time") has one instance per stretch of
    ownership by one group (`group_id`), under a group SLA policy (`group_policy`) rather than
    the ticket's SLA policy.
    """

    STAGE_CHOICES: ClassVar = [("active", "active"), ("paused", "paused"), ("achieved", "achieved")]

    # Found by `sla_target_unique`, which starts with the ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="sla_targets", db_index=False
    )
    metric = models.CharField(max_length=32)
    instance_id = models.PositiveIntegerField()
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group_policy = models.ForeignKey(
        "policies.GroupSlaPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="group SLA policy",
        db_index=False,  # `sla_target_group_policy` holds only the rows that have one
    )
    # The group that owned the ticket (group ownership time only); kept when the group goes.
    group_id = models.BigIntegerField(null=True, blank=True)
    target_seconds = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.BooleanField(default=False)
    stage = models.CharField(max_length=8, choices=STAGE_CHOICES)
    activated_at = models.DateTimeField()
    breach_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    breached_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    elapsed_calendar_seconds = models.PositiveIntegerField(default=0)
    elapsed_business_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "SLA target"
        verbose_name_plural = "SLA targets"
        ordering = ["ticket", "metric", "instance_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "instance_id"], name="sla_target_unique"
            ),
        ]
        indexes = [
            # Most targets are the SLA policy's: they cost this index nothing.
            models.Index(
                fields=["group_policy"],
                name="sla_target_group_policy",
                condition=models.Q(group_policy__isnull=False),
            ),
            # Targets breaching before T (the clock's work list), one index scan.
            models.Index(
                fields=["breach_at"],
                name="sla_target_due",
                condition=models.Q(stage="active", breached=False, breach_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{metric_title(self.metric)} of ticket #{self.ticket_id}"


class TicketMetricEvent(models.Model):
    """Zendesk's ticket metric events, append-only; kept when a ticket is deleted.

    `published_seq` and `published_at` place the event in the incremental export; they are
    stamped by `tickets.sla.publishing` in the transaction that writes or changes the event
    (NULL only until then) and say nothing about when the event happened (`time` does).
    """

    # Indexed by `metric_event_once`, which starts with (ticket_id, time): a plain index beside
    # it would let the planner filter a ticket's every event where it should seek to the first
    # one it needs.
    ticket_id = models.BigIntegerField()
    metric = models.CharField(max_length=32)
    instance_id = models.PositiveIntegerField()
    type = models.CharField(max_length=16)
    time = models.DateTimeField()
    # Several identical events at one instant stay apart by their order of emission.
    ordinal = models.PositiveIntegerField(default=0)
    sla = models.JSONField(null=True, blank=True)
    status = models.JSONField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    # The export's order: unique, increasing in commit order, and new each time `deleted` flips.
    published_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    # The export's clock (start_time, end_time): never decreasing along published_seq.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "SLA metric event"
        verbose_name_plural = "SLA metric events"
        ordering = ["time", "id"]
        constraints = [
            # Led by the ticket and the time, it is also the index a save reads its ticket's
            # latest events by (those since its last save).
            models.UniqueConstraint(
                fields=["ticket_id", "time", "metric", "instance_id", "type", "ordinal"],
                name="metric_event_once",
            ),
        ]
        indexes = [
            models.Index(fields=["time", "id"], name="metric_event_time"),
            # The time-based export: a range of published_at, in published_seq order.
            models.Index(fields=["published_at", "published_seq"], name="metric_event_published"),
            # Events not yet published: what the publisher stamps, one index scan.
            models.Index(
                fields=["id"],
                name="metric_event_unpublished",
                condition=models.Q(published_seq__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{metric_title(self.metric)} {self.type} on ticket #{self.ticket_id}"


class SlaRecompute(models.Model):
    """A background pass over open tickets after policies or the schedule changed.

    It walks tickets in id order and saves its place after every batch, so a run that stops
    (a crash, a deploy) resumes where it was.
    """

    STATUS_CHOICES: ClassVar = [
        ("queued", "queued"),
        ("running", "running"),
        ("done", "done"),
        ("failed", "failed"),
        ("replaced", "replaced by a newer edit"),
    ]
    REASON_CHOICES: ClassVar = [("policies", "policies changed"), ("schedule", "schedule changed")]

    reason = models.CharField(max_length=16, choices=REASON_CHOICES)
    revision = models.ForeignKey(
        "policies.PolicyRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_at = models.DateTimeField(help_text="When the change took effect")
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default="queued")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    last_ticket_id = models.BigIntegerField(default=0)
    # A large run is split into parts that workers process side by side: each part covers
    # the open tickets with last_ticket_id < id <= until_ticket_id (no upper bound if null),
    # and the run itself adds up their progress.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="parts"
    )
    until_ticket_id = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "SLA recompute"
        verbose_name_plural = "SLA recomputes"

    def __str__(self) -> str:
        return f"SLA recompute {self.pk}: {self.get_reason_display()}, {self.status}"


class HistoryRewrite(models.Model):
    """An admin re-applied the SLA configuration of `revision` to tickets' whole history.

    Edits never change what happened; this is the one way to, on purpose, and it is kept: who,
    when, why, over which tickets, and how each past period's figures changed.
    """

    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        "tickets.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="by"
    )
    reason = models.TextField()
    since = models.DateTimeField(help_text="Tickets created from this moment on")
    revision = models.ForeignKey(
        "policies.PolicyRevision", on_delete=models.PROTECT, related_name="+"
    )
    tickets_considered = models.PositiveIntegerField()
    tickets_changed = models.PositiveIntegerField()
    summary = models.JSONField(help_text="The changed tickets and the figures per period")
    # The newest ticket and metric event when it ran (None on rewrites recorded before these
    # were kept): the events up to `last_event_id` of the tickets it covered that the rewritten
    # history lacks were kept on purpose, not drift (`sla_check`).
    last_ticket_id = models.BigIntegerField(null=True, editable=False)
    last_event_id = models.BigIntegerField(null=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "history rewrite"
        verbose_name_plural = "history rewrites"

    def __str__(self) -> str:
        return (
            f"History rewrite of {self.created_at:%Y-%m-%d %H:%M} ({self.tickets_changed} tickets)"
        )
