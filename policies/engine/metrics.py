"""The seven SLA metrics as state machines, and Zendesk's ticket metric events.

`evaluate` replays one ticket's history (spec §3) and returns every metric instance, the event
stream (spec §4.4) and an explanation. Metric clocks run from activation whatever the policy
(spec §2.8); each update re-matches the policy set and re-applies targets to the instances
still open, measured from their activation (spec §2.4, §2.7). Breaches are never back-dated:
a deadline that is already past when a target arrives is recorded as breached at that update.

Decisions on points the spec leaves open (each mirrors a spec §12 inference or says why):

* Deadline instant: fulfilment at exactly `breach_at` is achieved; a metric still unfulfilled
  after every update at `breach_at` is breached at `breach_at` (a metric is breached once it has
  "surpassed" its target, Z1). Updates at one instant are applied in the order given.
* Within one update the comment acts first, then the status, then targets (spec §2.1: the SLA
  system runs after the update). So a metric fulfilled by the same save that first gives the
  ticket a policy or priority never gets that target ("fulfilled before it was applied", Z1).
* `breach_at` is the deadline measured from activation, even when it is already past (§10.10);
  `breached_at` is when the breach was recorded (the update, for late targets, §2.7).
* A changed target on a breached instance: if the new deadline is past too, another breach
  event is recorded at the update (H5 "Newly applied SLA executes additional breach event");
  otherwise (later deadline, target or policy removed) its breach events become `deleted`
  and the instance is no longer breached (§12.14). That is what a save of the ticket does.
* A configuration edit (an update marked `edit`) acts from its moment on and never rewrites
  what happened: a recorded breach stays, with its time, whatever target the edit brings;
  a running target whose new deadline is already past is breached at the edit.
* A business-hours target on a schedule with no business time can never be reached: it gets
  `breach_at` None and the explanation says so (`NoBusinessTime` never escapes `evaluate`).
* No priority means no policy is applied (`TicketSla.policy` None, §2.3); the matched policy
  still decides the advanced activation settings, which do not depend on priority.
* Periodic and pausable update time share `periodic_update_time.activate_on_agent_internal_note`
  (§3.4 says pausable behaves like periodic); an agent's public comment creating the ticket
  starts them. Reply and update metrics stay closed after a solve; the next end-user comment
  starts a next reply instance (§12.4). Any end user's public comment starts next reply (§12.5).
* `update_status` minutes are whole minutes, rounded down; `apply_sla` `target` is minutes
  rounded up (§12.9). All output times are UTC; calendar time is real elapsed time (DST-safe).
* Each update may bring a new schedule; it measures business time from that update on, and
  time already run keeps the measure of the schedule it ran under. (Zendesk recomputes with
  the new schedule throughout, §12.17; slaweb keeps history as it happened.)
* Policy filters cannot test the status category or the priority (spec §1.6, §10.6), so a save
  changing only those (with the same policy set object) reuses the previous match.
* Reopening into pending or on-hold emits `pause` for the wait metrics that stay stopped.

Event order at one instant (§10.15): the breaches due before the save, then the save in stages -
`measure` (creation), fulfilments by the comment, activations, status effects (fulfil and
`update_status`, resume `activate`, `pause`), `apply_sla`, breaches recorded at the save. Inside
a stage: event metric name, then instance id, then emission order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypedDict

from policies.engine.business_time import (
    AddExplanation,
    Holiday,
    NoBusinessTime,
    Schedule,
    WeeklyInterval,
)
from policies.engine.history import SAME_SCHEDULE, Comment, TicketUpdate
from policies.engine.stretches import EPOCH, StoredStretches, Stretch, after_epoch, whole_seconds
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Metric, Priority, Role, StatusCategory

if TYPE_CHECKING:
    from policies.engine.group_ownership import GroupSla


class EventMetric(StrEnum):
    """Metric names in ticket metric events (spec §4.4): both reply metrics are `reply_time`."""

    AGENT_WORK_TIME = "agent_work_time"
    PAUSABLE_UPDATE_TIME = "pausable_update_time"
    PERIODIC_UPDATE_TIME = "periodic_update_time"
    REPLY_TIME = "reply_time"
    REQUESTER_WAIT_TIME = "requester_wait_time"
    RESOLUTION_TIME = "resolution_time"


class EventType(StrEnum):
    MEASURE = "measure"
    ACTIVATE = "activate"
    PAUSE = "pause"
    FULFILL = "fulfill"
    APPLY_SLA = "apply_sla"
    BREACH = "breach"
    UPDATE_STATUS = "update_status"


class Stage(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ACHIEVED = "achieved"


EVENT_METRIC: Mapping[Metric, EventMetric] = {
    Metric.AGENT_WORK_TIME: EventMetric.AGENT_WORK_TIME,
    Metric.FIRST_REPLY_TIME: EventMetric.REPLY_TIME,
    Metric.NEXT_REPLY_TIME: EventMetric.REPLY_TIME,
    Metric.PAUSABLE_UPDATE_TIME: EventMetric.PAUSABLE_UPDATE_TIME,
    Metric.PERIODIC_UPDATE_TIME: EventMetric.PERIODIC_UPDATE_TIME,
    Metric.REQUESTER_WAIT_TIME: EventMetric.REQUESTER_WAIT_TIME,
    Metric.TOTAL_RESOLUTION_TIME: EventMetric.RESOLUTION_TIME,
}

# Same-instant events are ordered by stage of the update, then by this rank (alphabetical
# event metric), then instance id: a fixed rule that readers of the stream can rely on.
_RANK: Mapping[EventMetric, int] = {m: i for i, m in enumerate(EventMetric)}

_S = StatusCategory
_UNSOLVED = frozenset({_S.NEW, _S.OPEN, _S.PENDING, _S.HOLD})
_DONE = frozenset({_S.SOLVED, _S.CLOSED})
# Statuses in which each metric's clock runs (spec §3 summary table, §12.2, §12.16).
_RUNS_IN: Mapping[Metric, frozenset[StatusCategory]] = {
    Metric.FIRST_REPLY_TIME: _UNSOLVED,
    Metric.NEXT_REPLY_TIME: _UNSOLVED,
    Metric.PERIODIC_UPDATE_TIME: _UNSOLVED,
    Metric.TOTAL_RESOLUTION_TIME: _UNSOLVED,
    Metric.PAUSABLE_UPDATE_TIME: frozenset({_S.NEW, _S.OPEN, _S.HOLD}),
    Metric.REQUESTER_WAIT_TIME: frozenset({_S.NEW, _S.OPEN, _S.HOLD}),
    Metric.AGENT_WORK_TIME: frozenset({_S.NEW, _S.OPEN}),
}


class HistoryError(ValueError):
    """The history cannot be replayed (empty, naive or out-of-order times, updates after now)."""


class PolicyRef(TypedDict):
    id: int
    title: str
    description: str | None


class SlaPayload(TypedDict):
    target: int
    target_in_seconds: int
    business_hours: bool
    policy: PolicyRef


class StatusPayload(TypedDict):
    calendar: int
    business: int


@dataclass(frozen=True, slots=True)
class MetricEvent:
    """One Zendesk ticket metric event (without the ids the storage layer assigns)."""

    metric: EventMetric
    instance_id: int
    type: EventType
    time: datetime
    sla: SlaPayload | None = None
    status: StatusPayload | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class MetricInstance:
    """One target instance. FRT is reply_time instance 1, next replies are 2, 3, ..."""

    metric: Metric
    instance_id: int
    stage: Stage
    activated_at: datetime
    breach_at: datetime | None
    fulfilled_at: datetime | None
    breached: bool
    breached_at: datetime | None
    target: Target | None
    policy_id: int | None
    elapsed_calendar_seconds: int
    elapsed_business_seconds: int
    paused_seconds: int


@dataclass(frozen=True, slots=True)
class TargetChange:
    """A target applied to (or removed from) an open instance: the `apply_sla` history."""

    at: datetime
    policy_id: int | None
    target: Target | None


@dataclass(frozen=True, slots=True)
class InstanceExplanation:
    metric: Metric
    instance_id: int
    activated_at: datetime
    activated_by: str
    pauses: tuple[tuple[datetime, datetime | None], ...]
    target: Target | None
    policy_id: int | None
    deadline: datetime | None  # from activation under the current target, even if past
    target_changes: tuple[TargetChange, ...]
    schedule_spans: AddExplanation | None  # how a running business-hours deadline was reached
    outcome: str


@dataclass(frozen=True, slots=True)
class PolicyStep:
    """Which policy the ticket had after update `update_index` (recorded when it changed)."""

    update_index: int
    at: datetime
    matched_policy_id: int | None
    applied_policy_id: int | None
    priority: Priority | None
    note: str


@dataclass(frozen=True, slots=True)
class Explanation:
    policy_steps: tuple[PolicyStep, ...]
    instances: tuple[InstanceExplanation, ...]


@dataclass(frozen=True, slots=True)
class TicketSla:
    """The SLA state after the last update, as of `now`.

    `policy` is the policy applied after the last update (None without a match or a priority);
    `next_breach_at` is the soonest deadline among running targets not yet breached.
    """

    policy: PolicySpec | None
    instances: tuple[MetricInstance, ...]
    events: tuple[MetricEvent, ...]
    next_breach_at: datetime | None
    _explainer: Callable[[], Explanation] = field(
        default=lambda: Explanation((), ()), repr=False, compare=False
    )
    # Carried evaluation (see `resume`): `events` are only those since `continued_from`, the
    # last update of the state it continued, and `retracted` the earlier breach events it
    # deleted (event metric, instance id, time). `state` is what the next evaluation continues
    # from, when it was asked for.
    continued_from: datetime | None = None
    retracted: tuple[tuple[EventMetric, int, datetime], ...] = ()
    state: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # Group ownership under the group SLA policies, evaluated beside (never instead of) the
    # metrics: set by whoever evaluates both (None where group SLAs are not in use).
    group: GroupSla | None = None

    @property
    def explanation(self) -> Explanation:
        """Why each instance is where it is, and which policy applied when (built lazily)."""
        return self._explainer()


def evaluate(
    updates: Sequence[TicketUpdate],
    *,
    schedule: Schedule | None,
    now: datetime,
    carry: bool = False,
) -> TicketSla:
    """Replay `updates` (creation first, chronological) and report the SLA state at `now`.

    `schedule` measures business-hours targets; without one they run on calendar time
    (spec §5.2). With `carry`, the result's `state` lets `resume` continue from the last
    update. Raises `HistoryError` for histories that cannot be replayed.
    """
    if not updates:
        raise HistoryError("a history starts with the ticket's creation")
    now_utc = _utc(now, "now")
    replay = _Replay(schedule)
    replay.apply_all(updates, now_utc)
    return replay.finish(now_utc, replay.dump() if carry else None)


def resume(
    state: Mapping[str, Any],
    updates: Sequence[TicketUpdate],
    *,
    policies: Sequence[PolicySpec],
    schedule: Schedule | None,
    now: datetime,
) -> TicketSla:
    """Continue an evaluation from `state` (a `TicketSla.state`) with the `updates` after it,
    and report the SLA state at `now`: the same instances as replaying the whole history, and
    the events since the state's last update. `policies` and `schedule` are those in force
    after that last update (the engine keeps no policy or schedule in the state: the caller
    names them). The result carries the next state. Raises `StateError` for a state this
    version of the engine did not write, `HistoryError` for updates that cannot follow it.
    """
    now_utc = _utc(now, "now")
    replay = _Replay.load(state, policies, schedule)
    continued_from = replay.last_at
    replay.apply_all(updates, now_utc)
    return replay.finish(now_utc, replay.dump(), continued_from)


class StateError(ValueError):
    """A carried state this engine cannot continue (written by another version, or damaged)."""


def carried_update(state: Mapping[str, Any]) -> tuple[datetime, TicketFacts]:
    """When the state's last update was, and the ticket's fields after it: what an update
    that changes no field (a configuration edit) continues from."""
    try:
        at = _when(state["last_at"])
        facts = _facts_load(state["facts"])
    except (KeyError, TypeError, ValueError) as error:
        raise StateError(f"the state cannot be read: {error!r}") from error
    if facts is None:
        raise StateError("the state has no ticket fields")
    return at, facts


def remaining_display(breach_at: datetime, now: datetime) -> tuple[str, int]:
    """The badge value for `breach_at` (spec §4.1, §4.2, H4): unit key and signed count.

    Minutes up to 90 minutes, hours up to 36.5 hours, days beyond; each rounded to the
    nearest unit with the exact half rounding down (towards zero); negative once past.
    """
    delta = breach_at - now
    seconds = delta.days * 86400 + delta.seconds
    magnitude = abs(seconds)
    if magnitude <= 90 * 60:
        unit, size = "minutes", 60
    elif magnitude <= 36 * 3600 + 1800:
        unit, size = "hours", 3600
    else:
        unit, size = "days", 86400
    whole, rest = divmod(magnitude, size)
    value = whole + (1 if 2 * rest > size else 0)
    return unit, -value if seconds < 0 else value


# --- internals ---------------------------------------------------------------------------


def _utc(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise HistoryError(f"{name} must be timezone-aware")
    # Calendar arithmetic on zoned datetimes is wall-clock arithmetic; UTC keeps it exact.
    return value.astimezone(UTC)


def _flag(settings: Mapping[str, Mapping[str, bool]], metric: str, name: str) -> bool:
    group = settings.get(metric)
    return bool(group and group.get(name))


_NO_SETTINGS: Mapping[str, Mapping[str, bool]] = {}

# Policy filters cannot test the status category or the priority (spec §1.6, §10.6: the
# definitions have neither), so a save changing only those keeps the previous match.
_FILTERED: Callable[[TicketFacts], tuple[object, ...]] = attrgetter(
    *(f.name for f in fields(TicketFacts) if f.name not in ("status", "priority"))
)


# A staged event: time, metric rank, instance id, sequence number, then the payload. Sorting
# these tuples gives the stream order; the unique sequence number keeps emission order on ties
# and identifies breach events that are deleted later.
_Staged = tuple[
    datetime, int, int, int, EventMetric, EventType, SlaPayload | None, StatusPayload | None
]


class _Pause:
    __slots__ = ("start", "end")

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.end: datetime | None = None


class _Clock:
    """One metric instance while the history is replayed."""

    __slots__ = (
        "metric",
        "event_metric",
        "instance_id",
        "activated_at",
        "activated_by",
        "runs_in",
        "closed",
        "stored",
        "used_calendar",
        "used_business",
        "rank",
        "run_start",
        "fulfilled_at",
        "fulfilled_by",
        "pauses",
        "paused_before",
        "target",
        "policy",
        "deadline",
        "crossed",
        "unreachable",
        "breached_at",
        "breach_events",
    )

    def __init__(self, metric: Metric, instance_id: int, at: datetime, why: str) -> None:
        self.metric = metric
        self.event_metric = EVENT_METRIC[metric]
        self.instance_id = instance_id
        self.activated_at = at
        self.activated_by = why
        self.runs_in = _RUNS_IN[metric]
        self.closed: list[Stretch] = []
        # Closed stretches as a carried state holds them, read only when a target falls
        # inside them: a save then does not pay for every pause in the ticket's past.
        self.stored = StoredStretches()
        self.used_calendar = 0  # totals over `stored` and `closed`
        self.used_business = 0
        self.rank = _RANK[self.event_metric]
        self.run_start: datetime | None = at
        self.fulfilled_at: datetime | None = None
        self.fulfilled_by = ""
        self.pauses: list[_Pause] = []
        self.paused_before = 0  # seconds of pauses a carried state summed up (only the last kept)
        self.target: Target | None = None
        self.policy: PolicySpec | None = None
        self.deadline: datetime | None = None
        # The target `deadline` was found for inside a closed stretch: later stretches
        # cannot move it, so pauses and resumes after a breach need not look again.
        self.crossed: Target | None = None
        self.unreachable = False
        self.breached_at: datetime | None = None
        self.breach_events: list[int] = []


def _clock_key(clock: _Clock) -> tuple[int, int]:
    return clock.rank, clock.instance_id


class _Replay:
    """Mutable replay state for one ticket; `apply` once per update, then `finish`."""

    def __init__(self, schedule: Schedule | None) -> None:
        self.schedule = schedule
        self.clocks: list[_Clock] = []
        self.open: list[_Clock] = []
        self.reply: _Clock | None = None
        self.periodic: _Clock | None = None
        self.pausable: _Clock | None = None
        self.resolution: list[_Clock] = []  # RWT, AWT, TRT: reopen continues them
        self.next_reply_id = 2
        self.next_periodic_id = 1
        self.next_pausable_id = 1
        self.events: list[_Staged] = []
        self.stage: list[_Staged] = []
        self.deleted: set[int] = set()
        self.fresh: list[_Clock] = []  # opened or reopened since targets were last applied
        self.targets_for: tuple[PolicySpec | None, Priority | None] | None = None
        self.steps: list[PolicyStep] = []
        self.last_policies: Sequence[PolicySpec] | None = None
        self.last_facts: TicketFacts | None = None
        self.last_filtered: tuple[object, ...] = ()
        self.matched: PolicySpec | None = None
        self.applied: PolicySpec | None = None
        self.priority: Priority | None = None
        self.status: StatusCategory | None = None
        self.step_key: tuple[PolicySpec | None, PolicySpec | None, Priority | None] | None = None
        # Continuing a carried state: events before `base_seq` were emitted (and stored)
        # before; `breach_times` dates every breach event a clock may still delete.
        self.base_seq = 0
        self.updates = 0
        self.last_at: datetime | None = None
        self.breach_times: dict[int, datetime] = {}
        # The schedules a carried state's stored stretches refer to, as given and as read.
        self.stored_snapshots: list[dict[str, Any] | None] = []
        self.stored_schedules: list[Schedule | None] = []

    # -- events --------------------------------------------------------------------------

    def emit(
        self,
        clock: _Clock,
        type_: EventType,
        at: datetime,
        sla: SlaPayload | None = None,
        status: StatusPayload | None = None,
    ) -> int:
        seq = self.base_seq + len(self.events) + len(self.stage)
        self.stage.append(
            (at, clock.rank, clock.instance_id, seq, clock.event_metric, type_, sla, status)
        )
        if type_ is EventType.BREACH:
            self.breach_times[seq] = at
        return seq

    def flush(self) -> None:
        """End a stage of an update: its events go out by time, metric rank, instance id."""
        if self.stage:
            self.stage.sort()
            self.events.extend(self.stage)
            self.stage = []

    # -- one update ----------------------------------------------------------------------

    def apply_all(self, updates: Sequence[TicketUpdate], now: datetime) -> None:
        previous = self.last_at
        for offset, update in enumerate(updates):
            index = self.updates + offset
            if update.at.utcoffset() is None:
                raise HistoryError(f"updates[{index}].at must be timezone-aware")
            at = update.at.astimezone(UTC)
            if previous is not None and at < previous:
                raise HistoryError(f"updates[{index}] is earlier than the update before it")
            if at > now:
                raise HistoryError(f"updates[{index}] is after now")
            previous = at
            self.apply(index, at, update)
        self.updates += len(updates)
        self.last_at = previous

    def apply(self, index: int, at: datetime, update: TicketUpdate) -> None:
        self.fire_due(at, inclusive=False)
        if self.stage:
            self.flush()
        if update.schedule is not SAME_SCHEDULE and update.schedule is not self.schedule:
            self.switch_schedule(at, update.schedule)

        facts = update.facts
        if update.policies is not self.last_policies or (
            facts is not self.last_facts and _FILTERED(facts) != self.last_filtered
        ):
            self.matched = next((p for p in update.policies if p.matches(facts)), None)
            self.last_policies = update.policies
            self.last_filtered = _FILTERED(facts)
        self.last_facts = facts
        matched = self.matched
        settings = matched.metric_settings if matched is not None else _NO_SETTINGS
        done = facts.status in _DONE

        comment = update.comment
        if index == 0:
            self.create(at, facts, comment, settings, done)
        elif comment is not None:
            self.comment_fulfils(at, facts, comment, settings)
            self.flush()
            if not done:
                self.comment_activates(at, facts, comment, settings)
        if self.stage:
            self.flush()
        self.sync_status(at, facts.status)
        if self.stage:
            self.flush()
        self.priority = facts.priority
        self.applied = matched if facts.priority is not None else None
        again = self.apply_targets(at, edit=update.edit)
        if self.stage:
            self.flush()
        self.fire_now(at, again)
        if self.stage:
            self.flush()
        self.record_step(index, at)

    def create(
        self,
        at: datetime,
        facts: TicketFacts,
        comment: Comment | None,
        settings: Mapping[str, Mapping[str, bool]],
        done: bool,
    ) -> None:
        for rank, name in enumerate(EventMetric):
            self.stage.append((at, rank, 0, rank, name, EventType.MEASURE, None, None))
        self.flush()
        for metric in (
            Metric.REQUESTER_WAIT_TIME,
            Metric.AGENT_WORK_TIME,
            Metric.TOTAL_RESOLUTION_TIME,
        ):
            self.resolution.append(self.start(metric, 1, at, "ticket created"))
        if comment is None:
            return
        why = _first_reply_activation(facts, comment, settings)
        if why is not None:
            self.reply = self.start(Metric.FIRST_REPLY_TIME, 1, at, why)
        if not done:
            self.start_updates(at, comment, settings)

    def start(self, metric: Metric, instance_id: int, at: datetime, why: str) -> _Clock:
        clock = _Clock(metric, instance_id, at, why)
        self.clocks.append(clock)
        self.open.append(clock)
        self.fresh.append(clock)
        self.emit(clock, EventType.ACTIVATE, at)
        return clock

    def comment_fulfils(
        self,
        at: datetime,
        facts: TicketFacts,
        comment: Comment,
        settings: Mapping[str, Mapping[str, bool]],
    ) -> None:
        reply = self.reply
        if reply is not None and _reply_fulfils(reply.metric, facts, comment, settings):
            how = "public agent reply" if comment.public else "agent internal note"
            self.fulfil(reply, at, how)
            self.reply = None
        why = _update_trigger(comment, settings)
        if why is not None:
            for clock in (self.periodic, self.pausable):
                if clock is not None:
                    self.fulfil(clock, at, why)
            self.periodic = self.pausable = None

    def comment_activates(
        self,
        at: datetime,
        facts: TicketFacts,
        comment: Comment,
        settings: Mapping[str, Mapping[str, bool]],
    ) -> None:
        if self.reply is None:
            why = _next_reply_activation(facts, comment, settings)
            if why is not None:
                self.reply = self.start(Metric.NEXT_REPLY_TIME, self.next_reply_id, at, why)
                self.next_reply_id += 1
        self.start_updates(at, comment, settings)

    def start_updates(
        self, at: datetime, comment: Comment, settings: Mapping[str, Mapping[str, bool]]
    ) -> None:
        """Periodic and pausable update time: each agent update opens the next instance."""
        why = _update_trigger(comment, settings)
        if why is None:
            return
        self.periodic = self.start(Metric.PERIODIC_UPDATE_TIME, self.next_periodic_id, at, why)
        self.pausable = self.start(Metric.PAUSABLE_UPDATE_TIME, self.next_pausable_id, at, why)
        self.next_periodic_id += 1
        self.next_pausable_id += 1

    def sync_status(self, at: datetime, status: StatusCategory) -> None:
        """Pause, resume, fulfil or reopen instances for the status after this save."""
        changed = status is not self.status
        self.status = status
        if status in _DONE:
            why = f"ticket {status.value}"
            for clock in list(self.open):
                self.fulfil(clock, at, why)
            self.reply = self.periodic = self.pausable = None
            return
        if changed:
            for clock in self.resolution:
                if clock.fulfilled_at is not None:
                    self.reopen(clock, at, status)
        # Unchanged status: only instances opened by this save can be in the wrong state.
        for clock in self.open if changed else self.fresh:
            if clock.fulfilled_at is not None:
                continue
            runs = status in clock.runs_in
            if runs and clock.run_start is None:
                self.resume(clock, at)
            elif not runs and clock.run_start is not None:
                self.pause(clock, at)

    # -- clock transitions ---------------------------------------------------------------

    def pause(self, clock: _Clock, at: datetime) -> None:
        self.close(clock, at)
        clock.pauses.append(_Pause(at))
        self.refresh_deadline(clock)
        self.emit(clock, EventType.PAUSE, at)

    def resume(self, clock: _Clock, at: datetime) -> None:
        clock.run_start = at
        clock.pauses[-1].end = at
        self.refresh_deadline(clock)
        self.emit(clock, EventType.ACTIVATE, at)

    def reopen(self, clock: _Clock, at: datetime, status: StatusCategory) -> None:
        """Requester/agent wait and resolution time continue where they left off (Z1)."""
        assert clock.fulfilled_at is not None
        clock.pauses.append(_Pause(clock.fulfilled_at))
        clock.fulfilled_at = None
        clock.fulfilled_by = ""
        self.open.append(clock)
        self.fresh.append(clock)
        if status in clock.runs_in:
            self.resume(clock, at)
        else:
            self.refresh_deadline(clock)  # the deadline of the solved stretch no longer holds
            self.emit(clock, EventType.PAUSE, at)

    def fulfil(self, clock: _Clock, at: datetime, why: str) -> None:
        if clock.run_start is not None:
            self.close(clock, at)
        elif clock.pauses and clock.pauses[-1].end is None:
            clock.pauses[-1].end = at
        clock.fulfilled_at = at
        clock.fulfilled_by = why
        self.open.remove(clock)
        calendar, business = clock.used_calendar, clock.used_business
        self.emit(clock, EventType.FULFILL, at)
        self.emit(
            clock,
            EventType.UPDATE_STATUS,
            at,
            status=StatusPayload(calendar=calendar // 60, business=business // 60),
        )

    # -- targets and breaches ------------------------------------------------------------

    def switch_schedule(self, at: datetime, schedule: Schedule | None) -> None:
        """Business time from `at` on is measured by `schedule`: running stretches are cut at
        `at` so the time before keeps the old schedule's measure."""
        for clock in self.clocks:
            self.segments(clock)  # stored stretches name the schedule in force by reference
        for clock in self.open:
            if clock.run_start is not None and clock.run_start < at:
                self.close(clock, at)
                clock.run_start = at
        self.schedule = schedule
        for clock in self.open:
            if clock.target is not None and clock.target.business_hours:
                self.refresh_deadline(clock)

    def apply_targets(self, at: datetime, *, edit: bool = False) -> list[_Clock]:
        """Give every open instance the applied policy's target; return re-breached ones.

        A configuration edit leaves a recorded breach as it is: what happened stays happened.
        """
        policy, priority = self.applied, self.priority
        again: list[_Clock] = []
        key = self.targets_for
        if key is not None and key[0] is policy and key[1] is priority:
            # Same policy object and priority: only instances opened since can change.
            if not self.fresh:
                return again
            todo = [c for c in self.fresh if c.fulfilled_at is None]
        else:
            todo = self.open
            self.targets_for = (policy, priority)
        self.fresh = []
        if len(todo) > 1:
            todo = sorted(todo, key=_clock_key)
        for clock in todo:
            target = policy.target(priority, clock.metric) if policy is not None else None
            owner = policy if target is not None else None
            if target == clock.target and (
                (owner.id if owner else None) == (clock.policy.id if clock.policy else None)
            ):
                continue
            clock.target, clock.policy = target, owner
            self.refresh_deadline(clock)
            sla = _sla_payload(owner, target) if owner is not None and target is not None else None
            self.emit(clock, EventType.APPLY_SLA, at, sla=sla)
            if clock.breached_at is None or edit:
                continue
            if clock.deadline is not None and clock.deadline <= at:
                again.append(clock)
            else:
                self.deleted.update(clock.breach_events)
                clock.breached_at = None
        return again

    def fire_due(self, limit: datetime, *, inclusive: bool) -> None:
        """Breaches of running instances whose deadline fell before `limit` (or at it)."""
        for clock in self.open:
            deadline = clock.deadline
            if (
                deadline is not None
                and clock.breached_at is None
                and clock.run_start is not None
                and (deadline < limit or (inclusive and deadline == limit))
            ):
                clock.breached_at = deadline
                clock.breach_events.append(self.emit(clock, EventType.BREACH, deadline))

    def fire_now(self, at: datetime, again: list[_Clock]) -> None:
        """Breaches decided by this update: never back-dated (spec §2.7)."""
        for clock in self.open:
            deadline = clock.deadline
            if clock.breached_at is None and deadline is not None and deadline <= at:
                clock.breached_at = at
                clock.breach_events.append(self.emit(clock, EventType.BREACH, at))
        for clock in again:
            clock.breach_events.append(self.emit(clock, EventType.BREACH, at))

    def refresh_deadline(self, clock: _Clock) -> None:
        """Deadline measured from activation over the running stretches (pauses excluded).

        Past if the target was already exceeded in a closed stretch; None while paused
        short of the target, without a target, or when the schedule has no business time.
        """
        crossing, crossed = clock.deadline, clock.crossed
        clock.deadline = clock.crossed = None
        clock.unreachable = False
        target = clock.target
        if target is None:
            return
        business = target.business_hours
        remaining = target.seconds
        try:
            used = clock.used_business if business else clock.used_calendar
            if used > remaining:
                if crossed == target:
                    clock.deadline, clock.crossed = crossing, crossed
                    return
                # The target was reached inside a closed stretch: find where.
                for segment in self.segments(clock):
                    length = segment.business if business else segment.calendar
                    if length > remaining:
                        clock.deadline = _add(
                            segment.schedule if business else None, segment.start, remaining
                        )
                        clock.crossed = target
                        return
                    remaining -= length
                raise AssertionError("a clock's used time is the sum of its closed stretches")
            if clock.run_start is not None:
                clock.deadline = _add(
                    self.schedule if business else None, clock.run_start, remaining - used
                )
        except NoBusinessTime:
            clock.deadline = None
            clock.unreachable = True

    def close(self, clock: _Clock, at: datetime) -> None:
        """End the running stretch at `at`, adding it to the clock's totals."""
        start = clock.run_start
        assert start is not None
        stretch = Stretch(start, at, self.schedule)
        clock.closed.append(stretch)
        clock.used_calendar += stretch.calendar
        clock.used_business += stretch.business
        clock.run_start = None

    def segments(self, clock: _Clock) -> list[Stretch]:
        """The clock's closed stretches, reading those a carried state stored first."""
        if clock.stored:
            # Stored stretches are read before any schedule switch: the one in force is theirs.
            try:
                stored = clock.stored.read(self.schedule, self.stored_schedules)
            except (IndexError, TypeError, ValueError) as error:
                raise StateError(f"the state's stretches cannot be read: {error!r}") from error
            clock.closed[:0] = stored
            clock.stored = StoredStretches()
        return clock.closed

    def record_step(self, index: int, at: datetime) -> None:
        key = (self.matched, self.applied, self.priority)
        last = self.step_key
        if last is not None and key[0] is last[0] and key[1] is last[1] and key[2] is last[2]:
            return
        self.step_key = key
        matched, applied = self.matched, self.applied
        if matched is None:
            note = "no policy matches"
        elif applied is None:
            note = f"policy {matched.id} {matched.title!r} matches; no priority, so no targets"
        else:
            note = f"policy {applied.id} {applied.title!r} applied at priority {self.priority}"
        self.steps.append(
            PolicyStep(
                index,
                at,
                matched.id if matched else None,
                applied.id if applied else None,
                self.priority,
                note,
            )
        )

    # -- result --------------------------------------------------------------------------

    def finish(
        self,
        now: datetime,
        state: dict[str, Any] | None = None,
        continued_from: datetime | None = None,
    ) -> TicketSla:
        self.fire_due(now, inclusive=True)
        self.flush()
        clocks = sorted(self.clocks, key=_clock_key)
        instances = tuple(self.instance(c, now) for c in clocks)
        upcoming = [
            c.deadline
            for c in self.open
            if c.run_start is not None and c.deadline is not None and c.breached_at is None
        ]
        events = _freeze_events(self.events, self.deleted)

        @cache
        def explanation() -> Explanation:
            # Built on first use: most callers never read it, and explain_add walks schedules.
            if continued_from is not None:
                raise StateError("a carried evaluation has no history to explain: replay it")
            return Explanation(
                tuple(self.steps),
                tuple(self.explain(c, i) for c, i in zip(clocks, instances, strict=True)),
            )

        owners = {seq: clock for clock in self.clocks for seq in clock.breach_events}
        retracted = tuple(
            (owners[seq].event_metric, owners[seq].instance_id, self.breach_times[seq])
            for seq in sorted(self.deleted)
            if seq < self.base_seq
        )
        return TicketSla(
            policy=self.applied,
            instances=instances,
            events=events,
            next_breach_at=min(upcoming) if upcoming else None,
            _explainer=explanation,
            continued_from=continued_from,
            retracted=retracted,
            state=state,
        )

    def instance(self, clock: _Clock, now: datetime) -> MetricInstance:
        calendar, business = clock.used_calendar, clock.used_business
        if clock.run_start is not None:
            calendar += whole_seconds(clock.run_start, now)
            business += (
                whole_seconds(clock.run_start, now)
                if self.schedule is None
                else self.schedule.between(clock.run_start, now)
            )
        paused = clock.paused_before + sum(
            whole_seconds(p.start, p.end or now) for p in clock.pauses
        )
        if clock.fulfilled_at is not None:
            stage = Stage.ACHIEVED
        elif clock.run_start is not None:
            stage = Stage.ACTIVE
        else:
            stage = Stage.PAUSED
        return MetricInstance(
            metric=clock.metric,
            instance_id=clock.instance_id,
            stage=stage,
            activated_at=clock.activated_at,
            breach_at=None if stage is Stage.PAUSED else clock.deadline,
            fulfilled_at=clock.fulfilled_at,
            breached=clock.breached_at is not None,
            breached_at=clock.breached_at,
            target=clock.target,
            policy_id=clock.policy.id if clock.policy else None,
            elapsed_calendar_seconds=calendar,
            elapsed_business_seconds=business,
            paused_seconds=paused,
        )

    def target_changes(self, clock: _Clock) -> tuple[TargetChange, ...]:
        """The instance's `apply_sla` history, read back from its events."""
        changes = []
        for time, rank, instance_id, _, _, type_, sla, _ in self.events:
            if type_ is EventType.APPLY_SLA and (rank, instance_id) == _clock_key(clock):
                if sla is None:
                    changes.append(TargetChange(time, None, None))
                else:
                    target = Target(sla["target_in_seconds"], sla["business_hours"])
                    changes.append(TargetChange(time, sla["policy"]["id"], target))
        return tuple(changes)

    def explain(self, clock: _Clock, instance: MetricInstance) -> InstanceExplanation:
        spans: AddExplanation | None = None
        target = clock.target
        if (
            target is not None
            and target.business_hours
            and self.schedule is not None
            and clock.run_start is not None
            and not clock.unreachable
        ):
            left = target.seconds - clock.used_business
            if left > 0:
                spans = self.schedule.explain_add(clock.run_start, left)
        return InstanceExplanation(
            metric=clock.metric,
            instance_id=clock.instance_id,
            activated_at=clock.activated_at,
            activated_by=clock.activated_by,
            pauses=tuple((p.start, p.end) for p in clock.pauses),
            target=target,
            policy_id=instance.policy_id,
            deadline=clock.deadline,
            target_changes=self.target_changes(clock),
            schedule_spans=spans,
            outcome=_outcome(clock, instance),
        )

    # -- carried state -------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything `load` needs to continue after the last update, as JSON values.

        Taken between updates (before `finish`): no staged events, no fresh instances. The
        policies and the schedule in force are not in it; whoever continues names them.
        """
        assert not self.stage
        assert not self.fresh
        # Settled reply and update instances never change again (only open instances take
        # targets, and only resolution-type ones reopen): the state leaves them out, so it
        # does not grow with the ticket's age. A continued evaluation reports the rest.
        kept = {id(clock) for clock in (*self.open, *self.resolution)}
        clocks = [clock for clock in self.clocks if id(clock) in kept]
        index = {id(clock): n for n, clock in enumerate(clocks)}
        # Stretches still as stored refer to the stored schedules by position: keep those first.
        stored = any(clock.stored for clock in clocks)
        schedules, schedule_ref = _schedule_refs(
            self.schedule, self.stored_snapshots if stored else []
        )

        def ref(clock: _Clock | None) -> int | None:
            return None if clock is None else index[id(clock)]

        breach_seqs = {seq for clock in clocks for seq in clock.breach_events}
        return {
            "version": STATE_VERSION,
            "updates": self.updates,
            "last_at": _dt(self.last_at),
            "seq": self.base_seq + len(self.events),
            "facts": _facts_dump(self.last_facts),
            "matched": self.matched.id if self.matched is not None else None,
            "priority": self.priority.value if self.priority is not None else None,
            "status": self.status.value if self.status is not None else None,
            "next_ids": [self.next_reply_id, self.next_periodic_id, self.next_pausable_id],
            "clocks": [_clock_dump(clock, schedule_ref) for clock in clocks],
            "open": [index[id(clock)] for clock in self.open],
            "reply": ref(self.reply),
            "periodic": ref(self.periodic),
            "pausable": ref(self.pausable),
            "resolution": [index[id(clock)] for clock in self.resolution],
            "breach_times": [[seq, _dt(self.breach_times[seq])] for seq in sorted(breach_seqs)],
            "schedules": schedules,
        }

    @classmethod
    def load(
        cls,
        state: Mapping[str, Any],
        policies: Sequence[PolicySpec],
        schedule: Schedule | None,
    ) -> _Replay:
        if not isinstance(state, Mapping) or state.get("version") != STATE_VERSION:
            raise StateError("the state was written by another version of the engine")
        replay = cls(schedule)
        try:
            by_id = {policy.id: policy for policy in policies}
            schedules = [
                schedule if _schedule_dump(schedule) == snapshot else _schedule_load(snapshot)
                for snapshot in state["schedules"]
            ]
            replay.stored_snapshots = list(state["schedules"])
            replay.stored_schedules = schedules
            replay.clocks = [_clock_load(data, by_id) for data in state["clocks"]]

            def clock(ref: int | None) -> _Clock | None:
                return None if ref is None else replay.clocks[ref]

            replay.open = [replay.clocks[n] for n in state["open"]]
            replay.reply = clock(state["reply"])
            replay.periodic = clock(state["periodic"])
            replay.pausable = clock(state["pausable"])
            replay.resolution = [replay.clocks[n] for n in state["resolution"]]
            replay.next_reply_id, replay.next_periodic_id, replay.next_pausable_id = state[
                "next_ids"
            ]
            replay.base_seq = state["seq"]
            replay.updates = state["updates"]
            replay.last_at = _dt_load(state["last_at"])
            replay.breach_times = {seq: _when(at) for seq, at in state["breach_times"]}
            facts = _facts_load(state["facts"])
            replay.last_facts = facts
            replay.last_filtered = _FILTERED(facts) if facts is not None else ()
            replay.last_policies = policies
            replay.matched = by_id.get(state["matched"]) if state["matched"] is not None else None
            replay.priority = Priority(state["priority"]) if state["priority"] else None
            replay.status = StatusCategory(state["status"]) if state["status"] else None
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise StateError(f"the state cannot be read: {error!r}") from error
        if state["matched"] is not None and replay.matched is None:
            raise StateError("the state's policy is not among the policies given")
        replay.applied = replay.matched if replay.priority is not None else None
        replay.targets_for = (replay.applied, replay.priority)
        replay.step_key = (replay.matched, replay.applied, replay.priority)
        return replay


# Bump when the meaning of a state changes: an older state is then replayed in full instead.
STATE_VERSION = 4


def _add(schedule: Schedule | None, start: datetime, seconds: int) -> datetime:
    """`seconds` of running time from `start`: business seconds by `schedule`, else calendar."""
    if schedule is None:
        return start + timedelta(seconds=seconds)
    return schedule.add(start, seconds)


def _dt(value: datetime | None) -> int | str | None:
    """Whole UTC seconds as an epoch number (the common case, and compact), else ISO 8601."""
    if value is None:
        return None
    if value.microsecond == 0 and value.utcoffset() == timedelta(0):
        return whole_seconds(EPOCH, value)
    return value.isoformat()


def _dt_load(value: int | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int):
        return after_epoch(value)
    return datetime.fromisoformat(value)


def _when(value: int | str) -> datetime:
    moment = _dt_load(value)
    if moment is None:
        raise StateError("a time the state needs is missing")
    return moment


def _schedule_dump(schedule: Schedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "time_zone": schedule.time_zone,
        "intervals": [[i.start_minute, i.end_minute] for i in schedule.intervals],
        "holidays": [
            [
                h.start_date.isoformat(),
                h.end_date.isoformat(),
                h.start_time.isoformat() if h.start_time else None,
                h.end_time.isoformat() if h.end_time else None,
            ]
            for h in schedule.holidays
        ],
    }


def _schedule_refs(
    in_force: Schedule | None, stored: list[dict[str, Any] | None]
) -> tuple[list[dict[str, Any] | None], Callable[[Schedule | None], int]]:
    """A state's schedules (starting with the `stored` ones, which stretches kept as stored
    name by position) and the function giving a schedule's place among them: -1 for the
    one in force (or the same hours as another object), else its index, added when new."""
    schedules = list(stored)
    in_force_snapshot = _schedule_dump(in_force)

    def schedule_ref(schedule: Schedule | None) -> int:
        if schedule is in_force:
            return -1
        snapshot = _schedule_dump(schedule)
        if snapshot == in_force_snapshot:
            return -1
        if snapshot not in schedules:
            schedules.append(snapshot)
        return schedules.index(snapshot)

    return schedules, schedule_ref


def _schedule_load(snapshot: dict[str, Any] | None) -> Schedule | None:
    if snapshot is None:
        return None
    return Schedule(
        snapshot["time_zone"],
        [WeeklyInterval(start, end) for start, end in snapshot["intervals"]],
        [
            Holiday(
                date.fromisoformat(start),
                date.fromisoformat(end),
                dt.time.fromisoformat(start_time) if start_time else None,
                dt.time.fromisoformat(end_time) if end_time else None,
            )
            for start, end, start_time, end_time in snapshot["holidays"]
        ],
    )


def _fact_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Mapping):
        return [[key, item_value] for key, item_value in value.items()]
    return value


_FACT_NAMES = tuple(item.name for item in fields(TicketFacts))
# What the facts' state leaves out: a blank ticket's values, as JSON values.
_FACT_DEFAULTS: dict[str, Any] = {
    name: _fact_json(getattr(TicketFacts(), name)) for name in _FACT_NAMES
}


def _facts_dump(facts: TicketFacts | None) -> dict[str, Any] | None:
    """The facts as JSON values, leaving out those at their default (most are empty)."""
    if facts is None:
        return None
    data: dict[str, Any] = {}
    for name in _FACT_NAMES:
        value = _fact_json(getattr(facts, name))
        if value != _FACT_DEFAULTS[name]:
            data[name] = value
    return data


def _pairs_load(pairs: Any) -> dict[Any, Any]:
    return {key: value for key, value in pairs}


# How the facts a state names are read back; the others are JSON values as they are. A fact
# the state leaves out takes its default.
_FACT_LOADERS: dict[str, Callable[[Any], Any]] = {
    "created_at": _dt_load,
    "status": StatusCategory,
    "priority": lambda value: Priority(value) if value else None,
    "requester_role": Role,
    "submitter_role": Role,
    "tags": frozenset,
    "custom_fields": _pairs_load,
    "requester_fields": _pairs_load,
    "organization_fields": _pairs_load,
}


def _facts_load(data: dict[str, Any] | None) -> TicketFacts | None:
    if data is None:
        return None
    values = dict(data)
    for name, load in _FACT_LOADERS.items():
        if name in values:
            values[name] = load(values[name])
    return TicketFacts(**values)


def _clock_dump(clock: _Clock, schedule_ref: Callable[[Schedule | None], int]) -> dict[str, Any]:
    """The clock as JSON values, leaving out those at a fresh clock's value (`run_start`:
    at None)."""
    data: dict[str, Any] = {
        "metric": clock.metric.value,
        "instance": clock.instance_id,
        "activated": [_dt(clock.activated_at), clock.activated_by],
    }
    # Its lengths are measured again only if a target ever needs them.
    closed = clock.stored.dump(clock.closed, schedule_ref)
    if closed:
        data["closed"] = closed
    if clock.used_calendar or clock.used_business:
        data["used"] = [clock.used_calendar, clock.used_business]
    if clock.run_start is not None:
        data["run_start"] = _dt(clock.run_start)
    if clock.fulfilled_at is not None or clock.fulfilled_by != "":
        data["fulfilled"] = [_dt(clock.fulfilled_at), clock.fulfilled_by]
    # Only the last pause can still change; the earlier ones count as their total.
    paused_before = clock.paused_before
    for pause in clock.pauses[:-1]:
        if pause.end is not None:
            paused_before += whole_seconds(pause.start, pause.end)
    if paused_before != 0:
        data["paused_before"] = paused_before
    if clock.pauses:
        last = clock.pauses[-1]
        data["pauses"] = [[_dt(last.start), _dt(last.end)]]
    if clock.target is not None:
        data["target"] = [clock.target.seconds, clock.target.business_hours]
    if clock.policy is not None and clock.policy.id is not None:
        data["policy"] = clock.policy.id
    if clock.deadline is not None:
        data["deadline"] = _dt(clock.deadline)
    if clock.crossed is not None:
        data["crossed"] = [clock.crossed.seconds, clock.crossed.business_hours]
    if clock.unreachable:
        data["unreachable"] = clock.unreachable
    if clock.breached_at is not None:
        data["breached_at"] = _dt(clock.breached_at)
    if clock.breach_events:
        data["breach_events"] = list(clock.breach_events)  # a copy: `finish` may still add
    return data


def _clock_load(data: dict[str, Any], policies: Mapping[int, PolicySpec]) -> _Clock:
    """A clock from `_clock_dump`'s values: a value left out keeps its default, which is a
    fresh clock's own except for `run_start`."""
    activated, why = data["activated"]
    clock = _Clock(Metric(data["metric"]), data["instance"], _when(activated), why)
    clock.run_start = _dt_load(data.get("run_start"))
    if "closed" in data:
        clock.stored = StoredStretches.load(data["closed"])  # read by `_Replay.segments`
    if "used" in data:
        clock.used_calendar, clock.used_business = data["used"]
    if "fulfilled" in data:
        fulfilled_at, clock.fulfilled_by = data["fulfilled"]
        clock.fulfilled_at = _dt_load(fulfilled_at)
    if "paused_before" in data:
        clock.paused_before = data["paused_before"]
    for start, end in data.get("pauses", ()):
        pause = _Pause(_when(start))
        pause.end = _dt_load(end)
        clock.pauses.append(pause)
    if data.get("target") is not None:
        clock.target = Target(*data["target"])
    policy_id = data.get("policy")
    if policy_id is not None:
        # Only the owner's id is read from an instance's policy; it may have left the list.
        clock.policy = policies.get(policy_id) or PolicySpec(
            policy_id, "", None, 0, lambda _facts: False, {}
        )
    clock.deadline = _dt_load(data.get("deadline"))
    if data.get("crossed") is not None:
        clock.crossed = Target(*data["crossed"])
    if "unreachable" in data:
        clock.unreachable = data["unreachable"]
    clock.breached_at = _dt_load(data.get("breached_at"))
    if "breach_events" in data:
        clock.breach_events = list(data["breach_events"])
    return clock


