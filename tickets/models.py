"""The help desk account: people, teams and the ticket vocabulary that SLA conditions refer to."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from polymorphic.models import PolymorphicModel

from policies.engine.vocabulary import ROLE_IDS, Priority, Role, StatusCategory, TicketType


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("name", email.split("@")[0])
        return self.create_user(email, password, role=Role.ADMIN, **fields)


class User(AbstractBaseUser):
    """A person in the account: an end user (requester), an agent or an admin.

    The role decides everything: admins manage the account, agents work tickets and read
    configuration, end users only reach their own tickets and never the admin site.
    """

    ROLE_CHOICES: ClassVar = [(role.value, role.value) for role in Role]

    # Stored lower-cased by the services, so uniqueness is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=255)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=Role.END_USER.value)
    organization = models.ForeignKey(
        "Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    default_group = models.ForeignKey(
        "Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    user_fields = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_short_name(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        """Agents and admins both work tickets."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def role_id(self) -> int:
        return ROLE_IDS[Role(self.role)]

    # The admin site asks these; they follow from the role.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_agent

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if not self.is_staff:
            return False
        if self.is_admin:
            return True
        # Agents read every page and change tickets (reply, status, priority); nothing else.
        codename = perm.split(".", 1)[-1]
        return codename.split("_", 1)[0] == "view" or perm == "tickets.change_ticket"

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class ApiToken(models.Model):
    """An API token for HTTP Basic `{email}/token:{token}`. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    description = models.CharField(max_length=255, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.email})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        # 40 characters like Zendesk's tokens; 240 bits of randomness.
        return secrets.token_urlsafe(30)


class Organization(models.Model):
    name = models.CharField(max_length=255, unique=True)
    organization_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    agents = models.ManyToManyField(User, blank=True, related_name="agent_groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=255, unique=True)
    subdomain = models.SlugField(max_length=63, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TicketForm(models.Model):
    name = models.CharField(max_length=255, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TicketField(models.Model):
    """A custom ticket field. Dropdowns (`tagger`) carry options and appear in SLA conditions."""

    TYPE_CHOICES: ClassVar = [
        ("tagger", "Drop-down"),
        ("text", "Text"),
        ("textarea", "Multi-line"),
        ("integer", "Number"),
        ("decimal", "Decimal"),
        ("checkbox", "Checkbox"),
        ("date", "Date"),
    ]

    title = models.CharField(max_length=255)
    type = models.CharField(max_length=16, choices=TYPE_CHOICES, default="tagger")
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class TicketFieldOption(models.Model):
    field = models.ForeignKey(TicketField, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(max_length=255)
    value = models.CharField(max_length=255, help_text="The tag this option sets")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["field", "value"], name="ticket_field_option_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A custom user or organization field (`requester.custom_fields.<key>` conditions)."""

    TYPE_CHOICES: ClassVar = [
        ("text", "Text"),
        ("integer", "Number"),
        ("decimal", "Decimal"),
        ("date", "Date"),
        ("checkbox", "Checkbox"),
        ("dropdown", "Drop-down"),
    ]
    OWNER_CHOICES: ClassVar = [("user", "User"), ("organization", "Organization")]

    owner = models.CharField(max_length=16, choices=OWNER_CHOICES)
    key = models.SlugField(max_length=64)
    title = models.CharField(max_length=255)
    type = models.CharField(max_length=16, choices=TYPE_CHOICES, default="text")
    # Drop-down choices as [{"name": ..., "value": ...}].
    options = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["owner", "key"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="custom_field_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}.{self.key}"


class CustomStatus(models.Model):
    CATEGORY_CHOICES: ClassVar = [
        (c.value, c.value) for c in StatusCategory if c is not StatusCategory.CLOSED
    ]

    status_category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    agent_label = models.CharField(max_length=255)
    end_user_label = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status_category", "id"]
        verbose_name_plural = "custom statuses"

    def __str__(self) -> str:
        return f"{self.agent_label} ({self.status_category})"


class SupportAddress(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=255, blank=True)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name_plural = "support addresses"

    def __str__(self) -> str:
        return self.email


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
    custom_status = models.ForeignKey(
        CustomStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="requested_tickets")
    submitter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="submitted_tickets")
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    ticket_form = models.ForeignKey(TicketForm, null=True, blank=True, on_delete=models.SET_NULL)
    via_id = models.PositiveIntegerField(default=5)
    recipient = models.EmailField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    # {"<ticket field id>": value}
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    solved_at = models.DateTimeField(null=True, blank=True)
    # Derived by the SLA engine on every save and by the clock; null when nothing is running.
    sla_policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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

    class Meta:
        ordering = ["id"]
        indexes = [
            # The agent queue: open tickets by their next breach, one index scan.
            models.Index(
                fields=["next_breach_at", "id"],
                name="ticket_next_breach",
                condition=models.Q(next_breach_at__isnull=False),
            ),
            models.Index(fields=["status", "id"], name="ticket_status"),
            # The agent queue: open tickets by SLA deadline, one index scan.
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketComment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    public = models.BooleanField(default=True)
    via_id = models.PositiveIntegerField(default=5)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.ticket_id}"


