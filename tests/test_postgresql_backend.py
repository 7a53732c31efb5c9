"""slaweb's PostgreSQL backend reads timestamps with psycopg's compiled loader: the values must
be exactly those Django's own loader gives."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection
from psycopg.pq import Format

ON_POSTGRESQL = connection.vendor == "postgresql"
pytestmark = pytest.mark.skipif(not ON_POSTGRESQL, reason="the backend is PostgreSQL's")

STORED = [
    "2026-03-29 00:59:59.999999+00",
    "2026-03-29 01:00:00+00",
    "2026-10-25 02:30:00.5+02",  # an offset: read back in UTC
    "2024-02-29 23:59:59.000001-11",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1969-12-31 23:59:59+00",
]


def _read(*, django_loader: bool) -> list[object]:
    from tests.bench.timestamps import read

    query = "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS s(v, n) ORDER BY n"
    return read(query, [STORED], django_loader=django_loader)[1]


@pytest.mark.django_db
def test_timestamps_read_as_django_reads_them() -> None:
    from slaweb.postgresql.base import COMPILED_LOADER, TIMESTAMPTZ

    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is COMPILED_LOADER
    fast, django = _read(django_loader=False), _read(django_loader=True)
    assert fast == django
    assert [repr(value) for value in fast] == [repr(value) for value in django]
    assert all(value.tzinfo is UTC for value in fast)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_model_timestamps_round_trip() -> None:
    from tests.factories import TicketFactory

    ticket = TicketFactory()
    stored = type(ticket).objects.values_list("created_at", "updated_at").get(pk=ticket.pk)
    assert stored == (ticket.created_at, ticket.updated_at)
    assert stored[0].tzinfo is UTC


@pytest.mark.django_db
def test_statements_run_again_are_prepared() -> None:
    """Parameters go apart from the SQL, and a statement run five times on a connection is
    prepared: PostgreSQL neither parses nor plans it again."""
    from tickets.models import Ticket

    for pk in range(1, 7):
        list(Ticket.objects.filter(pk=pk).values_list("id", "created_at"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "tickets_ticket" WHERE "tickets_ticket"."id" = $1' in s for s in prepared)


@pytest.mark.django_db
def test_bulk_writes_over_the_parameter_limit_are_split() -> None:
    """PostgreSQL binds at most 65,535 parameters a statement: bulk writes of more rows than
    fit in one are split (the benchmarks' and the load test's seeding write such batches)."""
    from tickets.models import User

    # An update of one field binds three parameters an object, an insert one a column.
    count = 65_535 // 3 + 1
    User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", name=f"Bulk {n}", role="end-user") for n in range(count)
    )
    users = list(User.objects.filter(email__startswith="bulk").order_by("pk"))
    assert len(users) == count
    for user in users:
        user.name = user.name.upper()
    User.objects.bulk_update(users, ["name"])
    assert User.objects.filter(name__startswith="BULK ").count() == count