def _freeze_events(staged: list[_Staged], deleted: set[int]) -> tuple[MetricEvent, ...]:
    """The staged events as `MetricEvent`s, built by setting their slots directly.

    Events are most of the output (about six per update) and a frozen dataclass's generated
    `__init__` costs twice as much as filling the slots; the objects are identical.
    """
    new = object.__new__
    metric_, instance_, type__, time_, sla_, status_, deleted_ = _EVENT_SLOTS
    out = []
    for time, _, instance_id, seq, metric, type_, sla, status in staged:
        event = new(MetricEvent)
        metric_(event, metric)
        instance_(event, instance_id)
        type__(event, type_)
        time_(event, time)
        sla_(event, sla)
        status_(event, status)
        deleted_(event, seq in deleted)
        out.append(event)
    return tuple(out)


_EVENT_SLOTS = tuple(MetricEvent.__dict__[f.name].__set__ for f in fields(MetricEvent))


def _sla_payload(policy: PolicySpec, target: Target) -> SlaPayload:
    return SlaPayload(
        target=-(-target.seconds // 60),
        target_in_seconds=target.seconds,
        business_hours=target.business_hours,
        policy=PolicyRef(id=policy.id, title=policy.title, description=policy.description),
    )


def _first_reply_activation(
    facts: TicketFacts, comment: Comment, settings: Mapping[str, Mapping[str, bool]]
) -> str | None:
    """Why the creating comment starts first reply time, or None (spec §3.1, H3, §1.4)."""
    for_end_user = facts.requester_role is Role.END_USER
    if not comment.by_agent:
        return "end user created the ticket with a public comment" if comment.public else None
    if comment.light_agent:
        if (
            comment.via_email_forward
            and for_end_user
            and _flag(
                settings,
                "first_reply_time",
                "activate_on_light_agent_on_email_forward_ticket_from_end_user",
            )
        ):
            return "light agent forwarded an end user's email"
        return None
    if comment.via_email_forward and for_end_user:
        return "agent forwarded an end user's email"
    if facts.requester_id == comment.author_id:
        if _flag(settings, "first_reply_time", "activate_on_agent_created_ticket_for_self"):
            return "agent created a ticket for themselves"
        return None
    if not for_end_user:
        return None
    if comment.public and _flag(
        settings, "first_reply_time", "activate_on_ticket_created_for_end_user"
    ):
        return "agent created the ticket for an end user with a public comment"
    if not comment.public and _flag(
        settings,
        "first_reply_time",
        "activate_on_agent_ticket_created_for_end_user_with_internal_note",
    ):
        return "agent created the ticket for an end user with an internal note"
    return None


def _next_reply_activation(
    facts: TicketFacts, comment: Comment, settings: Mapping[str, Mapping[str, bool]]
) -> str | None:
    """Why a comment starts next reply time when no reply is owed (spec §3.2, §12.5)."""
    if not comment.by_agent:
        if comment.public:
            return "end user public comment"
        if _flag(settings, "next_reply_time", "activate_on_end_user_added_internal_note"):
            return "end user comment added as internal note"
        return None
    if comment.author_id != facts.requester_id:
        return None
    if (
        comment.light_agent
        and not comment.public
        and _flag(settings, "next_reply_time", "activate_on_light_agent_internal_note")
    ):
        return "light agent requester internal note"
    if _flag(
        settings,
        "next_reply_time",
        "activate_on_agent_requested_ticket_with_public_comment_or_internal_note",
    ):
        return "agent requester comment"
    return None


def _update_trigger(comment: Comment, settings: Mapping[str, Mapping[str, bool]]) -> str | None:
    """Why a comment closes and reopens periodic/pausable update time (spec §3.3, §3.4)."""
    if not comment.by_agent:
        return None
    if comment.public:
        return "agent public comment"
    if _flag(settings, "periodic_update_time", "activate_on_agent_internal_note"):
        return "agent internal note"
    return None


def _reply_fulfils(
    metric: Metric, facts: TicketFacts, comment: Comment, settings: Mapping[str, Mapping[str, bool]]
) -> bool:
    """A reply by an agent other than the requester; internal notes only with a setting."""
    if not comment.by_agent or comment.author_id == facts.requester_id:
        return False
    if comment.public:
        return True
    if metric is Metric.FIRST_REPLY_TIME:
        return _flag(settings, "first_reply_time", "fulfill_on_agent_internal_note")
    return _flag(
        settings,
        "next_reply_time",
        "fulfill_on_non_requesting_agent_internal_note_after_activation",
    )


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h {minutes:02d}m"
    return f"{text} {secs:02d}s" if secs else text


def _outcome(clock: _Clock, instance: MetricInstance) -> str:
    """One sentence saying why the instance is where it is."""
    parts: list[str] = []
    if instance.fulfilled_at is not None:
        parts.append(
            f"fulfilled at {instance.fulfilled_at.isoformat()} by {clock.fulfilled_by} after "
            f"{_duration(instance.elapsed_calendar_seconds)} of running time"
        )
    elif instance.stage is Stage.PAUSED:
        since = clock.pauses[-1].start if clock.pauses else clock.activated_at
        parts.append(f"paused since {since.isoformat()}")
    else:
        parts.append(f"running, {_duration(instance.elapsed_calendar_seconds)} so far")
    if clock.target is None:
        parts.append(
            "no target (no policy, no priority, or no target for this metric "
            "while the instance was open)"
        )
    elif clock.unreachable:
        parts.append(
            "business-hours target can never be reached: the schedule has no business time"
        )
    elif clock.breached_at is not None:
        deadline = clock.deadline.isoformat() if clock.deadline else "none while paused"
        late = "" if clock.breached_at == clock.deadline else " (not back-dated)"
        parts.append(
            f"breached at {clock.breached_at.isoformat()}{late}; deadline from activation "
            f"{deadline}"
        )
    elif instance.fulfilled_at is not None:
        parts.append("within target")
    elif clock.deadline is not None:
        parts.append(f"breaches at {clock.deadline.isoformat()} unless fulfilled or paused")
    return "; ".join(parts)
