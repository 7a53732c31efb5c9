"""The ticket vocabulary that SLA conditions refer to: forms, fields, custom fields and
custom statuses."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from policies.engine.vocabulary import StatusCategory


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
        verbose_name = "drop-down option"

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
        verbose_name = "user or organization field"

    def __str__(self) -> str:
        return f"{self.get_owner_display()} field: {self.title}"


# Status categories in the order a ticket moves through them, which is how lists show them.
STATUS_CATEGORY_ORDER = ("new", "open", "pending", "hold", "solved")

# The statuses an account starts with, one per category and each its category's default, with
# Zendesk's labels: (category, agent label, end-user label).
SYSTEM_STATUSES = (
    ("new", "New", "Open"),
    ("open", "Open", "Open"),
    ("pending", "Pending", "Awaiting your reply"),
    ("hold", "On-hold", "Open"),
    ("solved", "Solved", "Solved"),
)


class CustomStatus(models.Model):
    """A ticket status within one of the status categories, which decides everything SLA
    metrics do; each category has exactly one default, the status a ticket gets when it is
    given only the category. The category never changes, so no ticket's history does."""

    CATEGORY_CHOICES: ClassVar = [
        (c.value, c.value) for c in StatusCategory if c is not StatusCategory.CLOSED
    ]
    LABEL_MAX_LENGTH: ClassVar = 48  # Zendesk's limit for both labels

    status_category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    agent_label = models.CharField(max_length=255)
    end_user_label = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    end_user_description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status_category", "id"]
        verbose_name = "custom status"
        verbose_name_plural = "custom statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["status_category"],
                condition=models.Q(default=True),
                name="custom_status_one_default_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_label} ({self.status_category})"
