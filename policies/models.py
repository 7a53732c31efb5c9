"""SLA policies: an ordered list of (filter, per-priority targets)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import ClassVar

from django.db import models
from ulid import ULID

from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority

_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def spoken_duration(seconds: int) -> str:
    """3600 -> "1 hour", 5400 -> "1 hour 30 minutes", 86400 -> "1 day": as people say it."""
    parts = []
    rest = seconds
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {unit}" + ("" if count == 1 else "s"))
    return " ".join(parts[:2]) if parts else "0 minutes"


# The one metric of group SLA policies (OLAs): how long one group holds a ticket.
GROUP_OWNERSHIP_TIME = "group_ownership_time"


def metric_title(metric: str) -> str:
    """ "first_reply_time" -> "First reply time"; an unknown name is shown as it is."""
    if metric == GROUP_OWNERSHIP_TIME:
        return "Group ownership time"
    try:
        return METRIC_TITLES[Metric(metric)]
    except ValueError:
        return metric


def _week_time(minutes: int) -> str:
    """Minutes since Sunday 00:00 (wrapping past the week's end) -> "Monday 09:00"."""
    day, minute = divmod(minutes % (7 * 1440), 1440)
    return f"{_WEEKDAYS[day]} {minute // 60:02d}:{minute % 60:02d}"


class Policy(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    # 1..n without gaps or repeats; kept so by the services under PolicyOrderLock.
    position = models.PositiveIntegerField(db_index=True)
    metric_settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.title


class PolicyCondition(models.Model):
    GROUP_CHOICES: ClassVar = [("all", "All"), ("any", "Any")]

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="conditions")
    group = models.CharField(max_length=3, choices=GROUP_CHOICES)
    index = models.PositiveIntegerField(help_text="Order within its group, as sent")
    field = models.CharField(max_length=255)
    operator = models.CharField(max_length=32)
    # Kept exactly as sent: a string, an integer, an array or null.
    value = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "group", "index"]
        verbose_name = "policy condition"

    def __str__(self) -> str:
        words = "Meets all:" if self.group == "all" else "Meets any:"
        value = "empty" if self.value in (None, "", []) else self.value
        return f"{words} {self.field.replace('_', ' ')} {self.operator.replace('_', ' ')} {value}"


class PolicyMetric(models.Model):
    PRIORITY_CHOICES: ClassVar = [(p.value, p.value) for p in Priority]
    METRIC_CHOICES: ClassVar = [(m.value, m.value) for m in Metric]

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="metrics")
    priority = models.CharField(max_length=8, choices=PRIORITY_CHOICES)
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    target_seconds = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False)
    index = models.PositiveIntegerField(default=0, help_text="Order as sent")

    class Meta:
        ordering = ["policy", "index", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="policy_metric_unique"
            ),
        ]
        verbose_name = "policy target"

    def __str__(self) -> str:
        metric = metric_title(self.metric)
        hours = " (business hours)" if self.business_hours else " (calendar hours)"
        within = spoken_duration(self.target_seconds)
        return f"{self.priority.capitalize()} priority: {metric.lower()} within {within}{hours}"


def new_group_sla_policy_id() -> str:
    """Zendesk gives group SLA policies ULIDs ("01H078CBDY28BZG7P6BONY09DN"), not numbers."""
    return str(ULID())


class GroupSlaPolicy(models.Model):
    """A team's promise (an OLA): how long a group may hold a ticket before it solves it or
    hands it to another group, per priority. The first matching policy by position applies,
    beside (never instead of) the ticket's SLA policy."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_group_sla_policy_id, editable=False
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    # 1..n without gaps or repeats; kept so by the services under PolicyOrderLock.
    position = models.PositiveIntegerField(db_index=True)
    # Zendesk's shape: {"all": [{"field": "group_id", "operator": "includes", "value": [6]}]}.
    filter = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "group SLA policy"
        verbose_name_plural = "group SLA policies"

    def __str__(self) -> str:
        return self.title


class GroupSlaPolicyMetric(models.Model):
    """One group ownership time target: for tickets of `priority`, within `target_seconds`."""

    PRIORITY_CHOICES: ClassVar = [(p.value, p.value) for p in Priority]

    policy = models.ForeignKey(GroupSlaPolicy, on_delete=models.CASCADE, related_name="metrics")
    priority = models.CharField(max_length=8, choices=PRIORITY_CHOICES)
    target_seconds = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False)
    index = models.PositiveIntegerField(default=0, help_text="Order as sent")

    class Meta:
        ordering = ["policy", "index", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority"], name="group_sla_policy_metric_unique"
            ),
        ]
        verbose_name = "group SLA target"

    def __str__(self) -> str:
        hours = " (business hours)" if self.business_hours else " (calendar hours)"
        within = spoken_duration(self.target_seconds)
        return f"{self.priority.capitalize()} priority: group ownership time within {within}{hours}"


class PolicyOrderLock(models.Model):
    """A single row that every position-changing write locks first.

    Locking existing policy rows is not enough: two creates on an empty list lock nothing and
    would both take position 1.
    """

    class Meta:
        verbose_name = "policy order lock"

    def __str__(self) -> str:
        return "Policy order lock"


class Schedule(models.Model):
    """Business hours: weekly intervals in a time zone, minus holidays.

    The first schedule (lowest id) is the account's default, used by business-hour targets.
    """

    name = models.CharField(max_length=255)
    time_zone = models.CharField(max_length=64, help_text="IANA name, e.g. America/New_York")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ScheduleInterval(models.Model):
    """Minutes since Sunday 00:00 local time; may cross midnight and wrap the week end."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="intervals")
    start_time = models.PositiveIntegerField()
    end_time = models.PositiveIntegerField()

    class Meta:
        ordering = ["schedule", "start_time"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{_week_time(self.start_time)} to {_week_time(self.end_time)}"


class Holiday(models.Model):
    """Whole days (no times) or, as slaweb's extension, a partial day with start and end times."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(max_length=255)
    start_date = models.DateField()
    end_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["schedule", "start_date", "id"]

    def __str__(self) -> str:
        return self.name


class PolicyRevision(models.Model):
    """The SLA configuration as it stood from `created_at` on, frozen: the policy list and the
    account's business-hours schedule.

    Every ticket save records the revision in force, so re-evaluating a ticket's history later
    applies each save's own policies and schedule: edits reach open tickets from the edit on,
    never rewriting what happened before it.
    """

    created_at = models.DateTimeField()
    policies = models.JSONField(help_text="Policies in position order, as the API shows them")
    group_policies = models.JSONField(
        default=list, blank=True, help_text="Group SLA policies in position order"
    )
    # SHA-256 of the policies and group policies: compiled revisions are cached by content,
    # never by an id that a rolled-back transaction could hand out again.
    digest = models.CharField(max_length=64, default="", editable=False)
    schedule = models.JSONField(
        null=True, blank=True, help_text="The default schedule; empty means calendar time"
    )
    schedule_digest = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        count = len(self.policies)
        return f"Policy list as of revision {self.pk} ({count} polic{'y' if count == 1 else 'ies'})"

    @staticmethod
    def digest_of(policies: object) -> str:
        canonical = json.dumps(policies, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def configuration_digest(cls, policies: object, group_policies: Sequence[object]) -> str:
        """The `digest` of a revision: without group policies, that of its policies alone (as
        revisions recorded before group SLA policies existed have it)."""
        if not group_policies:
            return cls.digest_of(policies)
        return cls.digest_of({"policies": policies, "group_policies": group_policies})
