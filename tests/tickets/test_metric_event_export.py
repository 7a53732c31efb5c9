"""`GET /api/v2/incremental/ticket_metric_events` delivers every event exactly once, in both
forms, to a consumer that follows it from any point: however many events share a second, and
whenever and however they were written (a late breach clock, a recompute, an import, a flip of
`deleted`). The rule and its proof are in tickets/sla/publishing.py."""

from __future__ import annotations

import importlib
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies import services as policy_services
from slaweb.api.pagination import _encode_cursor
from tests.factories import TicketFactory, UserFactory, make_policy, metric
from tests.tickets.test_api_imports import worked_example_import
from tickets import services
from tickets.breach_clock import record_due_breaches
from tickets.models import TicketMetricEvent, User
from tickets.sla.publishing import publish, publish_unpublished, time_page
from tickets.sla.rewrite import history_rewrite_apply
from tickets.sla.store import EVENT_COLUMNS, insert_rows

pytestmark = pytest.mark.django_db
EXPORT = "/api/v2/incremental/ticket_metric_events.json"
ROOT = "http://testserver"
EVERYTHING: dict[str, list[Any]] = {"all": [], "any": []}
T0 = datetime(2024, 4, 1, 9, tzinfo=UTC)
EVENTS_TABLE = TicketMetricEvent._meta.db_table
MAX_REQUESTS = 60  # a consumer that needs more is looping

_instances = count(1)


@pytest.fixture
def no_hold_back(settings: Any) -> None:
    settings.SLAWEB_EXPORT_HOLD_BACK_SECONDS = 0


def write_events(number: int, *, happened: datetime = T0 - timedelta(days=30)) -> None:
    """`number` new events in one transaction, published as the store publishes what it
    writes; all happened long before they are written."""
    rows = [
        (1, "reply_time", next(_instances), "activate", happened, 0, None, None, False)
        for _ in range(number)
    ]
    with transaction.atomic():
        insert_rows(TicketMetricEvent, EVENT_COLUMNS, rows)
        publish()


def burst(second: datetime, sizes: list[int]) -> None:
    """One transaction per size, all published within `second`."""
    for n, size in enumerate(sizes):
        with time_machine.travel(second + timedelta(milliseconds=100 + n), tick=False):
            write_events(size)


def current() -> dict[int, bool]:
    """Every stored event: id -> deleted."""
    return dict(TicketMetricEvent.objects.values_list("id", "deleted"))


def in_publish_order() -> list[int]:
    return list(TicketMetricEvent.objects.order_by("published_seq").values_list("id", flat=True))


class Consumer:
    """Follows the export the way clients do and records every (id, deleted) it receives."""

    def __init__(self, client: APIClient, start_time: int = 0) -> None:
        self.client = client
        self.start_time = start_time
        self.received: list[tuple[int, bool]] = []
        self.pages: list[dict[str, Any]] = []
        self.requests = 0

    def get(self, url: str) -> dict[str, Any]:
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            pytest.fail(f"{type(self).__name__} did not reach the end of the export")
        response = self.client.get(url)
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        self.pages.append(body)
        self.received += [(e["id"], e.get("deleted", False)) for e in body["ticket_metric_events"]]
        return body

    def poll(self) -> None:
        raise NotImplementedError

    @property
    def ids(self) -> list[int]:
        return [pk for pk, _ in self.received]


class FollowsNextPage(Consumer):
    """zenpy within one run: next_page verbatim until end_of_stream (or an empty page); then
    resumes from the last next_page."""

    def poll(self) -> None:
        url = getattr(self, "url", f"{ROOT}{EXPORT}?start_time={self.start_time}")
        while True:
            body = self.get(url)
            url = body["next_page"]
            if body["end_of_stream"] or not body["ticket_metric_events"]:
                break
        self.url = url


class ResumesFromEndTime(Consumer):
    """node-zendesk's and zenpy's users across runs: start_time = the last end_time."""

    def poll(self) -> None:
        while True:
            body = self.get(f"{EXPORT}?start_time={self.start_time}")
            self.start_time = body["end_time"]
            if body["end_of_stream"]:
                break


