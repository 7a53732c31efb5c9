"""The incremental metric event export's order, and reading it: every event exactly once.

Metric events are written with the time they happened (`time`), which is often in the past: the
breach clock records a breach at its `breach_at` however late it runs, a recompute and an import
write whole histories. The export therefore does not page by `time`. Each event carries two
more columns that place it in the export:

- `published_seq`: its position, unique and never reused;
- `published_at`: the export's clock, on which `start_time` and `end_time` count seconds.

**Stamping.** Events are stamped in the transaction that writes them, under the publishing lock
(PostgreSQL: `pg_advisory_xact_lock`, held until the transaction ends; SQLite: the transaction
already holds the database's write lock from its `BEGIN IMMEDIATE`), after reading the clock:
`sla_store_many`, the one place events are written, takes the lock with `stamp_new_events` and
inserts its new events with the next sequence numbers and one `published_at = max(now, latest
published_at)`; a transaction that flips an event's `deleted` flag calls `publish`, which in
one UPDATE gives every event without a sequence number, and every event it was told has
changed, the next sequence numbers in id order and such a `published_at`. A flipped event is
thereby moved to the end of the export, so the change is delivered like a new event (a new
version of the same `id`). `publish_unpublished`, run by the breach clock every round, stamps
events that reached the table unstamped (written by other code); that is the only way an event
can wait.

**Why every event is delivered exactly once.** Stamping and committing happen under the lock,
so stamping transactions commit one after another, in the order of their stamps. Hence:

1. `published_seq` and `published_at` only grow in commit order, and `published_at` never
   decreases along `published_seq`: a stamp is at least every stamp before it, and a flip
   overwrites an event's old stamp with a larger one (the old sequence number still counts
   for the maximum, being part of the same statement's snapshot, so it is never handed out
   again).
2. A reader takes the same lock in shared mode before it reads the clock and the table. Every
   transaction that stamped before that moment has committed, so the reader sees it (PostgreSQL
   reads committed data afresh for each statement; SQLite's reader begins IMMEDIATE as well).
   Every transaction that stamps later takes the lock after the reader released it, so it reads
   a later clock and stamps `published_at >= now >= horizon`, where `horizon =
   floor(now) - SLAWEB_EXPORT_HOLD_BACK_SECONDS` is the exclusive upper bound of what the
   reader serves. No event can ever appear below a horizon that has been served.
3. Time-based form: a page holds every event with `start_time <= published_at < end_time`
   (whole seconds; the page is extended to the end of its last second, however many events
   share it), and `end_time <= horizon`. By (2), no event with a stamp below `end_time` can
   appear later, so the next page, from `start_time = end_time`, neither repeats nor skips one.
   `end_time` moves forward on every page with events, so following `next_page` ends.
4. Cursor form: a page holds the next events in `published_seq` order below the horizon. By
   (1) the events below the horizon are a prefix of the sequence, and by (1) and (2) every
   later stamp gets a sequence number above every number already served, so `page[after]` is an
   exact position too.

A flip of `deleted` stamps the event again (1), so a consumer who has read it receives the new
version once more; one who reads the export later receives only the latest version. Rows are
never deleted (events are kept when tickets go). The hold-back is not needed for exactness on
one host; it keeps (2) true when the clocks of the hosts running slaweb disagree, or one is
stepped back, by up to that many seconds, and matches Zendesk, which leaves out the most recent
minute. Writers run at READ COMMITTED (Django's default), so the UPDATE after the lock sees
every committed stamp; the unique index on `published_seq` turns any mistake into an error
rather than a duplicate.

**Why in the writer's transaction, not by a publisher after commit.** Stamps commit or roll back
with their events, so no event is ever committed and waiting, nothing has to be recovered after
a crash, and the order needs no second process. The price is that event-writing transactions
take turns from their stamp to their commit: `sla_store_many` writes its events last, so for a
save, the clock and a recompute batch that is the insert of its events and the commit; an
import of many tickets in one transaction holds the lock for its remaining tickets.

**Cost.** A transaction that writes events pays one lock and two index lookups (the maxima), and
writes each event once; one that flips flags pays an UPDATE of those events besides. It holds
the lock from then until it commits. A page costs at most three indexed queries besides the lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from tickets.models import TicketMetricEvent

# The PostgreSQL advisory lock that orders publishing (any constant no other code uses).
LOCK_KEY = 0x51A_E7E47
# Events the clock's sweep stamps per transaction.
SWEEP_BATCH = 5000


def _lock(*, shared: bool) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("the export's lock is held by a transaction: call inside atomic()")
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings.DATABASES), holding the write lock until
    # they end, so writers and the export's readers already take turns.


def publish(*, changed: Sequence[int] = (), limit: int | None = None) -> int:
    """Stamp, in the caller's transaction, the events without a sequence number (up to `limit`)
    and the events `changed` (their `deleted` flag flipped in this transaction). Returns how
    many were stamped. The lock is held until the transaction ends."""
    _lock(shared=False)
    now = timezone.now()  # after the lock: later than any reader that held it before us
    quote = connection.ops.quote_name
    table = quote(TicketMetricEvent._meta.db_table)
    seq, at, pk = quote("published_seq"), quote("published_at"), quote("id")
    stamp = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = []
    if connection.vendor == "postgresql":
        latest = f"GREATEST(%s, (SELECT MAX({at}) FROM {table}))"
        params.append(stamp)
        also = f" OR {pk} = ANY(%s)" if changed else ""
        changed_params: list[Any] = [list(changed)] if changed else []
    else:
        latest = f"MAX(%s, COALESCE((SELECT MAX({at}) FROM {table}), %s))"
        params += [stamp, stamp]
        also = f" OR {pk} IN (SELECT value FROM json_each(%s))" if changed else ""
        changed_params = [json.dumps(list(changed))] if changed else []
    params += changed_params
    bound = ""
    if limit is not None:
        bound = " LIMIT %s"
        params.append(limit)
    sql = (
        f"UPDATE {table} SET {seq} = pending.n + (SELECT COALESCE(MAX({seq}), 0) FROM {table}), "
        f"{at} = {latest} "
        f"FROM (SELECT {pk} AS event_id, ROW_NUMBER() OVER (ORDER BY {pk}) AS n FROM {table} "
        f"WHERE {seq} IS NULL{also} ORDER BY {pk}{bound}) AS pending "
        f"WHERE {table}.{pk} = pending.event_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(int(cursor.rowcount), 0)


def stamp_new_events() -> tuple[int, datetime]:
    """Take the publishing lock (held until the transaction ends) and give the events this
    transaction inserts next their place: sequence numbers from the first returned on, in the
    order they are inserted, and the publish time returned. Insert them right after: every
    committed event has a lower number and no later time, and none can commit meanwhile."""
    _lock(shared=False)
    now = timezone.now()  # after the lock: later than any reader that held it before us
    latest = TicketMetricEvent.objects.aggregate(seq=Max("published_seq"), at=Max("published_at"))
    at = now if latest["at"] is None else max(now, latest["at"])
    return (latest["seq"] or 0) + 1, at


def publish_unpublished(*, batch: int = SWEEP_BATCH) -> int:
    """Stamp events that were committed without being stamped, `batch` per transaction; the
    breach clock calls this every round. Costs one index lookup when there are none."""
    stamped = 0
    while TicketMetricEvent.objects.filter(published_seq__isnull=True).exists():
        with transaction.atomic():
            count = publish(limit=batch)
        stamped += count
        if count < batch:
            break
    return stamped


# Reading ---------------------------------------------------------------------------------------


def hold_back() -> int:
    return max(int(settings.SLAWEB_EXPORT_HOLD_BACK_SECONDS), 0)


def _at(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def _second(event: TicketMetricEvent) -> int:
    """The whole second of the event's publish time."""
    assert event.published_at is not None  # only published events are read
    return int(event.published_at.replace(microsecond=0).timestamp())


