"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

import orjson
from django.db import models


def json_text(value: Any) -> str:
    """`value` as compact JSON text (keys that are not strings written as strings, as the
    standard library does)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class StateField(models.TextField[Any, Any]):
    """A JSON document kept as text: a state written and read whole, never queried inside.

    PostgreSQL's jsonb would parse a state on every write and rebuild its text on every read;
    a recompute writes and reads one for every ticket it changes.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else orjson.loads(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json_text(value)

    def value_to_string(self, obj: models.Model) -> Any:
        # As JSONField: serializers (dumpdata) write the value as JSON, not as a string of it.
        return self.value_from_object(obj)