class StopsOnUnchangedUrl(Consumer):
    """The Ruby client: next_page verbatim, ignoring end_of_stream, until next_page is null
    or the URL it just fetched."""

    def poll(self) -> None:
        url = getattr(self, "url", f"{ROOT}{EXPORT}?start_time={self.start_time}")
        while True:
            body = self.get(url)
            if body["next_page"] is None or body["next_page"] == url:
                break
            url = body["next_page"]
        self.url = url


class FollowsCursors(Consumer):
    """The cursor form: page[after] = the last after_cursor until has_more is false."""

    def __init__(self, client: APIClient, start_time: int = 0, size: int = 100) -> None:
        super().__init__(client, start_time)
        self.size = size
        self.after: str | None = None

    def poll(self) -> None:
        while True:
            url = f"{EXPORT}?start_time={self.start_time}&page[size]={self.size}"
            if self.after:
                url += f"&page[after]={self.after}"
            body = self.get(url)
            self.after = body["meta"]["after_cursor"]
            if not body["meta"]["has_more"]:
                break


ALL_KINDS = (FollowsNextPage, ResumesFromEndTime, StopsOnUnchangedUrl, FollowsCursors)


def assert_exactly_once(consumer: Consumer) -> None:
    """Every event, each version once: no id twice in a row with the same flag, and the last
    version received is the stored one."""
    stored = current()
    assert set(consumer.ids) == set(stored), type(consumer).__name__
    versions: dict[int, list[bool]] = defaultdict(list)
    for pk, deleted in consumer.received:
        versions[pk].append(deleted)
    repeated = {pk: seen for pk, seen in versions.items() if any(map(bool.__eq__, seen, seen[1:]))}
    assert repeated == {}, type(consumer).__name__
    assert {pk: seen[-1] for pk, seen in versions.items()} == stored, type(consumer).__name__


# Crowded seconds ---------------------------------------------------------------------------------


def test_2500_events_in_one_second_are_followed_to_the_end_once(
    admin_client: APIClient, no_hold_back: None
) -> None:
    second = T0.replace(microsecond=0)
    burst(second - timedelta(seconds=1), [10])
    burst(second, [500] * 5)  # 2,500 events, five transactions, one second
    burst(second + timedelta(seconds=1), [10])
    with time_machine.travel(second + timedelta(seconds=5), tick=False):
        consumers = [kind(admin_client) for kind in ALL_KINDS]
        for consumer in consumers:
            consumer.poll()
    for consumer in consumers:
        assert consumer.ids == in_publish_order(), type(consumer).__name__
        assert len(consumer.ids) == 2520
    time_based = consumers[0].pages
    # The first page finishes the crowded second: 10 + 2,500, more than the 1,000 a page holds.
    assert [page["count"] for page in time_based] == [2510, 10]
    assert [page["end_time"] for page in time_based] == [
        int(second.timestamp()) + 1,
        int(second.timestamp()) + 2,
    ]
    assert [page["end_of_stream"] for page in time_based] == [False, True]
    assert consumers[3].requests == 26  # 100 a page


def test_a_page_of_1000_that_ends_inside_a_second_is_extended_to_its_end(
    admin_client: APIClient, no_hold_back: None
) -> None:
    second = T0.replace(microsecond=0)
    burst(second, [400, 700])  # the 1,000th event is the 600th of the second transaction
    burst(second + timedelta(seconds=1), [1000])  # exactly a page, then nothing
    with time_machine.travel(second + timedelta(seconds=5), tick=False):
        first = admin_client.get(f"{EXPORT}?start_time=0").json()
        second_page = admin_client.get(f"{EXPORT}?start_time={first['end_time']}").json()
    assert (first["count"], first["end_of_stream"]) == (1100, False)
    assert (second_page["count"], second_page["end_of_stream"]) == (1000, True)
    assert second_page["end_time"] == first["end_time"] + 1


