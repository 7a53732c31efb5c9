"""Tickets, their comments and their audits: the history every SLA is replayed from."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from polymorphic.models import PolymorphicModel

from policies.engine.vocabulary import Priority, StatusCategory, TicketType
from slaweb.fields import StateField
from tickets.models.accounts import Brand, Group, Organization, User
from tickets.models.fields import CustomStatus, TicketForm

# Statuses whose SLA is still running (solved and closed tickets are settled).
OPEN_STATUSES = ("new", "open", "pending", "hold")


# References many tickets leave empty. Each is indexed only where set: every SLA save rewrites
# the ticket's row (its deadlines are indexed, so PostgreSQL cannot update it in place), and
# each full index would take a new entry for it, empty or not. Lookups by a value (a group's
# tickets, a user's) use them all the same.
PARTLY_SET = (
    "custom_status",
    "assignee",
    "group",
    "organization",
    "brand",
    "ticket_form",
    "sla_policy",
)


class Ticket(models.Model):
    """A support request, with the fields SLA conditions and metrics read."""

    TYPE_CHOICES: ClassVar = [(t.value, t.value) for t in TicketType]
    PRIORITY_CHOICES: ClassVar = [(p.value, p.value) for p in Priority]
    STATUS_CHOICES: ClassVar = [(s.value, s.value) for s in StatusCategory]

    subject = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=16, choices=TYPE_CHOICES, null=True, blank=True)
    priority = models.CharField(max_length=8, choices=PRIORITY_CHOICES, null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=STATUS_CHOICES, default=StatusCategory.NEW.value
    )
    # The optional references are indexed only where set (`PARTLY_SET`).
    custom_status = models.ForeignKey(
        CustomStatus,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="requested_tickets")
    submitter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="submitted_tickets")
    assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    ticket_form = models.ForeignKey(
        TicketForm, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    via_id = models.PositiveIntegerField(default=5)
    recipient = models.EmailField(blank=True)
    # The client's own id for the ticket; not unique, as in Zendesk (null: none).
    external_id = models.CharField(max_length=255, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # {"<ticket field id>": value}; a checkbox's value is a JSON boolean.
    custom_fields = models.JSONField(default=dict, blank=True)
    # Whether any comment is public, kept by the services as comments are added.
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    solved_at = models.DateTimeField(null=True, blank=True)
    # Derived by the SLA engine on every save and by the clock; null when nothing is running.
    sla_policy = models.ForeignKey(
        "policies.Policy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    next_breach_at = models.DateTimeField(null=True, blank=True)
    # The queue's order: the soonest deadline of a running target of the applied policy,
    # breached ones included, so the most breached come first (spec §4.3). Open tickets only.
    sla_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The ticket's stored metric events are the first `sla_events_stored` of the engine's
    # output when their digest is `sla_events_digest` (empty: unknown). Lets a store append
    # new events without reading the stored ones back.
    sla_events_stored = models.PositiveIntegerField(default=0, editable=False)
    sla_events_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The SLA engine's state after the last audit (`tickets.sla.store`): the next save feeds
    # it only its own audit, so a save costs the same however long the ticket's history.
    sla_state = StateField(null=True, blank=True, editable=False)
    # Where the ticket metrics stand after the last audit (`tickets.sla.ticket_metrics`), so
    # reading them decodes this instead of replaying the ticket's history.
    metrics_state = StateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The agent queue: open tickets by their next breach, one index scan.
            models.Index(
                fields=["next_breach_at", "id"],
                name="ticket_next_breach",
                condition=models.Q(next_breach_at__isnull=False),
            ),
            # Tickets whose metrics state the clock has still to store: found without a scan.
            models.Index(
                fields=["id"],
                name="ticket_metrics_unstored",
                condition=models.Q(metrics_state__isnull=True),
            ),
            models.Index(fields=["status", "id"], name="ticket_status"),
            # The agent queue: open tickets by SLA deadline, one index scan.
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due"),
            # `GET /api/v2/tickets?external_id=`, in id order.
            models.Index(
                fields=["external_id", "id"],
                name="ticket_external_id",
                condition=models.Q(external_id__isnull=False),
            ),
            *(
                models.Index(
                    fields=[name],
                    name=f"ticket_{name}",
                    condition=models.Q((f"{name}__isnull", False)),
                )
                for name in PARTLY_SET
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketComment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The text; for a comment sent as HTML, the text of its HTML.
    body = models.TextField()
    # The HTML as sent (`html_body`); blank when the comment was sent as text.
    html_body = models.TextField(blank=True, default="")
    public = models.BooleanField(default=True)
    via_id = models.PositiveIntegerField(default=5)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "comment"

    def __str__(self) -> str:
        return f"Comment {self.pk} on ticket #{self.ticket_id}"


class TicketAudit(models.Model):
    """One save of a ticket, append-only: who, when, what changed, and the ticket after it.

    `snapshot` holds every field SLA conditions and metrics read, as they were after this save,
    so the engine can replay the history without re-deriving it from the change events.
    """

    # Indexed by the (ticket, …) indexes below: a plain one beside them would let the planner
    # filter a ticket's every audit where it should seek to the first one it needs.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="audits", db_index=False
    )
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    via_id = models.PositiveIntegerField(default=5)
    revision = models.ForeignKey(
        "policies.PolicyRevision", on_delete=models.PROTECT, related_name="+"
    )
    # The fields conditions and metrics read, after this change; None: unchanged (a
    # re-evaluation after a policy edit).
    snapshot = models.JSONField(null=True)
    comment = models.OneToOneField(
        TicketComment, null=True, blank=True, on_delete=models.CASCADE, related_name="audit"
    )
    # The comment author's role at the time, for the reply metrics.
    comment_author_role = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="audit_ticket_time"),
            # A save reads only the audits after the ones its carried SLA state has seen.
            models.Index(fields=["ticket", "id"], name="audit_ticket_id"),
        ]
        verbose_name = "ticket update"

    def __str__(self) -> str:
        return f"Update {self.pk} of ticket #{self.ticket_id}"


class AuditEvent(PolymorphicModel):
    audit = models.ForeignKey(TicketAudit, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}".capitalize()


class CreateEvent(AuditEvent):
    field_name = models.CharField(max_length=64)
    value = models.JSONField(null=True)


class ChangeEvent(AuditEvent):
    field_name = models.CharField(max_length=64)
    value = models.JSONField(null=True)
    previous_value = models.JSONField(null=True)


class CommentEvent(AuditEvent):
    comment = models.ForeignKey(TicketComment, on_delete=models.CASCADE, related_name="+")