class TicketAudit(models.Model):
    """One save of a ticket, append-only: who, when, what changed, and the ticket after it.

    `snapshot` holds every field SLA conditions and metrics read, as they were after this save,
    so the engine can replay the history without re-deriving it from the change events.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="audits")
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
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="audit_ticket_time")]

    def __str__(self) -> str:
        return f"audit {self.pk} of #{self.ticket_id}"


class AuditEvent(PolymorphicModel):
    audit = models.ForeignKey(TicketAudit, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class CreateEvent(AuditEvent):
    field_name = models.CharField(max_length=64)
    value = models.JSONField(null=True)


class ChangeEvent(AuditEvent):
    field_name = models.CharField(max_length=64)
    value = models.JSONField(null=True)
    previous_value = models.JSONField(null=True)


class CommentEvent(AuditEvent):
    comment = models.ForeignKey(TicketComment, on_delete=models.CASCADE, related_name="+")


class SlaEvent(AuditEvent):
    """The SLA policy or targets applied, changed or removed by this save."""

    policy_title = models.CharField(max_length=255, blank=True)
    description = models.TextField()


class TicketSlaTarget(models.Model):
    """One metric instance of a ticket, as the engine last computed it."""

    STAGE_CHOICES: ClassVar = [("active", "active"), ("paused", "paused"), ("achieved", "achieved")]

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_targets")
    metric = models.CharField(max_length=32)
    instance_id = models.PositiveIntegerField()
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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
        ordering = ["ticket", "metric", "instance_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "instance_id"], name="sla_target_unique"
            ),
        ]
        indexes = [
            # Targets breaching before T (the clock's work list), one index scan.
            models.Index(
                fields=["breach_at"],
                name="sla_target_due",
                condition=models.Q(stage="active", breached=False, breach_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric}#{self.instance_id}"


class TicketMetricEvent(models.Model):
    """Zendesk's ticket metric events, append-only; kept when a ticket is deleted."""

    ticket_id = models.BigIntegerField(db_index=True)
    metric = models.CharField(max_length=32)
    instance_id = models.PositiveIntegerField()
    type = models.CharField(max_length=16)
    time = models.DateTimeField()
    # Several identical events at one instant stay apart by their order of emission.
    ordinal = models.PositiveIntegerField(default=0)
    sla = models.JSONField(null=True, blank=True)
    status = models.JSONField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["time", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_id", "metric", "instance_id", "type", "time", "ordinal"],
                name="metric_event_once",
            ),
        ]
        indexes = [models.Index(fields=["time", "id"], name="metric_event_time")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric}#{self.instance_id} {self.type}"


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

    def __str__(self) -> str:
        return f"recompute {self.pk} ({self.reason}, {self.status})"


class RateLimitCounter(models.Model):
    """Hits under one key (API requests of a user, failed sign-ins of an account or address)
    until `expires_at`; then the count starts again. Written only by `slaweb.ratelimit`, with
    one atomic upsert, so every web process shares the count."""

    key = models.CharField(max_length=255, primary_key=True)
    hits = models.PositiveIntegerField()
    expires_at = models.FloatField(help_text="Unix time at which the count starts again")

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"


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
        "policies.NotificationRule", null=True, on_delete=models.SET_NULL, related_name="+"
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
            return f"objective {self.objective_id} {self.kind} ({self.status})"
        return f"#{self.ticket_id} {self.metric}#{self.instance_id} {self.kind} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        if self.ticket_id is None:
            started = int(self.fire_at.timestamp())
            return f"objective:{self.objective_id}:{self.rule_id}:{started}"
        return f"{self.ticket_id}:{self.metric}:{self.instance_id}:{self.rule_id}:{self.kind}"


class ServiceLevelObjective(models.Model):
    """A target achievement rate over a rolling window, for one policy's targets, optionally
    narrowed to a metric and a priority ("95% of urgent first replies on time over 30 days").

    The policy is required and CASCADE: an objective measures one policy's targets and means
    nothing without it, and PROTECT would make deleting a policy fail on a row the policy's
    own screens do not show.
    """

    title = models.CharField(max_length=255)
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.CASCADE, related_name="objectives"
    )
    # Blank: every metric / every priority.
    metric = models.CharField(max_length=32, blank=True)
    priority = models.CharField(max_length=8, blank=True)
    # Percent of settled targets achieved, strictly between 0 and 100.
    target_rate = models.DecimalField(max_digits=5, decimal_places=2)
    window_days = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_rate__gt=0, target_rate__lt=100),
                name="slo_target_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1, window_days__lte=365),
                name="slo_window_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title