# Resuming ----------------------------------------------------------------------------------------


def test_start_time_from_end_time_resumes_exactly(
    admin_client: APIClient, no_hold_back: None
) -> None:
    s = T0.replace(microsecond=0)
    layout = {0: [3], 1: [600, 600], 2: [2], 5: [1]}  # second offset -> transactions
    for offset, sizes in layout.items():
        burst(s + timedelta(seconds=offset), sizes)
    published = {
        pk: int(at.timestamp())
        for pk, at in TicketMetricEvent.objects.values_list("id", "published_at")
    }
    order = in_publish_order()
    start = int(s.timestamp())
    with time_machine.travel(s + timedelta(seconds=10), tick=False):
        for second in range(start - 1, start + 8):
            body = admin_client.get(f"{EXPORT}?start_time={second}").json()
            got = [e["id"] for e in body["ticket_metric_events"]]
            wanted = [pk for pk in order if published[pk] >= second]
            assert got == wanted[: len(got)], second
            # end_time is exclusive: exactly the events before it have been delivered.
            assert all(published[pk] < body["end_time"] for pk in got)
            rest = admin_client.get(f"{EXPORT}?start_time={body['end_time']}").json()
            assert [e["id"] for e in rest["ticket_metric_events"]] == wanted[len(got) :]
        # Passing back end_time - 1, as for Zendesk's own end_time, repeats the last second.
        first = admin_client.get(f"{EXPORT}?start_time={start}").json()
        assert first["end_time"] == start + 2
        again = admin_client.get(f"{EXPORT}?start_time={first['end_time'] - 1}").json()
        repeated = {e["id"] for e in again["ticket_metric_events"]}
        assert len(repeated) == 1200
        assert repeated <= {e["id"] for e in first["ticket_metric_events"]}


def test_an_empty_page_answers_its_own_url(admin_client: APIClient, no_hold_back: None) -> None:
    burst(T0, [3])
    later = int(T0.timestamp()) + 100
    query = f"exclude_deleted=false&start_time={later}&include_changes=true"
    with time_machine.travel(T0 + timedelta(seconds=200), tick=False):
        body = admin_client.get(f"{EXPORT}?{query}").json()
        assert body == {
            "ticket_metric_events": [],
            "count": 0,
            "end_time": later,
            "next_page": f"{ROOT}{EXPORT}?{query}",
            "end_of_stream": True,
        }
        # At the end of a stream, too; the other parameters keep their place meanwhile.
        full = admin_client.get(f"{EXPORT}?exclude_deleted=false&start_time=0&x=1").json()
        assert full["next_page"] == (
            f"{ROOT}{EXPORT}?exclude_deleted=false&start_time={full['end_time']}&x=1"
        )
        end = admin_client.get(full["next_page"]).json()
        assert (end["count"], end["next_page"]) == (0, full["next_page"])
        cursor = admin_client.get(f"{EXPORT}?start_time=0&page[size]=10").json()["meta"]
        empty = admin_client.get(
            f"{EXPORT}?start_time=0&page[size]=10&page[after]={cursor['after_cursor']}"
        ).json()
        # An empty cursor page keeps the consumer's place.
        assert empty["meta"] == {
            "has_more": False,
            "after_cursor": cursor["after_cursor"],
            "before_cursor": None,
        }


def test_the_last_minute_is_held_back(admin_client: APIClient) -> None:
    burst(T0, [2])
    start = int(T0.timestamp())
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        body = admin_client.get(f"{EXPORT}?start_time={start}").json()
        cursor = admin_client.get(f"{EXPORT}?start_time={start}&page[size]=5").json()
    assert (body["count"], body["end_time"], body["end_of_stream"]) == (0, start, True)
    assert cursor["ticket_metric_events"] == []
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        body = admin_client.get(f"{EXPORT}?start_time={start}").json()
    assert (body["count"], body["end_time"]) == (2, start + 1)


