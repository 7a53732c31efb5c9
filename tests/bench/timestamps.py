"""Reading `timestamptz` values on PostgreSQL: Django's loader (Python) against the compiled
loader slaweb's backend uses (`slaweb.postgresql`), on the same query, checking both give the
same datetimes."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from slaweb.postgresql.base import COMPILED_LOADER, TIMESTAMPTZ

QUERY = (
    "SELECT timestamptz '2026-03-29 00:00:00+00' + g * interval '1.000001 second' "
    "FROM generate_series(1, %s) AS g"
)


def read(query: str, params: list[object], *, django_loader: bool) -> tuple[float, list[object]]:
    """The first column of `query`'s rows, read through Django's loader or the compiled one,
    and the seconds of this process's CPU the fetch took."""
    with connection.cursor() as cursor:
        if django_loader:
            register_tzloader(connection.timezone, cursor.cursor)
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        assert (loader is COMPILED_LOADER) != django_loader, loader
        cursor.execute(query, params)
        started = time.process_time()
        values = [row[0] for row in cursor.fetchall()]
        return time.process_time() - started, values


def _read(values: int, *, django_loader: bool) -> tuple[float, list[object]]:
    """Best of three reads of `values` timestamps."""
    runs = [read(QUERY, [values], django_loader=django_loader) for _ in range(3)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def run(write: Callable[[str], None], values: int = 200_000) -> dict[str, float]:
    if connection.vendor != "postgresql":
        write("skipped: the timestamp loader is PostgreSQL's (set DATABASE_URL=postgres://...)")
        return {}
    slow, django_rows = _read(values, django_loader=True)
    fast, rows = _read(values, django_loader=False)
    assert rows == django_rows
    assert [repr(r) for r in rows[:1000]] == [repr(r) for r in django_rows[:1000]]
    write(
        f"  {values:,} timestamps read: Django's loader {slow / values * 1e6:.2f} µs each, "
        f"the compiled loader {fast / values * 1e6:.2f} µs each: {slow / fast:.1f}x, "
        "the same datetimes"
    )
    return {"timestamp_speedup": slow / fast}