@contextmanager
def _reading() -> Iterator[datetime]:
    """A transaction that has waited for every stamping transaction before it; yields the
    horizon: events published at or after it are not served yet."""
    with transaction.atomic():
        _lock(shared=True)
        now = timezone.now()
        yield _at(int(now.replace(microsecond=0).timestamp())) - timedelta(seconds=hold_back())


def _published(*, exclude_deleted: bool) -> QuerySet[TicketMetricEvent]:
    events = TicketMetricEvent.objects.filter(published_seq__isnull=False)
    return events.filter(deleted=False) if exclude_deleted else events


@dataclass(frozen=True)
class TimePage:
    events: list[TicketMetricEvent]
    end_time: int  # exclusive: pass it back as start_time
    end_of_stream: bool


def time_page(start_time: int, *, limit: int, exclude_deleted: bool = False) -> TimePage:
    """The events published at or after `start_time`: `limit` of them, or more to finish the
    last one's second. An empty page ends at `start_time`."""
    with _reading() as horizon:
        window = (
            _published(exclude_deleted=exclude_deleted)
            .filter(published_at__gte=_at(start_time), published_at__lt=horizon)
            .order_by("published_at", "published_seq")
        )
        events = list(window[: limit + 1])
        if len(events) <= limit:
            end = _second(events[-1]) + 1 if events else start_time
            return TimePage(events, end, end_of_stream=True)
        events, following = events[:limit], events[limit]
        last, end = events[-1], _second(events[-1]) + 1
        if _second(following) < end:
            # A crowded second: the page takes all of it, so end_time can pass it exactly.
            assert last.published_at is not None
            events += window.filter(
                Q(published_at__gt=last.published_at)
                | Q(published_at=last.published_at, published_seq__gt=last.published_seq),
                published_at__lt=_at(end),
            )
            more = window.filter(published_at__gte=_at(end)).exists()
        else:
            more = True
    return TimePage(events, end, end_of_stream=not more)


@dataclass(frozen=True)
class CursorPage:
    events: list[TicketMetricEvent]
    has_more: bool


def cursor_page(
    *, start_time: int, after: int | None, size: int, exclude_deleted: bool = False
) -> CursorPage:
    """`size` events in publish order: after the sequence number `after`, or from the first
    published at or after `start_time`."""
    with _reading() as horizon:
        events = _published(exclude_deleted=exclude_deleted).filter(published_at__lt=horizon)
        if after is not None:
            events = events.filter(published_seq__gt=after)
        else:
            events = events.filter(published_at__gte=_at(start_time))
        rows = list(events.order_by("published_seq")[: size + 1])
    return CursorPage(rows[:size], has_more=len(rows) > size)