def test_a_cursor_from_before_sequence_numbers_resumes_at_its_second(
    admin_client: APIClient, no_hold_back: None
) -> None:
    burst(T0, [2])
    burst(T0 + timedelta(seconds=3), [2])
    old = _encode_cursor([int(T0.timestamp()) + 3, 1])
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        body = admin_client.get(f"{EXPORT}?start_time=0&page[size]=10&page[after]={old}").json()
    assert [e["id"] for e in body["ticket_metric_events"]] == in_publish_order()[2:]


# Events written late, into the past, and changed -------------------------------------------------


def test_a_consumer_following_the_export_gets_every_event_once_however_it_was_written(
    admin_client: APIClient, end_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    """With the default hold-back: the clock records breaches half an hour late (before the
    consumers' end_time), a policy edit recomputes (new apply_sla events, breaches deleted),
    an import writes a history from March, a reply lands, and consumers poll in between."""
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=10)])
    agent = UserFactory(role="agent")
    consumers = [kind(admin_client) for kind in ALL_KINDS]
    late: list[int] = []

    def poll() -> None:
        for consumer in consumers:
            consumer.poll()

    with time_machine.travel(T0, tick=False) as clock:

        def at(minutes: float) -> datetime:
            moment = T0 + timedelta(minutes=minutes)
            clock.move_to(moment)
            return moment

        first = TicketFactory(requester=end_user, now=at(0))
        TicketFactory(requester=end_user, now=at(0))
        at(5)
        poll()
        TicketFactory(requester=end_user, now=at(20))
        at(25)
        poll()
        # Every consumer has passed 09:10, where the breaches recorded next are dated.
        passed = [c.start_time for c in consumers if isinstance(c, ResumesFromEndTime)]
        assert min(passed) > int((T0 + timedelta(minutes=10)).timestamp())

        # The clock was down: it records the breaches due since 09:10 at 09:30, at their time.
        assert record_due_breaches(now=at(30)) == 3
        breaches = TicketMetricEvent.objects.filter(type="breach", deleted=False)
        late = list(
            breaches.filter(time__lt=T0 + timedelta(minutes=20)).values_list("id", flat=True)
        )
        assert len(late) == 2  # the two tickets created at 09:00, behind every consumer
        at(30.5)
        poll()  # still held back
        at(32)
        poll()

        # A policy edit at 09:40, targets of an hour, re-applied to the past on purpose: the
        # breaches no longer happened.
        at(40)
        with django_capture_on_commit_callbacks(execute=True):
            policy_services.policy_update(
                policy_id=policy.pk, data={"policy_metrics": [metric("normal", minutes=60)]}
            )
            rewrite_the_past(at(40))
        assert TicketMetricEvent.objects.filter(type="breach", deleted=True).count() == 3
        at(40.5)
        poll()

        # An import at 09:50 of a ticket from March.
        at(50)
        imported = admin_client.post(
            "/api/v2/imports/tickets.json",
            {"ticket": worked_example_import(end_user, agent)},
            format="json",
        )
        assert imported.status_code == 201, imported.json()
        at(51)
        poll()
        services.ticket_update(
            ticket_id=first.pk,
            fields={"status": "pending"},
            author_id=agent.pk,
            comment=services.NewComment(body="On it", public=True, author_id=agent.pk),
            now=at(55),
        )
        at(120)
        poll()
        latecomers = [kind(admin_client) for kind in ALL_KINDS]
        for consumer in latecomers:
            consumer.poll()

    imported_ids = TicketMetricEvent.objects.filter(ticket_id=imported.json()["ticket"]["id"])
    assert imported_ids.filter(time__lt=T0 - timedelta(days=20)).count() > 10
    flipped = set(
        TicketMetricEvent.objects.filter(type="breach", deleted=True).values_list("id", flat=True)
    )
    for consumer in consumers:
        assert_exactly_once(consumer)
        versions = Counter(consumer.ids)
        # Each event once, and the three breaches once more when they were deleted.
        assert {pk for pk, n in versions.items() if n > 1} == flipped
        assert all(n == 2 for pk, n in versions.items() if pk in flipped)
        assert set(late) <= set(consumer.ids)
    # Both forms, and every way of following the time-based one, deliver the same stream.
    assert len({tuple(c.received) for c in consumers}) == 1
    for consumer in latecomers:
        assert_exactly_once(consumer)
        assert consumer.ids == in_publish_order()


