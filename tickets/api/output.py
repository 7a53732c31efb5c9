"""Output fields the ticket resources share: channels, Zendesk's fixed values."""

from __future__ import annotations

from typing import Any

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


class Channel(serializers.CharField):
    """A `via_id` as Zendesk's channel name (the number as text where slaweb knows no name)."""

    def to_representation(self, value: Any) -> str:
        return VIA_CHANNELS.get(value, str(value))


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


class ViaSerializer(serializers.Serializer[Any]):
    """How the object came in: its channel."""

    channel = Channel(source="via_id")
    # Declared fields are taken off the class, so this does not shadow `Field.source`.
    source = EmptyObject()  # type: ignore[assignment]
