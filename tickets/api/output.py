"""Output fields the ticket resources share: channels, Zendesk's fixed values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.html import linebreaks
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

VIA_CHANNELS = {
    0: "web",
    4: "email",
    5: "api",
    8: "rule",
    29: "chat",
    34: "voice",
    48: "web_widget",
}


def channel_name(via_id: int) -> str:
    """A `via_id` as Zendesk's channel name (the number as text where slaweb knows no name)."""
    return VIA_CHANNELS.get(via_id, str(via_id))


def no_source() -> dict[str, Any]:
    """Zendesk's `via.source` with nothing in it, as for anything made through the API."""
    return {"from": {}, "to": {}, "rel": None}


class Channel(serializers.CharField):
    """A `via_id` as Zendesk's channel name (the number as text where slaweb knows no name)."""

    def to_representation(self, value: Any) -> str:
        return channel_name(value)


class EmptyObject(serializers.DictField):
    """Always `{}`: an object Zendesk answers and slaweb keeps nothing in."""

    def get_attribute(self, instance: Any) -> dict[str, Any]:
        return {}

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return {}


class AlwaysNull(serializers.CharField):
    """Always null: a Zendesk field slaweb does not keep."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class AlwaysNullInteger(serializers.IntegerField):
    """Always null: an id Zendesk answers and slaweb never has (`problem_id`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class AlwaysNullTimestamp(serializers.DateTimeField):
    """Always null: a moment Zendesk answers and slaweb never has (`due_at`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class AlwaysNullObject(serializers.DictField):
    """Always null: an object Zendesk answers and slaweb never has (`satisfaction_rating`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class AlwaysFalse(serializers.BooleanField):
    """Always false: a Zendesk flag that never holds in slaweb."""

    def get_attribute(self, instance: Any) -> bool:
        return False

    def to_representation(self, value: bool) -> bool:
        return value


class NoIds(serializers.ListField):
    """Always `[]`: ids of things slaweb does not keep (followers, CCs, follow-ups...)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["child"] = serializers.IntegerField()
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> list[int]:
        return []

    def to_representation(self, data: Any) -> list[int]:
        return []


def comment_html(comment: Any) -> str:
    """A comment's HTML: as it was sent, or its text escaped, in paragraphs and line breaks."""
    return str(comment.html_body or linebreaks(comment.body, autoescape=True))


class CommentHtml(serializers.CharField):
    """A comment's HTML (give it the comment: `source="*"`, or `"comment"` from an event): as
    it was sent, or its text escaped, in paragraphs and line breaks."""

    def to_representation(self, comment: Any) -> str:
        return comment_html(comment)


class UnixTime(serializers.IntegerField):
    """A moment as whole seconds since 1970 (Zendesk's `generated_timestamp`)."""

    def to_representation(self, value: datetime) -> int:  # type: ignore[override]
        return int(value.timestamp())


class Constant(serializers.CharField):
    """The same text for every object: a subclass sets `value` (and its schema, a `const`)."""

    value = ""

    def get_attribute(self, instance: Any) -> str:
        return self.value

    def to_representation(self, value: str) -> str:
        return value


# `type` is a `const`, not an enum: enums named `type` would be renamed against the ticket's.


@extend_schema_field({"type": "string", "const": "Create"})
class CreateType(Constant):
    value = "Create"


@extend_schema_field({"type": "string", "const": "Change"})
class ChangeType(Constant):
    value = "Change"


@extend_schema_field({"type": "string", "const": "Comment"})
class CommentType(Constant):
    value = "Comment"


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "from": {"type": "object"},
            "to": {"type": "object"},
            "rel": {"type": ["string", "null"]},
        },
        "required": ["from", "to", "rel"],
    }
)
class NoSource(serializers.DictField):
    """Zendesk's `via.source` with nothing in it, as for anything made through the API."""

    def get_attribute(self, instance: Any) -> dict[str, Any]:
        return no_source()

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return no_source()


class ViaSerializer(serializers.Serializer[Any]):
    """How the object came in: its channel."""

    channel = Channel(source="via_id")
    # Declared fields are taken off the class, so this does not shadow `Field.source`.
    source = NoSource()  # type: ignore[assignment]