def rewrite_the_past(now: datetime) -> None:
    """Edits never delete a breach; an admin's explicit rewrite of the past does."""
    history_rewrite_apply(
        since=T0 - timedelta(hours=1), now=now, actor_id=None, reason="Targets were too short"
    )


def test_a_deleted_flag_flip_is_delivered_again(
    admin_client: APIClient,
    end_user: User,
    no_hold_back: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=10)])
    with time_machine.travel(T0, tick=False) as clock:
        TicketFactory(requester=end_user, now=T0)
        clock.move_to(T0 + timedelta(minutes=30))
        record_due_breaches(now=T0 + timedelta(minutes=30))
        breach = TicketMetricEvent.objects.get(type="breach")
        clock.move_to(T0 + timedelta(minutes=31))
        consumers = [kind(admin_client) for kind in ALL_KINDS]
        for consumer in consumers:
            consumer.poll()
            assert (breach.pk, False) in consumer.received
        clock.move_to(T0 + timedelta(minutes=40))
        with django_capture_on_commit_callbacks(execute=True):
            policy_services.policy_update(
                policy_id=policy.pk, data={"policy_metrics": [metric("normal", minutes=60)]}
            )
            rewrite_the_past(T0 + timedelta(minutes=40))
        clock.move_to(T0 + timedelta(minutes=41))
        for consumer in consumers:
            before = len(consumer.received)
            consumer.poll()
            assert (breach.pk, True) in consumer.received[before:], type(consumer).__name__
            assert_exactly_once(consumer)
        body = admin_client.get(f"{EXPORT}?start_time=0&exclude_deleted=true").json()
        assert breach.pk not in {e["id"] for e in body["ticket_metric_events"]}
    breach.refresh_from_db()
    assert breach.deleted


# Concurrent writers ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_readers_and_later_writers_wait_for_a_stamp_not_yet_committed(
    no_hold_back: None,
) -> None:
    """A writer has stamped its events but not committed. A reader past that second waits for
    it (else it would answer an end_time beyond events it cannot see yet), and so does a writer
    that comes later, which commits after it with a larger sequence number."""
    write_events(2)
    stamped, release = threading.Event(), threading.Event()
    done: dict[str, Any] = {}

    def in_thread(name: str, work: Any) -> threading.Thread:
        def run() -> None:
            try:
                done[name] = work()
            finally:
                connection.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def slow_writer() -> None:
        with transaction.atomic():
            write_events(3)
            stamped.set()
            release.wait(20)

    def read() -> Any:
        return time_page(0, limit=1000)

    writer = in_thread("slow", slow_writer)
    try:
        assert stamped.wait(20)
        time.sleep(1.05 - time.time() % 1)  # into the next second: the stamp is below the horizon
        reader = in_thread("reader", read)
        later = in_thread("later", lambda: write_events(4))
        reader.join(1.0)
        later.join(0.2)
        assert reader.is_alive()
        assert later.is_alive()
    finally:
        release.set()
    for thread in (writer, reader, later):
        thread.join(20)
        assert not thread.is_alive()
    page = done["reader"]
    assert len(page.events) >= 5  # the slow writer's three included
    rows = list(
        TicketMetricEvent.objects.order_by("id").values_list("published_seq", "published_at")
    )
    assert [seq for seq, _ in rows] == list(range(1, 10))
    assert [at for _, at in rows] == sorted(at for _, at in rows)
    # Everything the reader answered ends before end_time; nothing published since is below it.
    later_stamps = [at for seq, at in rows if seq > len(page.events)]
    assert all(at.timestamp() >= page.end_time for at in later_stamps)


# Publishing what was missed, the old rows, and the cost ------------------------------------------


