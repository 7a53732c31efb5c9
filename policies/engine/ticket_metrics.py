"""Zendesk's ticket metrics (the Ticket Metrics API's `ticket_metric`) from a ticket's history.

Sources: Zendesk's Ticket Metrics API reference (the fields) and the Help Center article "About
native Support time duration metrics" (support.zendesk.com/hc/en-us/articles/4408834848154), whose
rules are: the durations "are not live counters, instead, they measure time duration between
specific events", and "the metric's value will appear as null until two required events occur at
least once". So every duration here is null until its closing event has happened, and a period
still running adds nothing until it ends.

Definitions, as computed by `ticket_metric_set` (a "save" is one `TicketUpdate`):

* `reply_time` - creation to the first public comment by an agent (agents and admins). Exception
  (Zendesk's): when an agent (or admin) submitted the ticket and its first comment is public, that
  comment is the ticket's description, not a reply, and the first reply is the next public agent
  comment. Null until that comment. `reply_time_seconds` is the same interval in calendar seconds.
* `first_resolution_time` - creation to the first save that set the status to solved, or to closed
  from an unsolved status ("If the unsolved ticket is set to closed by a business rule or API, this
  event is considered as the second timestamp"). Null until then.
* `full_resolution_time` - creation to the last such save; a reopened ticket keeps the value of its
  last resolution until it is solved again. Null until the first resolution.
* `requester_wait_time` - the total time in new, open and on-hold, counted in periods from a change
  into one of them (or creation in one of them) to a change out of all three (to pending, solved
  or closed). Open to on-hold does not end a period. Null until a period has ended.
* `agent_wait_time` - the total time in pending, by the same rule. Null until a pending period
  has ended (a ticket never pending has null).
* `on_hold_time` - the total time in on-hold, by the same rule. Null until an on-hold period has
  ended.
* Minutes are whole minutes rounded down, of the summed time; `calendar` is real elapsed time,
  `business` the time inside the schedule's business hours (`Schedule.between`, holidays and DST
  included). Without a schedule business time is calendar time.
* `replies` - public comments by agents, without the description of an agent-submitted ticket
  (the comment the reply-time exception skips).
* `reopens` - saves that moved the status from solved (or closed) to new, open, pending or on-hold.
* `assignee_stations` / `group_stations` - how many times the ticket was given an assignee / a
  group: each save that sets a non-empty value different from the one before (creation with a
  value counts; A, then B, then A again is three stations; unassigning is not a station).
* `initially_assigned_at` / `assigned_at` - the first and the last of those assignee saves.
* `assignee_updated_at` - the last save made by the ticket's assignee (the assignee before or
  after that save, so a self-assignment and a hand-over both count). `requester_updated_at` - the
  last save made by the ticket's requester. Who made a save comes from `updaters`.
* `status_updated_at` - the last save that changed the status (creation sets it).
  `custom_status_updated_at` - the last save that changed the custom status: the custom status id,
  or for tickets without one the status category (Zendesk gives every ticket a custom status, the
  category's default one where no other is chosen).
* `solved_at` - the save of the last resolution (as full resolution); kept after a reopen.
* `latest_comment_added_at` - the last save carrying a comment, public or private.
* `created_at` - the ticket's creation. `updated_at` - the last save that changed any value above
  (a save changing nothing measured, e.g. only tags, leaves it).

Each duration is measured when the save that ends it comes, on the schedule in force for that save
(Zendesk keeps each multi-event period with the schedule in force when it ended), so a ticket's
metrics can be carried forward one save at a time (`TicketMetricsReplay`). There are no sharing
agreements, so the "first private note on a shared ticket" exception does not arise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from policies.engine.business_time import Schedule
from policies.engine.history import TicketUpdate
from policies.engine.vocabulary import Role, StatusCategory

_S = StatusCategory
_UNSOLVED = frozenset({_S.NEW, _S.OPEN, _S.PENDING, _S.HOLD})
_DONE = frozenset({_S.SOLVED, _S.CLOSED})
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Minutes:
    """A duration in whole minutes (rounded down): elapsed and in business hours."""

    calendar: int
    business: int


@dataclass(frozen=True, slots=True)
class TicketMetricSet:
    """A ticket's metrics as of one instant; None where Zendesk answers null."""

    ticket_id: int | None
    created_at: datetime
    updated_at: datetime
    reply_time: Minutes | None
    reply_time_seconds: int | None
    first_resolution_time: Minutes | None
    full_resolution_time: Minutes | None
    agent_wait_time: Minutes | None
    requester_wait_time: Minutes | None
    on_hold_time: Minutes | None
    replies: int
    reopens: int
    assignee_stations: int
    group_stations: int
    assignee_updated_at: datetime | None
    requester_updated_at: datetime | None
    status_updated_at: datetime
    custom_status_updated_at: datetime
    initially_assigned_at: datetime | None
    assigned_at: datetime | None
    solved_at: datetime | None
    latest_comment_added_at: datetime | None


