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

Departures: one schedule measures every interval (Zendesk keeps each multi-event period with the
schedule in force when it ended); there are no sharing agreements, so the "first private note on a
shared ticket" exception does not arise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    measure = _Measure(schedule)
    updates = [u for u in history if u.at <= now]
    first = updates[0]
    created = first.at
    agent_submitted = first.facts.submitter_role is not Role.END_USER

    requester_wait = _Periods(frozenset({_S.NEW, _S.OPEN, _S.HOLD}))
    agent_wait = _Periods(frozenset({_S.PENDING}))
    on_hold = _Periods(frozenset({_S.HOLD}))
    periods = (requester_wait, agent_wait, on_hold)

    status: StatusCategory | None = None
    custom_status: int | StatusCategory | None = None
    assignee: int | None = None
    group: int | None = None
    first_reply: datetime | None = None
    first_resolution: datetime | None = None
    last_resolution: datetime | None = None
    seen_comment = False
    replies = reopens = assignee_stations = group_stations = 0
    initially_assigned_at: datetime | None = None
    assigned_at: datetime | None = None
    assignee_updated_at: datetime | None = None
    requester_updated_at: datetime | None = None
    status_updated_at = created
    custom_status_updated_at = created
    latest_comment_added_at: datetime | None = None
    updated_at = created

    def state() -> tuple[object, ...]:
        return (
            first_reply,
            first_resolution,
            last_resolution,
            replies,
            reopens,
            assignee_stations,
            group_stations,
            initially_assigned_at,
            assigned_at,
            assignee_updated_at,
            requester_updated_at,
            status_updated_at,
            custom_status_updated_at,
            latest_comment_added_at,
            *(p.key() for p in periods),
        )

    for index, update in enumerate(updates):
        facts, at, comment = update.facts, update.at, update.comment
        before = state()
        creating = index == 0
        if updaters is not None:
            author = updaters[index]
        else:
            author = comment.author_id if comment is not None else None

        if comment is not None:
            latest_comment_added_at = at
            description = not seen_comment and agent_submitted and comment.public
            seen_comment = True
            if comment.public and comment.by_agent and not description:
                replies += 1
                if first_reply is None:
                    first_reply = at

        if creating or facts.status != status:
            if not creating:
                status_updated_at = at
            for span in periods:
                span.step(status, facts.status, at, measure)
            resolved = facts.status is _S.SOLVED or (
                facts.status is _S.CLOSED and status not in _DONE
            )
            if resolved:
                first_resolution = first_resolution or at
                last_resolution = at
            if status in _DONE and facts.status in _UNSOLVED:
                reopens += 1
        current_custom: int | StatusCategory = facts.status
        if facts.custom_status_id is not None:
            current_custom = facts.custom_status_id
        if not creating and current_custom != custom_status:
            custom_status_updated_at = at
        custom_status = current_custom
        status = facts.status

        if facts.assignee_id is not None and (creating or facts.assignee_id != assignee):
            assignee_stations += 1
            initially_assigned_at = initially_assigned_at or at
            assigned_at = at
        if facts.group_id is not None and (creating or facts.group_id != group):
            group_stations += 1
        if author is not None:
            if author in (assignee, facts.assignee_id):
                assignee_updated_at = at
            if author == facts.requester_id:
                requester_updated_at = at
        assignee, group = facts.assignee_id, facts.group_id

        if not creating and state() != before:
            updated_at = at

    def since_creation(end: datetime | None) -> Minutes | None:
        return None if end is None else _minutes(*measure(created, end))

    return TicketMetricSet(
        ticket_id=first.facts.ticket_id,
        created_at=created,
        updated_at=updated_at,
        reply_time=since_creation(first_reply),
        reply_time_seconds=(
            None if first_reply is None else (first_reply - created) // timedelta(seconds=1)
        ),
        first_resolution_time=since_creation(first_resolution),
        full_resolution_time=since_creation(last_resolution),
        agent_wait_time=agent_wait.minutes(),
        requester_wait_time=requester_wait.minutes(),
        on_hold_time=on_hold.minutes(),
        replies=replies,
        reopens=reopens,
        assignee_stations=assignee_stations,
        group_stations=group_stations,
        assignee_updated_at=assignee_updated_at,
        requester_updated_at=requester_updated_at,
        status_updated_at=status_updated_at,
        custom_status_updated_at=custom_status_updated_at,
        initially_assigned_at=initially_assigned_at,
        assigned_at=assigned_at,
        solved_at=last_resolution,
        latest_comment_added_at=latest_comment_added_at,
    )