def test_events_written_without_publishing_are_published_by_the_clock(
    admin_client: APIClient, no_hold_back: None
) -> None:
    with time_machine.travel(T0, tick=False):
        write_events(2)
        for n in range(5):
            TicketMetricEvent.objects.create(
                ticket_id=2, metric="reply_time", instance_id=n, type="activate", time=T0
            )
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        before = admin_client.get(f"{EXPORT}?start_time=0").json()
        assert before["count"] == 2
        call_command("sla_clock", "--once")
        after = admin_client.get(f"{EXPORT}?start_time={before['end_time']}").json()
    assert after["count"] == 0  # published at 09:00:05, not yet past
    with time_machine.travel(T0 + timedelta(seconds=7), tick=False):
        after = admin_client.get(f"{EXPORT}?start_time={before['end_time']}").json()
    assert [e["ticket_id"] for e in after["ticket_metric_events"]] == [2] * 5
    assert TicketMetricEvent.objects.filter(published_seq__isnull=True).count() == 0
    # In batches, in id order.
    for n in range(5):
        TicketMetricEvent.objects.create(
            ticket_id=3, metric="reply_time", instance_id=n, type="activate", time=T0
        )
    assert publish_unpublished(batch=2) == 5
    assert in_publish_order() == sorted(in_publish_order())


def test_stored_events_are_published_in_their_old_order() -> None:
    """The migration's backfill: old events keep their place, (time, id), and a consumer's
    saved start_time its meaning (published_at = time)."""
    times = [T0 + timedelta(minutes=m) for m in (5, 1, 3, 1, 0)]
    for n, moment in enumerate(times):
        TicketMetricEvent.objects.create(
            ticket_id=4, metric="reply_time", instance_id=n, type="activate", time=moment
        )
    TicketMetricEvent.objects.update(published_seq=None, published_at=None)
    migration = importlib.import_module("tickets.migrations.0014_metric_event_publishing")
    migration.backfill(django_apps, StatementRunner())
    rows = list(
        TicketMetricEvent.objects.values_list("id", "time", "published_seq", "published_at")
    )
    assert [seq for *_, seq, _ in sorted(rows, key=lambda r: (r[1], r[0]))] == [1, 2, 3, 4, 5]
    assert all(at == moment for _, moment, _, at in rows)


class StatementRunner:
    """What the backfill uses of a schema editor (SQLite's cannot open inside a test's
    transaction)."""

    connection = connection

    @staticmethod
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_a_page_costs_the_same_queries_however_many_events_it_holds(
    admin_client: APIClient, no_hold_back: None
) -> None:
    s = T0.replace(microsecond=0)
    burst(s, [5])
    burst(s + timedelta(seconds=1), [1500])
    burst(s + timedelta(seconds=2), [1200])
    burst(s + timedelta(seconds=3), [5])
    counts: list[tuple[int, int]] = []
    with time_machine.travel(s + timedelta(seconds=10), tick=False):
        admin_client.get(f"{EXPORT}?start_time=0")  # warm: the token's first use writes
        consumers: list[Consumer] = [ResumesFromEndTime(admin_client), FollowsCursors(admin_client)]
        for consumer in consumers:
            original = consumer.get

            def counted(url: str, original: Any = original) -> dict[str, Any]:
                with CaptureQueriesContext(connection) as queries:
                    body: dict[str, Any] = original(url)
                on_events = [q for q in queries if EVENTS_TABLE in q["sql"]]
                counts.append((len(queries), len(on_events)))
                return body

            consumer.get = counted  # type: ignore[method-assign]
            consumer.poll()
    assert [page["count"] for page in consumers[0].pages] == [1505, 1200, 5]
    assert len(consumers[1].pages) == 28
    assert max(on_events for _, on_events in counts) <= 3
    totals = {total - on_events for total, on_events in counts}
    assert len(totals) == 1  # authentication and the lock, the same for every page
    assert max(total for total, _ in counts) <= min(total for total, _ in counts) + 2
