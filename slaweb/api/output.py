"""What the API's response serializers are made of. A response serializer is both the answer
(`Serializer(obj, context=...).data`) and its schema (drf-spectacular reads its fields), so the
two cannot drift apart.

The fields here are typed DRF fields (so the schema stays exact) that render values as Zendesk
does. Serializers that build links take the site's absolute URL as `context["root"]`
(`output_context` gives it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from rest_framework import serializers
from rest_framework.request import Request

from slaweb.api.pagination import base_url
from slaweb.api.timestamps import iso
from slaweb.timezones import rails_name

_T = TypeVar("_T")


def output_context(request: Request, **extra: Any) -> dict[str, Any]:
    """The context of a response serializer: `root`, the absolute URL of the site."""
    return {"root": base_url(request), **extra}


def serialize_many(
    serializer: type[serializers.Serializer[_T]],
    rows: Iterable[_T],
    context: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """`serializer(rows, many=True, context=context).data`, typed as the list it is (the DRF
    stubs do not model that `many=True` makes a ListSerializer)."""
    listed: Any = serializer(cast(Any, rows), many=True, context=context or {})
    return cast(list[dict[str, Any]], listed.data)


class Timestamp(serializers.DateTimeField):
    """A moment as Zendesk writes it: ISO 8601 in UTC to the second (2026-01-02T03:04:05Z)."""

    def to_representation(self, value: datetime) -> str:
        return iso(value)


class Link(serializers.CharField):
    """The object's absolute URL: `context["root"]` and `path`, formatted with the object as
    `obj` (`"/api/v2/tickets/{obj.pk}.json"`)."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        self.path = path
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        root: str = self.context["root"]
        return root + self.path.format(obj=value)


class BlankAsNull(serializers.CharField):
    """A text column where blank means none: blank answers null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> str | None:
        return super().get_attribute(instance) or None


class RailsTimeZone(serializers.CharField):
    """An IANA time zone as its Rails name where one exists (Zendesk's `time_zone`)."""

    def to_representation(self, value: str) -> str:
        return rails_name(value) or value