class _Measure:
    """Calendar and business time of an interval on one schedule (or none)."""

    def __init__(self, schedule: Schedule | None) -> None:
        self.schedule = schedule

    def __call__(self, start: datetime, end: datetime) -> tuple[timedelta, timedelta]:
        calendar = end - start
        if self.schedule is None:
            return calendar, calendar
        return calendar, timedelta(seconds=self.schedule.between(start, end))


def _minutes(calendar: timedelta, business: timedelta) -> Minutes:
    return Minutes(calendar // _MINUTE, business // _MINUTE)


class _Periods:
    """Total time spent in a set of statuses, counted in finished periods only."""

    __slots__ = ("business", "calendar", "ended", "since", "statuses")

    def __init__(self, statuses: frozenset[StatusCategory]) -> None:
        self.statuses = statuses
        self.since: datetime | None = None
        self.calendar = timedelta()
        self.business = timedelta()
        self.ended = False

    def step(
        self,
        before: StatusCategory | None,
        after: StatusCategory,
        at: datetime,
        measure: _Measure,
    ) -> None:
        was_in = before in self.statuses
        is_in = after in self.statuses
        if is_in and not was_in:
            self.since = at
        elif was_in and not is_in and self.since is not None:
            calendar, business = measure(self.since, at)
            self.calendar += calendar
            self.business += business
            self.since = None
            self.ended = True

    def key(self) -> tuple[object, ...]:
        return (self.ended, self.calendar, self.business)

    def minutes(self) -> Minutes | None:
        return _minutes(self.calendar, self.business) if self.ended else None

    def dump(self) -> list[Any]:
        return [_dt(self.since), _us(self.calendar), _us(self.business), self.ended]

    def load(self, data: Sequence[Any]) -> None:
        since, calendar, business, self.ended = data
        self.since = _dt_load(since)
        self.calendar, self.business = _td(calendar), _td(business)


def _check(
    history: Sequence[TicketUpdate], updaters: Sequence[int | None] | None, now: datetime
) -> None:
    if not history:
        raise ValueError("a ticket's history starts with its creation: it cannot be empty")
    if now.tzinfo is None or any(u.at.tzinfo is None for u in history):
        raise ValueError("times must be timezone-aware")
    if any(b.at < a.at for a, b in zip(history, history[1:], strict=False)):
        raise ValueError("history must be in time order")
    if history[0].at > now:
        raise ValueError("the ticket was created after `now`")
    if updaters is not None and len(updaters) != len(history):
        raise ValueError("`updaters` must name the author of every update")


def ticket_metric_set(
    history: Sequence[TicketUpdate],
    *,
    schedule: Schedule | None,
    now: datetime,
    updaters: Sequence[int | None] | None = None,
) -> TicketMetricSet:
    """The ticket's metrics as of `now` (later updates are ignored).

    `history` is the ticket's saves in time order, its creation first. `updaters[i]` is who made
    save i (None for the system); without `updaters`, a save's author is its comment's author and
    saves without a comment have none.
    """
    _check(history, updaters, now)
    replay = TicketMetricsReplay()
    for index, update in enumerate(history):
        if update.at > now:
            continue
        author = updaters[index] if updaters is not None else _comment_author(update)
        replay.step(update, author=author, schedule=schedule)
    return replay.result()


def _comment_author(update: TicketUpdate) -> int | None:
    return update.comment.author_id if update.comment is not None else None


# Bump when the meaning of a state changes: an older state is then replayed in full instead.
STATE_VERSION = 1


class StateError(ValueError):
    """A carried metrics state that cannot be continued (another version, or damaged)."""


class TicketMetricsReplay:
    """The metrics of a ticket fed one save at a time, able to stop after any save and carry
    on later from its `dump`: a save then costs the same however long the ticket's history.

    Each duration is measured when its closing save comes, on the schedule given with that
    save (as Zendesk keeps a period with the schedule in force when it ended)."""

    _TIMES = (
        "created",
        "first_reply",
        "first_resolution",
        "last_resolution",
        "initially_assigned_at",
        "assigned_at",
        "assignee_updated_at",
        "requester_updated_at",
        "status_updated_at",
        "custom_status_updated_at",
        "latest_comment_added_at",
        "updated_at",
    )
    _COUNTS = ("replies", "reopens", "assignee_stations", "group_stations")

    def __init__(self) -> None:
        self.started = False
        self.ticket_id: int | None = None
        self.agent_submitted = False
        self.seen_comment = False
        self.requester_wait = _Periods(frozenset({_S.NEW, _S.OPEN, _S.HOLD}))
        self.agent_wait = _Periods(frozenset({_S.PENDING}))
        self.on_hold = _Periods(frozenset({_S.HOLD}))
        self.status: StatusCategory | None = None
        self.custom_status: int | StatusCategory | None = None
        self.assignee: int | None = None
        self.group: int | None = None
        self.created: datetime | None = None
        self.first_reply: datetime | None = None
        self.first_resolution: datetime | None = None
        self.last_resolution: datetime | None = None
        self.initially_assigned_at: datetime | None = None
        self.assigned_at: datetime | None = None
        self.assignee_updated_at: datetime | None = None
        self.requester_updated_at: datetime | None = None
        self.status_updated_at: datetime | None = None
        self.custom_status_updated_at: datetime | None = None
        self.latest_comment_added_at: datetime | None = None
        self.updated_at: datetime | None = None
        self.replies = self.reopens = self.assignee_stations = self.group_stations = 0
        # Creation to the first reply, the first and the last resolution: measured when each
        # happens, as (calendar, business).
        self.reply_time: tuple[timedelta, timedelta] | None = None
        self.first_resolution_time: tuple[timedelta, timedelta] | None = None
        self.full_resolution_time: tuple[timedelta, timedelta] | None = None

    @property
    def periods(self) -> tuple[_Periods, _Periods, _Periods]:
        return (self.requester_wait, self.agent_wait, self.on_hold)

    def _measured(self) -> tuple[object, ...]:
        """What a save can change; `updated_at` moves when it does."""
        return (
            self.first_reply,
            self.first_resolution,
            self.last_resolution,
            self.replies,
            self.reopens,
            self.assignee_stations,
            self.group_stations,
            self.initially_assigned_at,
            self.assigned_at,
            self.assignee_updated_at,
            self.requester_updated_at,
            self.status_updated_at,
            self.custom_status_updated_at,
            self.latest_comment_added_at,
            *(p.key() for p in self.periods),
        )

    def step(self, update: TicketUpdate, *, author: int | None, schedule: Schedule | None) -> None:
        """One save, made by `author` (None for the system); the first is the creation."""
        measure = _Measure(schedule)
        facts, at, comment = update.facts, update.at, update.comment
        creating = not self.started
        if creating:
            self.started = True
            self.ticket_id = facts.ticket_id
            self.created = self.status_updated_at = self.custom_status_updated_at = at
            self.updated_at = at
            self.agent_submitted = facts.submitter_role is not Role.END_USER
        elif update.at < _known(self.created):
            raise ValueError("a save before the ticket's creation")
        created = _known(self.created)
        before = self._measured()

        if comment is not None:
            self.latest_comment_added_at = at
            description = not self.seen_comment and self.agent_submitted and comment.public
            self.seen_comment = True
            if comment.public and comment.by_agent and not description:
                self.replies += 1
                if self.first_reply is None:
                    self.first_reply = at
                    self.reply_time = measure(created, at)

        status = self.status
        if creating or facts.status != status:
            if not creating:
                self.status_updated_at = at
            for span in self.periods:
                span.step(status, facts.status, at, measure)
            resolved = facts.status is _S.SOLVED or (
                facts.status is _S.CLOSED and status not in _DONE
            )
            if resolved:
                if self.first_resolution is None:
                    self.first_resolution = at
                    self.first_resolution_time = measure(created, at)
                self.last_resolution = at
                self.full_resolution_time = measure(created, at)
            if status in _DONE and facts.status in _UNSOLVED:
                self.reopens += 1
        current_custom: int | StatusCategory = facts.status
        if facts.custom_status_id is not None:
            current_custom = facts.custom_status_id
        if not creating and current_custom != self.custom_status:
            self.custom_status_updated_at = at
        self.custom_status = current_custom
        self.status = facts.status

        if facts.assignee_id is not None and (creating or facts.assignee_id != self.assignee):
            self.assignee_stations += 1
            self.initially_assigned_at = self.initially_assigned_at or at
            self.assigned_at = at
        if facts.group_id is not None and (creating or facts.group_id != self.group):
            self.group_stations += 1
        if author is not None:
            if author in (self.assignee, facts.assignee_id):
                self.assignee_updated_at = at
            if author == facts.requester_id:
                self.requester_updated_at = at
        self.assignee, self.group = facts.assignee_id, facts.group_id

        if not creating and self._measured() != before:
            self.updated_at = at

    def result(self) -> TicketMetricSet:
        if not self.started:
            raise ValueError("a ticket's history starts with its creation: it cannot be empty")

        def minutes(measured: tuple[timedelta, timedelta] | None) -> Minutes | None:
            return None if measured is None else _minutes(*measured)

        created = _known(self.created)
        return TicketMetricSet(
            ticket_id=self.ticket_id,
            created_at=created,
            updated_at=_known(self.updated_at),
            reply_time=minutes(self.reply_time),
            reply_time_seconds=(
                None
                if self.first_reply is None
                else (self.first_reply - created) // timedelta(seconds=1)
            ),
            first_resolution_time=minutes(self.first_resolution_time),
            full_resolution_time=minutes(self.full_resolution_time),
            agent_wait_time=self.agent_wait.minutes(),
            requester_wait_time=self.requester_wait.minutes(),
            on_hold_time=self.on_hold.minutes(),
            replies=self.replies,
            reopens=self.reopens,
            assignee_stations=self.assignee_stations,
            group_stations=self.group_stations,
            assignee_updated_at=self.assignee_updated_at,
            requester_updated_at=self.requester_updated_at,
            status_updated_at=_known(self.status_updated_at),
            custom_status_updated_at=_known(self.custom_status_updated_at),
            initially_assigned_at=self.initially_assigned_at,
            assigned_at=self.assigned_at,
            solved_at=self.last_resolution,
            latest_comment_added_at=self.latest_comment_added_at,
        )

    # -- carried state -------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything `load` needs to continue after the last save, as JSON values."""
        if not self.started:
            raise ValueError("nothing to carry before the ticket's creation")
        custom = self.custom_status
        return {
            "version": STATE_VERSION,
            "ticket": self.ticket_id,
            "agent_submitted": self.agent_submitted,
            "seen_comment": self.seen_comment,
            "status": self.status.value if self.status is not None else None,
            "custom_status": custom.value if isinstance(custom, StatusCategory) else custom,
            "assignee": self.assignee,
            "group": self.group,
            "times": [_dt(getattr(self, name)) for name in self._TIMES],
            "counts": [getattr(self, name) for name in self._COUNTS],
            "durations": [
                None if measured is None else [_us(measured[0]), _us(measured[1])]
                for measured in (
                    self.reply_time,
                    self.first_resolution_time,
                    self.full_resolution_time,
                )
            ],
            "periods": [span.dump() for span in self.periods],
        }

    @classmethod
    def load(cls, state: object) -> TicketMetricsReplay:
        if not isinstance(state, Mapping) or state.get("version") != STATE_VERSION:
            raise StateError("the state was written by another version of the metrics")
        replay = cls()
        try:
            replay.started = True
            replay.ticket_id = state["ticket"]
            replay.agent_submitted = bool(state["agent_submitted"])
            replay.seen_comment = bool(state["seen_comment"])
            status = state["status"]
            replay.status = StatusCategory(status) if status is not None else None
            custom = state["custom_status"]
            replay.custom_status = StatusCategory(custom) if isinstance(custom, str) else custom
            replay.assignee, replay.group = state["assignee"], state["group"]
            times = state["times"]
            if len(times) != len(cls._TIMES) or len(state["counts"]) != len(cls._COUNTS):
                raise ValueError("times or counts of another length")
            for name, value in zip(cls._TIMES, times, strict=True):
                setattr(replay, name, _dt_load(value))
            for name, value in zip(cls._COUNTS, state["counts"], strict=True):
                setattr(replay, name, int(value))
            replay.reply_time, replay.first_resolution_time, replay.full_resolution_time = (
                None if measured is None else (_td(measured[0]), _td(measured[1]))
                for measured in state["durations"]
            )
            for span, data in zip(replay.periods, state["periods"], strict=True):
                span.load(data)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise StateError(f"the state cannot be read: {error!r}") from error
        if replay.created is None or replay.updated_at is None:
            raise StateError("the state has no creation")
        return replay


def _known(value: datetime | None) -> datetime:
    """A time every started replay has (creation, last status change)."""
    if value is None:
        raise StateError("a time the metrics need is missing")
    return value


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt_load(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment


def _us(value: timedelta) -> int:
    return value // _MICROSECOND


def _td(value: int) -> timedelta:
    if not isinstance(value, int):
        raise TypeError("durations are whole microseconds")
    return value * _MICROSECOND


_MICROSECOND = timedelta(microseconds=1)
