"""Ticket input validation, shared by the Tickets API and the ticket import."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal
from typing import Any

import nh3
from django.db.models import Q
from django.utils.html import strip_tags
from rest_framework import serializers

from policies.engine.vocabulary import Metric, Priority, StatusCategory, TicketType
from policies.models import Policy
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from tickets import objectives
from tickets.custom_statuses import category_of, custom_status_default
from tickets.models import (
    Brand,
    CustomStatus,
    Group,
    Organization,
    TicketField,
    TicketForm,
    User,
)


def _exists(model: Any, pk: int | None, label: str) -> int | None:
    if pk is not None and not model.objects.filter(pk=pk).exists():
        raise serializers.ValidationError(f"{label} {pk} does not exist")
    return pk


class WholeSerializer(serializers.Serializer[Any]):
    """A part of a ticket that is whole even in an update: DRF lets a partial update's nested
    serializers skip their required fields, which then fail further in."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        missing = {
            name: ["This field is required."]
            for name, field in self.fields.items()
            if field.required and field.source not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing, "required")
        return attrs


class CommentInputSerializer(WholeSerializer):
    """A comment as Zendesk takes it: its text as `html_body`, `body` or the legacy `value`, in
    that order of precedence (a comment sent as HTML keeps the HTML, and its text is the text of
    the HTML). Validated, it is `{"body": text, "html_body": html or "", "public", "author_id"}`.
    """

    body = StrictCharField(max_length=65_536, required=False, allow_blank=True)
    html_body = StrictCharField(max_length=65_536, required=False, allow_blank=True)
    value = StrictCharField(
        max_length=65_536, required=False, allow_blank=True, help_text="Legacy name of body"
    )
    public = StrictBooleanField(required=False, default=True)
    author_id = StrictIntegerField(required=False)

    def validate_author_id(self, value: int) -> int:
        return _exists(User, value, "user")  # type: ignore[return-value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        html, body, legacy = (attrs.pop(name, "") for name in ("html_body", "body", "value"))
        html = safe_html(html) if html.strip() else ""
        text = html_text(html)
        if not text:  # HTML with no text (blank, or only a script) gives way to the body
            html, text = "", body or legacy
        if not text.strip():
            raise serializers.ValidationError({"body": ["This field is required."]}, "required")
        return {**attrs, "body": text, "html_body": html}


# Tags after which the text of HTML starts a new line.
_LINE_ENDS = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|pre)\s*>", re.IGNORECASE)


# Zendesk's own comment markup (`<div class="zd-comment" dir="auto">`) keeps its attributes;
# no other class is kept (an integration's CSS is not for commenters to apply).
_HTML_ATTRIBUTES = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {*nh3.ALLOWED_ATTRIBUTES.get("*", ()), "dir"},
}
_HTML_CLASSES = {"div": {"zd-comment"}}


def safe_html(html: str) -> str:
    """A comment's HTML as it is kept and answered: scripts, event handlers, `javascript:`
    links, classes and every tag outside nh3's safe list removed, so an integration showing
    `html_body` shows no one's script. Links are left as sent (no `rel` added)."""
    return nh3.clean(
        html, attributes=_HTML_ATTRIBUTES, allowed_classes=_HTML_CLASSES, link_rel=None
    )


