"""Django's PostgreSQL backend, reading `timestamptz` values with psycopg's compiled loader,
and splitting bulk writes to fit the parameters a statement may bind.

Django reads every `timestamptz` through a loader written in Python that parses the text and
then sets the connection's time zone on it: about 4 µs a value, where psycopg's own compiled
loader takes a tenth of that. A page of 100 tickets with their SLAs reads some 700 of them.
Django sets the session's time zone to the connection's when it connects, and psycopg's loader
gives values in the session's time zone, so the datetimes are the same; where the connection
has another time zone than UTC (a `TIME_ZONE` in the database settings), or `USE_TZ` is off,
Django's loader stays.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base, operations
from psycopg.pq import Format

TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
COMPILED_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


# Parameters PostgreSQL binds in one statement at most.
MAX_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        """With parameters bound by the server (settings: `server_side_binding`), at most as
        many objects a statement as fit in its parameters: Django otherwise puts every object
        of a `bulk_create`, or every id a deletion looks up related rows by, in one."""
        if not self.connection.settings_dict["OPTIONS"].get("server_side_binding"):
            return int(super().bulk_batch_size(fields, objs))
        return max(1, min(len(objs), MAX_PARAMETERS // max(1, len(list(fields)))))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = super().create_cursor(name)
        if settings.USE_TZ and self.timezone_name == "UTC":
            # Per cursor: Django checks the connection's loader for its time zone attribute.
            cursor.adapters.register_loader(TIMESTAMPTZ, COMPILED_LOADER)
        return cursor