def html_text(html: str) -> str:
    """The text of HTML: no tags, entities decoded, a line per paragraph or line break."""
    text = html_lib.unescape(strip_tags(_LINE_ENDS.sub("\n", html)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def checkbox_value(field_id: int, value: Any) -> bool:
    """A checkbox's value as Zendesk takes it: true or false, as JSON or as lower-case text
    ("True" is not); none (null or blank) is unchecked."""
    if isinstance(value, bool):
        return value
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise serializers.ValidationError(
        f"ticket field {field_id}: a checkbox is true or false, not {value!r}"
    )


class RequesterInputSerializer(WholeSerializer):
    name = StrictCharField(max_length=255, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254)


class CustomFieldValueSerializer(WholeSerializer):
    id = StrictIntegerField()
    value = serializers.JSONField(allow_null=True)


class TicketInputSerializer(serializers.Serializer[Any]):
    subject = StrictCharField(max_length=255, required=False, allow_blank=True)
    description = StrictCharField(max_length=65_536, required=False, allow_blank=True)
    comment = CommentInputSerializer(required=False)
    type = serializers.ChoiceField([t.value for t in TicketType], allow_null=True, required=False)
    priority = serializers.ChoiceField([p.value for p in Priority], allow_null=True, required=False)
    status = serializers.ChoiceField([s.value for s in StatusCategory], required=False)
    custom_status_id = StrictIntegerField(allow_null=True, required=False)
    requester_id = StrictIntegerField(required=False)
    requester = RequesterInputSerializer(required=False)
    submitter_id = StrictIntegerField(required=False)
    assignee_id = StrictIntegerField(allow_null=True, required=False)
    group_id = StrictIntegerField(allow_null=True, required=False)
    organization_id = StrictIntegerField(allow_null=True, required=False)
    brand_id = StrictIntegerField(allow_null=True, required=False)
    ticket_form_id = StrictIntegerField(allow_null=True, required=False)
    tags = serializers.ListField(child=StrictCharField(max_length=80), required=False)
    custom_fields = CustomFieldValueSerializer(many=True, required=False)
    recipient = serializers.EmailField(allow_blank=True, required=False)
    external_id = StrictCharField(
        max_length=255,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text="Your id for the ticket; need not be unique. Blank or null: none",
    )

    def validate_external_id(self, value: str | None) -> str | None:
        return value or None

    def validate_requester_id(self, value: int) -> int:
        return _exists(User, value, "user")  # type: ignore[return-value]

    def validate_submitter_id(self, value: int) -> int:
        return _exists(User, value, "user")  # type: ignore[return-value]

    def validate_assignee_id(self, value: int | None) -> int | None:
        if (
            value is not None
            and not User.objects.filter(pk=value, role__in=["agent", "admin"]).exists()
        ):
            raise serializers.ValidationError(f"agent {value} does not exist")
        return value

    def validate_group_id(self, value: int | None) -> int | None:
        return _exists(Group, value, "group")

    def validate_organization_id(self, value: int | None) -> int | None:
        return _exists(Organization, value, "organization")

    def validate_brand_id(self, value: int | None) -> int | None:
        return _exists(Brand, value, "brand")

    def validate_ticket_form_id(self, value: int | None) -> int | None:
        return _exists(TicketForm, value, "ticket form")

    def validate_tags(self, tags: list[str]) -> list[str]:
        clean = []
        for tag in tags:
            words = tag.strip().lower().split()
            if len(words) != 1:
                raise serializers.ValidationError(f"{tag!r} is not a single tag")
            if words[0] not in clean:
                clean.append(words[0])
        return clean

    def validate_custom_fields(self, values: list[dict[str, Any]]) -> dict[str, Any]:
        fields = {f.pk: f for f in TicketField.objects.prefetch_related("options")}
        clean: dict[str, Any] = {}
        for item in values:
            field = fields.get(item["id"])
            if field is None:
                raise serializers.ValidationError(f"ticket field {item['id']} does not exist")
            value = item["value"]
            if isinstance(value, dict | list):
                raise serializers.ValidationError(
                    f"ticket field {field.pk}: value must be a scalar"
                )
            if field.type == "checkbox":
                clean[str(field.pk)] = checkbox_value(field.pk, value)
                continue
            if field.type == "tagger" and value not in (None, ""):
                options = {o.value for o in field.options.all()}
                if str(value) not in options:
                    raise serializers.ValidationError(
                        f"ticket field {field.pk}: {value!r} is not one of its options"
                    )
            clean[str(field.pk)] = None if value in (None, "") else str(value)
        return clean

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        status_id = attrs.get("custom_status_id")
        if status_id is not None:
            custom = CustomStatus.objects.filter(pk=status_id).first()
            if custom is None:
                raise serializers.ValidationError(
                    {"custom_status_id": [f"custom status {status_id} does not exist"]}
                )
            # A closed ticket keeps a custom status of the solved category, as in Zendesk.
            if "status" in attrs and category_of(attrs["status"]) != custom.status_category:
                raise serializers.ValidationError(
                    {
                        "status": [
                            f"is {attrs['status']}, the custom status is {custom.status_category}"
                        ]
                    }
                )
            attrs.setdefault("status", custom.status_category)
        return attrs


def initial_status(fields: dict[str, Any]) -> str:
    """A new ticket's status when none is given: open when it has an assignee, else new."""
    return "open" if fields.get("assignee_id") else "new"


def with_custom_status(
    fields: dict[str, Any],
    *,
    status: str | None = None,
    custom_status_id: int | None = None,
    history: bool = False,
) -> dict[str, Any]:
    """Validated ticket fields with the custom status Zendesk gives them, for a ticket whose
    status and custom status are now `status` and `custom_status_id` (None: a new ticket).

    A custom status sets the status, and must agree with one given beside it (closed is in the
    solved category). A status alone
    keeps the ticket's custom status while its category stays, and otherwise brings the
    category's default (closed tickets keep their solved one); so does a null custom status.
    A new ticket always gets one. A status no longer active cannot be chosen anew, except in
    `history` (an import replays what was chosen when it was active)."""
    if status is not None and "status" not in fields and "custom_status_id" not in fields:
        return fields
    fields = dict(fields)
    chosen = fields.get("custom_status_id")
    if chosen is not None:
        found = CustomStatus.objects.filter(pk=chosen).values_list("status_category", "active")
        category, active = found.first() or (None, False)
        if category is None:
            raise serializers.ValidationError(
                {"custom_status_id": [f"custom status {chosen} does not exist"]}
            )
        if not history and chosen != custom_status_id and not active:
            raise serializers.ValidationError(
                {"custom_status_id": [f"custom status {chosen} is not active"]}
            )
        # Checked here too, as an import's audit names the two in separate events.
        given = fields.get("status")
        if given is not None and category_of(given) != category:
            raise serializers.ValidationError(
                {"status": [f"is {given}, the custom status is {category}"]}
            )
        return fields
    new_status = fields.get("status") or status or initial_status(fields)
    fields["status"] = new_status
    category = category_of(new_status)
    default_id = None
    if custom_status_id is not None and "custom_status_id" not in fields:
        # The ticket's custom status and the category's default, in one query.
        rows = CustomStatus.objects.filter(
            Q(pk=custom_status_id) | Q(status_category=category, default=True)
        ).values_list("pk", "status_category", "default")
        for pk, found_category, default in rows:
            if pk == custom_status_id and found_category == category:
                return fields  # the category stays: the ticket keeps its custom status
            if default and found_category == category:
                default_id = pk
    fields["custom_status_id"] = default_id or custom_status_default(new_status).pk
    return fields


METRICS = [m.value for m in Metric]


PRIORITIES = [p.value for p in Priority]


class ObjectiveInputSerializer(serializers.Serializer[Any]):
    """The `objective` object of create and update requests; update is partial."""

    title = StrictCharField(max_length=255)
    policy_id = StrictIntegerField(help_text="The SLA policy whose targets count")
    metric = serializers.ChoiceField(
        choices=METRICS, required=False, allow_null=True, help_text="Only this metric (null: all)"
    )
    priority = serializers.ChoiceField(
        choices=PRIORITIES,
        required=False,
        allow_null=True,
        help_text="Only tickets of this priority (null: all)",
    )
    target_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="Percent of settled targets to achieve, above 0 and below 100",
    )
    window_days = StrictIntegerField(
        min_value=1, max_value=objectives.MAX_WINDOW_DAYS, help_text="The rolling window"
    )

    def validate_policy_id(self, value: int) -> int:
        if not Policy.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no SLA policy {value}")
        return value

    def validate_target_rate(self, value: Decimal) -> Decimal:
        if not Decimal(0) < value < Decimal(100):
            raise serializers.ValidationError("must be above 0 and below 100")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("metric", "priority"):
            if name in attrs:
                attrs[name] = attrs[name] or ""
        if not self.partial:
            attrs.setdefault("metric", "")
            attrs.setdefault("priority", "")
        return attrs
