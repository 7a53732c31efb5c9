"""Group ownership time, the one metric of Zendesk's Group SLA policies (OLAs).

`evaluate_group_ownership` replays a ticket's history (the same `TicketUpdate`s the SLA metrics
read) against the group SLA policies and reports one instance per stretch of ownership by a
group, with the `group_ownership_time` ticket metric events. `GroupOwnershipReplay` does the
same in steps: feeding a history in parts gives what feeding it whole gives, and `dump` /
`GroupOwnershipReplay.load` carry it between saves as JSON values, so a save continues from the
last one instead of replaying the ticket's whole history (as `policies.engine.metrics.resume`).

Zendesk's rules, with their sources ((P) Zendesk's own text, (S) a secondary write-up, (I) our
inference where no text was found; spec tags refer to ../shared/zendesk-sla-spec.md):

* What is measured (P): "Ownership time measures the length of time the ticket is assigned to a
  group. It starts when a group is a[ssigned]" and a policy without a group condition "will
  begin measuring when a ticket is assigned to a group" -
  https://support.zendesk.com/hc/en-us/articles/5322445643802. A ticket created with a group is
  assigned from its creation.
* When it ends (P): targets read "the tier 1 group solves or reassigns the ticket to another
  group within 10 minutes" -
  https://developer.zendesk.com/api-reference/ticketing/business-rules/group_sla_policies/ ;
  (S) "from when a ticket is assigned to a group until it's either reassigned to another group
  or solved" - https://www.eesel.ai/blog/zendesk-group-sla-policies-for-teams . So a hand-off
  A -> B fulfils A's instance and starts one for B at the same update; B -> A starts a new
  instance for A from zero (ownership is "from assignment", not a running total per group).
* Reopen (S): "If the ticket gets reopened, a new ownership time clock starts for that group"
  (same eesel page). Solved and closed both end ownership; a reopen starts a new instance for
  the group the ticket has then.
* Assignee changes inside a group (I): the metric is about the group only, so they change
  nothing. Removing the group (group_id None) ends the instance like a hand-off (I).
* Pending and on-hold (I): no text found says that ownership time pauses; the definition above
  is the time "the ticket is assigned to a group", and an OLA is kept by solving or handing off,
  so by default no status pauses it (`NO_PAUSE`). The categories that pause it are a parameter
  (`paused_in`, e.g. `{PENDING, HOLD}` for a reading like agent work time); a custom status
  counts as its category, which each update's `facts.status` already is.
* Targets (P): one per priority, in seconds (`target_in_seconds`; `target` in minutes), in
  calendar or business hours - the Group SLA Policies API above. No priority, no target (I, as
  SLA policies: spec §2.3). First matching policy in position order wins, and "a single ticket
  can only have one SLA policy and one group SLA applied to it" (P, spec §2 item 2, H7): so this
  is evaluated beside, and independently of, the ticket's SLA policy.
* Business hours, schedule switches, late targets, target changes and configuration edits
  follow `policies.engine.metrics` exactly (its docstring): business time from an update on is
  measured by that update's schedule; a deadline already past when a target arrives is breached
  at that update, never back-dated (spec §2.7); a save that changes a breached instance's target
  re-breaches it at the update when the new deadline is past too, otherwise deletes its breach
  events; an `edit` update never undoes a recorded breach. Fulfilment at exactly `breach_at` is
  achieved.
* Events (P for names, (I) for their order and ids): metric `group_ownership_time`, types
  `activate`, `pause`, `fulfill`, `update_status`, `apply_group_sla`, `breach` -
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events/ ("apply_
  group_sla events, such as when a Group SLA policy is applied to a ticket or when an Group SLA
  policy or target is changed"). The `group_sla` payload is `{target (minutes), business_hours,
  policy {id (string), title, description}}` as in a recorded fixture
  (https://github.com/BCR-CX/libzapi, its ticket metric event client test) with
  `target_in_seconds` added as the newer `apply_sla` payload has it (I); `group_sla` is None
  when no group policy applies any more (I, as `apply_sla`). Instance ids count the ticket's
  ownership stretches 1, 2, 3... across groups (I, as next reply time's). No `measure` event is
  emitted: none was seen for this metric (I). Events at one instant come in update stages as in
  metrics.py: breaches due before the save, then fulfil and `update_status`, activations, pause
  or resume, `apply_group_sla`, breaches decided by the save; inside a stage by instance id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, TypedDict

from policies.engine.business_time import NoBusinessTime, Schedule
from policies.engine.history import SAME_SCHEDULE, TicketUpdate
from policies.engine.metrics import (
    _FILTERED,
    HistoryError,
    Stage,
    StateError,
    StatusPayload,
    _add,
    _dt,
    _dt_load,
    _schedule_dump,
    _schedule_load,
    _schedule_refs,
    _when,
)
from policies.engine.stretches import StoredStretches, Stretch, whole_seconds
from policies.engine.types import Target, TicketFacts
from policies.engine.vocabulary import Priority, StatusCategory

GROUP_OWNERSHIP_TIME: Final = "group_ownership_time"

NO_PAUSE: frozenset[StatusCategory] = frozenset()
_DONE = frozenset({StatusCategory.SOLVED, StatusCategory.CLOSED})


class GroupEventType(StrEnum):
    ACTIVATE = "activate"
    PAUSE = "pause"
    FULFILL = "fulfill"
    APPLY_GROUP_SLA = "apply_group_sla"
    BREACH = "breach"
    UPDATE_STATUS = "update_status"


class GroupPolicyRef(TypedDict):
    id: str
    title: str
    description: str | None


class GroupSlaPayload(TypedDict):
    target: int
    target_in_seconds: int
    business_hours: bool
    policy: GroupPolicyRef


@dataclass(frozen=True, slots=True)
class GroupPolicySpec:
    """A group SLA policy ready for evaluation: `matches` is its compiled filter, `targets`
    its group ownership time target per priority."""

    id: str
    title: str
    description: str | None
    position: int
    matches: Callable[[TicketFacts], bool]
    targets: Mapping[Priority, Target]

    def target(self, priority: Priority | None) -> Target | None:
        return None if priority is None else self.targets.get(priority)


@dataclass(frozen=True, slots=True)
class GroupMetricEvent:
    """One `group_ownership_time` ticket metric event (without the ids storage assigns)."""

    metric: ClassVar[str] = GROUP_OWNERSHIP_TIME
    instance_id: int
    type: GroupEventType
    time: datetime
    group_sla: GroupSlaPayload | None = None
    status: StatusPayload | None = None
    deleted: bool = False

    @property
    def sla(self) -> GroupSlaPayload | None:
        """The payload under the name the SLA metrics' events give it (one stored column)."""
        return self.group_sla


@dataclass(frozen=True, slots=True)
class GroupOwnership:
    """One stretch of ownership of the ticket by one group, as of `now`."""

    metric: ClassVar[str] = GROUP_OWNERSHIP_TIME
    group_id: int
    instance_id: int
    stage: Stage
    activated_at: datetime
    breach_at: datetime | None  # None while paused short of the target, or without a target
    fulfilled_at: datetime | None
    breached: bool
    breached_at: datetime | None
    target: Target | None
    policy_id: str | None
    elapsed_calendar_seconds: int
    elapsed_business_seconds: int
    paused_seconds: int
    ended_by: str  # why ownership ended ("" while the group still owns the ticket)


@dataclass(frozen=True, slots=True)
class GroupSla:
    """The group SLA state after the last update, as of `now`.

    `policy` is the group policy applied after the last update (None without a match or a
    priority); `next_breach_at` is the open instance's deadline while it runs unbreached.
    From a replay continued from a carried state, `instances` and `events` are those since the
    state and `retracted` the earlier breach events it deleted (instance id, time).
    """

    policy: GroupPolicySpec | None
    instances: tuple[GroupOwnership, ...]
    events: tuple[GroupMetricEvent, ...]
    next_breach_at: datetime | None
    retracted: tuple[tuple[int, datetime], ...] = ()


# The group policies in force at each update: one list for the whole history, or a function
# of the update's index in the history (0 is the creation) for policies edited over time.
GroupPolicies = Sequence[GroupPolicySpec] | Callable[[int], Sequence[GroupPolicySpec]]


def evaluate_group_ownership(
    updates: Sequence[TicketUpdate],
    group_policies: GroupPolicies,
    *,
    schedule: Schedule | None,
    now: datetime,
    paused_in: frozenset[StatusCategory] = NO_PAUSE,
) -> GroupSla:
    """Replay `updates` (creation first, chronological) and report group ownership at `now`.

    `schedule` measures business-hours targets (calendar time without one); updates may switch
    it. Raises `HistoryError` for histories that cannot be replayed.
    """
    if not updates:
        raise HistoryError("a history starts with the ticket's creation")
    replay = GroupOwnershipReplay(group_policies, schedule=schedule, paused_in=paused_in)
    replay.feed(updates)
    return replay.result(now)


# A staged event: time, instance id, sequence number, type, payloads.
_Staged = tuple[datetime, int, int, GroupEventType, GroupSlaPayload | None, StatusPayload | None]


@dataclass(slots=True)
class _Pause:
    start: datetime
    end: datetime | None = None


@dataclass(slots=True)
class _Instance:
    group_id: int
    instance_id: int
    activated_at: datetime
    run_start: datetime | None
    closed: list[Stretch]
    pauses: list[_Pause]
    # A carried state's closed stretches: measured again only when a deadline needs them
    # (`GroupOwnershipReplay._stretches`).
    stored: StoredStretches = field(default_factory=StoredStretches)
    used_calendar: int = 0  # totals over `stored` and `closed`
    used_business: int = 0
    fulfilled_at: datetime | None = None
    ended_by: str = ""
    target: Target | None = None
    policy: GroupPolicySpec | None = None
    deadline: datetime | None = None
    unreachable: bool = False
    breached_at: datetime | None = None
    breach_events: list[tuple[int, datetime]] = field(default_factory=list)  # (seq, time)
    paused_before: int = 0  # pauses a carried state counts as their total


class GroupOwnershipReplay:
    """Group ownership replayed one update at a time: `feed` histories in order, read `result`.

    `result` leaves the replay as it was, so a history may be fed in parts and read between.
    `dump` and `load` carry it between saves (see `load`).
    """

    def __init__(
        self,
        group_policies: GroupPolicies,
        *,
        schedule: Schedule | None,
        paused_in: frozenset[StatusCategory] = NO_PAUSE,
    ) -> None:
        if callable(group_policies):
            self._policies_at: Callable[[int], Sequence[GroupPolicySpec]] = group_policies
        else:
            fixed = group_policies
            self._policies_at = lambda _index: fixed
        self._paused_in = paused_in
        self._schedule = schedule
        self._instances: list[_Instance] = []
        self._current: _Instance | None = None
        self._events: list[_Staged] = []
        self._stage: list[_Staged] = []
        self._deleted: set[int] = set()
        self._count = 0
        self._started = 0  # instances started so far: the last instance id
        self._last_at: datetime | None = None
        # Continuing a carried state: events before `_base_seq` were emitted (and stored)
        # before; stored stretches name schedules by their place in `_stored_schedules`.
        self._base_seq = 0
        self._stored_snapshots: list[dict[str, Any] | None] = []
        self._stored_schedules: list[Schedule | None] = []
        self._last_policies: Sequence[GroupPolicySpec] | None = None
        self._last_facts: TicketFacts | None = None
        self._last_filtered: tuple[object, ...] | None = None
        self._targeted: tuple[object, object, object] = (None, None, None)
        self._matched: GroupPolicySpec | None = None
        self._applied: GroupPolicySpec | None = None
        self._priority: Priority | None = None

    # -- feeding -------------------------------------------------------------------------

    def feed(self, updates: Sequence[TicketUpdate]) -> None:
        """Apply `updates`, which continue the history fed so far (the first is the creation)."""
        for update in updates:
            index = self._count
            at = update.at
            if at.tzinfo is not UTC:
                if at.utcoffset() is None:
                    raise HistoryError(f"updates[{index}].at must be timezone-aware")
                at = at.astimezone(UTC)
            if self._last_at is not None and at < self._last_at:
                raise HistoryError(f"updates[{index}] is earlier than the update before it")
            self._apply(index, at, update)
            self._count += 1
            self._last_at = at

    def _apply(self, index: int, at: datetime, update: TicketUpdate) -> None:
        current = self._current
        if current is not None and current.deadline is not None and current.deadline < at:
            self._fire_due(at)
        if self._stage:
            self._flush()
        if update.schedule is not SAME_SCHEDULE and update.schedule is not self._schedule:
            self._switch_schedule(at, update.schedule)

        facts = update.facts
        policies = self._policies_at(index)
        # Filters cannot test the status or the priority: a save changing only those keeps
        # the match (as in metrics.py).
        if policies is not self._last_policies or facts is not self._last_facts:
            filtered = _FILTERED(facts)
            if policies is not self._last_policies or filtered != self._last_filtered:
                self._matched = next((p for p in policies if p.matches(facts)), None)
                self._last_policies = policies
            self._last_facts, self._last_filtered = facts, filtered

        done = facts.status in _DONE
        current = self._current
        if current is not None and (done or facts.group_id != current.group_id):
            if facts.group_id == current.group_id:
                why = f"ticket {facts.status.value}"
            elif facts.group_id is None:
                why = "group removed"
            else:
                why = f"reassigned to group {facts.group_id}"
            self._fulfil(current, at, why)
            if self._stage:
                self._flush()
        if self._current is None and facts.group_id is not None and not done:
            self._start(facts.group_id, at)
            if self._stage:
                self._flush()
        self._sync_status(at, facts.status)
        if self._stage:
            self._flush()

        self._priority = facts.priority
        self._applied = self._matched if facts.priority is not None else None
        again = self._apply_target(at, edit=update.edit)
        if self._stage:
            self._flush()
        self._fire_now(at, again)
        if self._stage:
            self._flush()

    # -- transitions ---------------------------------------------------------------------

    def _emit(
        self,
        instance: _Instance,
        type_: GroupEventType,
        at: datetime,
        group_sla: GroupSlaPayload | None = None,
        status: StatusPayload | None = None,
    ) -> int:
        seq = self._base_seq + len(self._events) + len(self._stage)
        self._stage.append((at, instance.instance_id, seq, type_, group_sla, status))
        return seq

    def _flush(self) -> None:
        if self._stage:
            self._stage.sort(key=lambda staged: staged[:3])
            self._events.extend(self._stage)
            self._stage = []

    def _start(self, group_id: int, at: datetime) -> None:
        self._started += 1
        instance = _Instance(group_id, self._started, at, at, [], [])
        self._instances.append(instance)
        self._current = instance
        self._emit(instance, GroupEventType.ACTIVATE, at)

    def _sync_status(self, at: datetime, status: StatusCategory) -> None:
        instance = self._current
        if instance is None:
            return
        runs = status not in self._paused_in
        if runs and instance.run_start is None:
            instance.run_start = at
            instance.pauses[-1].end = at
            self._refresh_deadline(instance)
            self._emit(instance, GroupEventType.ACTIVATE, at)
        elif not runs and instance.run_start is not None:
            self._close(instance, at)
            instance.pauses.append(_Pause(at))
            self._refresh_deadline(instance)
            self._emit(instance, GroupEventType.PAUSE, at)

    def _fulfil(self, instance: _Instance, at: datetime, why: str) -> None:
        if instance.run_start is not None:
            self._close(instance, at)
        elif instance.pauses and instance.pauses[-1].end is None:
            instance.pauses[-1].end = at
        instance.fulfilled_at = at
        instance.ended_by = why
        self._current = None
        self._emit(instance, GroupEventType.FULFILL, at)
        self._emit(
            instance,
            GroupEventType.UPDATE_STATUS,
            at,
            status=StatusPayload(
                calendar=instance.used_calendar // 60, business=instance.used_business // 60
            ),
        )

    def _close(self, instance: _Instance, at: datetime) -> None:
        start = instance.run_start
        assert start is not None
        stretch = Stretch(start, at, self._schedule)
        instance.closed.append(stretch)
        instance.used_calendar += stretch.calendar
        instance.used_business += stretch.business
        instance.run_start = None

    def _switch_schedule(self, at: datetime, schedule: Schedule | None) -> None:
        """Business time from `at` on is measured by `schedule`; the time before keeps the old
        schedule's measure."""
        instance = self._current
        if instance is not None:
            self._stretches(instance)  # stored stretches name the schedule in force by reference
        if instance is not None and instance.run_start is not None and instance.run_start < at:
            self._close(instance, at)
            instance.run_start = at
        self._schedule = schedule
        target = instance.target if instance is not None else None
        if instance is not None and target is not None and target.business_hours:
            self._refresh_deadline(instance)

    # -- targets and breaches ------------------------------------------------------------

    def _apply_target(self, at: datetime, *, edit: bool) -> list[_Instance]:
        """Give the open instance the applied policy's target; return it if it re-breaches."""
        instance = self._current
        if instance is None:
            return []
        policy = self._applied
        priority = self._priority
        last_instance, last_policy, last_priority = self._targeted
        if instance is last_instance and policy is last_policy and priority is last_priority:
            return []  # the same instance, policy and priority as the last update's
        self._targeted = (instance, policy, priority)
        target = policy.target(self._priority) if policy is not None else None
        owner = policy if target is not None else None
        owner_id = owner.id if owner is not None else None
        held_id = instance.policy.id if instance.policy is not None else None
        if target == instance.target and owner_id == held_id:
            return []
        instance.target, instance.policy = target, owner
        self._refresh_deadline(instance)
        payload = _payload(owner, target) if owner is not None and target is not None else None
        self._emit(instance, GroupEventType.APPLY_GROUP_SLA, at, group_sla=payload)
        if instance.breached_at is None or edit:
            return []
        if instance.deadline is not None and instance.deadline <= at:
            return [instance]
        self._deleted.update(seq for seq, _ in instance.breach_events)
        instance.breached_at = None
        return []

    def _due(self, limit: datetime, *, inclusive: bool) -> tuple[_Instance, datetime] | None:
        """The open instance and its deadline, if it is running unbreached and the deadline
        fell before `limit` (or at it)."""
        instance = self._current
        if instance is None or instance.run_start is None or instance.breached_at is not None:
            return None
        deadline = instance.deadline
        if deadline is None or deadline > limit or (deadline == limit and not inclusive):
            return None
        return instance, deadline

    def _fire_due(self, limit: datetime) -> None:
        """The open instance breaches at its deadline if that fell before `limit`."""
        due = self._due(limit, inclusive=False)
        if due is not None:
            self._breach(*due)

    def _fire_now(self, at: datetime, again: list[_Instance]) -> None:
        """Breaches decided by this update: never back-dated (spec §2.7)."""
        instance = self._current
        if (
            instance is not None
            and instance.breached_at is None
            and instance.deadline is not None
            and instance.deadline <= at
        ):
            self._breach(instance, at)
        for breached in again:
            self._record_breach(breached, at)

    def _breach(self, instance: _Instance, at: datetime) -> None:
        instance.breached_at = at
        self._record_breach(instance, at)

    def _record_breach(self, instance: _Instance, at: datetime) -> None:
        instance.breach_events.append((self._emit(instance, GroupEventType.BREACH, at), at))

    def _refresh_deadline(self, instance: _Instance) -> None:
        """Deadline measured from activation over the running stretches (pauses excluded):
        past if the target was exceeded in a closed stretch, None while paused short of it."""
        instance.deadline = None
        instance.unreachable = False
        target = instance.target
        if target is None:
            return
        business = target.business_hours
        remaining = target.seconds
        used = instance.used_business if business else instance.used_calendar
        try:
            if used > remaining:
                for stretch in self._stretches(instance):
                    length = stretch.business if business else stretch.calendar
                    if length > remaining:
                        instance.deadline = _add(
                            stretch.schedule if business else None, stretch.start, remaining
                        )
                        return
                    remaining -= length
                raise AssertionError("used time is the sum of the closed stretches")
            if instance.run_start is not None:
                instance.deadline = _add(
                    self._schedule if business else None, instance.run_start, remaining - used
                )
        except NoBusinessTime:
            instance.unreachable = True

    def _stretches(self, instance: _Instance) -> list[Stretch]:
        """The instance's closed stretches, measuring those a carried state stored first."""
        if instance.stored:
            # Stored stretches are read before any schedule switch: the one in force is theirs.
            try:
                stored = instance.stored.read(self._schedule, self._stored_schedules)
            except (IndexError, TypeError, ValueError) as error:
                raise StateError(f"the state's stretches cannot be read: {error!r}") from error
            instance.closed[:0] = stored
            instance.stored = StoredStretches()
        return instance.closed

    # -- carried state -------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything `load` needs to continue after the last update, as JSON values.

        Settled instances never change again (only the open one takes targets, pauses and
        breaches), so the state leaves them out and does not grow with the ticket's age; nor
        does it hold the policies, the schedule or `paused_in`: whoever continues names them.
        """
        assert not self._stage
        current = self._current
        # Stretches still as stored refer to the stored schedules by position: keep those first.
        stored = current is not None and bool(current.stored)
        schedules, schedule_ref = _schedule_refs(
            self._schedule, self._stored_snapshots if stored else []
        )

        state: dict[str, Any] = {
            "version": GROUP_STATE_VERSION,
            "updates": self._count,
            "last_at": _dt(self._last_at),
            "seq": self._base_seq + len(self._events),
            "started": self._started,
            "applied": self._applied.id if self._applied is not None else None,
        }
        if current is not None:
            state["open"] = self._instance_dump(current, schedule_ref)
        if schedules:
            state["schedules"] = schedules
        return state

    def _instance_dump(
        self, instance: _Instance, schedule_ref: Callable[[Schedule | None], int]
    ) -> dict[str, Any]:
        """The open instance as JSON values, leaving out those at their default."""

        target = instance.target
        data = {
            "group": instance.group_id,
            "instance": instance.instance_id,
            "activated": _dt(instance.activated_at),
            "run_start": _dt(instance.run_start),
            # Its lengths are measured again only if a deadline needs them.
            "closed": instance.stored.dump(instance.closed, schedule_ref),
            "used": [instance.used_calendar, instance.used_business],
            # Only the last pause can still change; the earlier ones count as their total.
            "paused_before": instance.paused_before
            + sum(whole_seconds(p.start, p.end) for p in instance.pauses[:-1] if p.end is not None),
            "pauses": [[_dt(p.start), _dt(p.end)] for p in instance.pauses[-1:]],
            "target": None if target is None else [target.seconds, target.business_hours],
            "policy": instance.policy.id if instance.policy is not None else None,
            "deadline": _dt(instance.deadline),
            "breached_at": _dt(instance.breached_at),
            # Breach events a save may still delete (those already deleted stay deleted).
            "breaches": [
                [seq, _dt(time)] for seq, time in instance.breach_events if seq not in self._deleted
            ],
        }
        return {
            key: value
            for key, value in data.items()
            if key not in _INSTANCE_DEFAULTS or value != _INSTANCE_DEFAULTS[key]
        }

    @classmethod
    def load(
        cls,
        state: Mapping[str, Any],
        group_policies: GroupPolicies,
        *,
        schedule: Schedule | None,
        paused_in: frozenset[StatusCategory] = NO_PAUSE,
    ) -> GroupOwnershipReplay:
        """A replay continuing from `state` (a `dump`), to be fed the updates after it.

        `group_policies`, `schedule` and `paused_in` are those in force after the state's last
        update (a function of the update's index counts indexes on from the whole history's).
        Fed the rest of the history, it reports what a whole replay reports of the instance
        open at the state and those started since, and the events since the state; settled
        instances and earlier events were reported (and stored) before, and `retracted` names
        the earlier breach events it deleted. Raises `StateError` for a state this version of
        the engine did not write, or a damaged one.
        """
        if not isinstance(state, Mapping) or state.get("version") != GROUP_STATE_VERSION:
            raise StateError("the state was written by another version of the engine")
        replay = cls(group_policies, schedule=schedule, paused_in=paused_in)
        try:
            count, started, base_seq = state["updates"], state["started"], state["seq"]
            if not all(isinstance(n, int) and n >= 0 for n in (count, started, base_seq)):
                raise ValueError("counters must be whole numbers")
            if count < 1:
                raise ValueError("a state follows at least the ticket's creation")
            replay._count, replay._started, replay._base_seq = count, started, base_seq
            replay._last_at = _when(state["last_at"])
            snapshots = state.get("schedules", [])
            replay._stored_snapshots = list(snapshots)
            replay._stored_schedules = [
                schedule if _schedule_dump(schedule) == snapshot else _schedule_load(snapshot)
                for snapshot in snapshots
            ]
            policies = replay._policies_at(count - 1)
            by_id = {policy.id: policy for policy in policies}
            applied_id = state["applied"]
            replay._applied = by_id.get(applied_id) if applied_id is not None else None
            if "open" in state:
                replay._current = _instance_load(state["open"], by_id, started)
                replay._instances.append(replay._current)
        except StateError:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise StateError(f"the state cannot be read: {error!r}") from error
        if applied_id is not None and replay._applied is None:
            raise StateError("the state's group policy is not among the policies given")
        return replay

    # -- result --------------------------------------------------------------------------

    def result(self, now: datetime) -> GroupSla:
        """The state at `now` (not earlier than the last update); the replay is unchanged."""
        if now.utcoffset() is None:
            raise HistoryError("now must be timezone-aware")
        now = now.astimezone(UTC)
        if self._last_at is None:
            raise HistoryError("a history starts with the ticket's creation")
        if now < self._last_at:
            raise HistoryError("an update is after now")
        events = list(self._events)
        breached_now: datetime | None = None
        current = self._current
        due = self._due(now, inclusive=True)
        if due is not None:
            instance, breached_now = due
            seq = self._base_seq + len(events)
            events.append(
                (breached_now, instance.instance_id, seq, GroupEventType.BREACH, None, None)
            )
        instances = tuple(
            self._report(instance, now, breached_now if instance is current else None)
            for instance in self._instances
        )
        upcoming = None
        if (
            current is not None
            and current.run_start is not None
            and current.breached_at is None
            and breached_now is None
        ):
            upcoming = current.deadline
        return GroupSla(
            policy=self._applied,
            instances=instances,
            events=_freeze_events(events, self._deleted),
            next_breach_at=upcoming,
            retracted=tuple(
                (instance.instance_id, time)
                for instance in self._instances
                for seq, time in instance.breach_events
                if seq < self._base_seq and seq in self._deleted
            ),
        )

    def _report(
        self, instance: _Instance, now: datetime, breached_now: datetime | None
    ) -> GroupOwnership:
        calendar, business = instance.used_calendar, instance.used_business
        if instance.run_start is not None:
            calendar += whole_seconds(instance.run_start, now)
            business += (
                whole_seconds(instance.run_start, now)
                if self._schedule is None
                else self._schedule.between(instance.run_start, now)
            )
        paused = instance.paused_before + sum(
            whole_seconds(pause.start, pause.end or now) for pause in instance.pauses
        )
        if instance.fulfilled_at is not None:
            stage = Stage.ACHIEVED
        elif instance.run_start is not None:
            stage = Stage.ACTIVE
        else:
            stage = Stage.PAUSED
        breached_at = instance.breached_at or breached_now
        return GroupOwnership(
            group_id=instance.group_id,
            instance_id=instance.instance_id,
            stage=stage,
            activated_at=instance.activated_at,
            breach_at=None if stage is Stage.PAUSED else instance.deadline,
            fulfilled_at=instance.fulfilled_at,
            breached=breached_at is not None,
            breached_at=breached_at,
            target=instance.target,
            policy_id=instance.policy.id if instance.policy is not None else None,
            elapsed_calendar_seconds=calendar,
            elapsed_business_seconds=business,
            paused_seconds=paused,
            ended_by=instance.ended_by,
        )


# Bump when the meaning of a state changes: an older state is then replayed in full instead.
GROUP_STATE_VERSION: Final = 2

# What an instance's state leaves out (a fresh instance's values), as JSON values.
_INSTANCE_DEFAULTS: dict[str, Any] = {
    "closed": [],
    "used": [0, 0],
    "paused_before": 0,
    "pauses": [],
    "target": None,
    "policy": None,
    "deadline": None,
    "breached_at": None,
    "breaches": [],
}


def _instance_load(
    data: Mapping[str, Any], policies: Mapping[str, GroupPolicySpec], started: int
) -> _Instance:
    data = {**_INSTANCE_DEFAULTS, **data}  # the defaults are only read, never changed
    group_id, instance_id = data["group"], data["instance"]
    if not isinstance(group_id, int) or not isinstance(instance_id, int):
        raise TypeError("the open instance's group and id must be numbers")
    if not 1 <= instance_id <= started:
        raise ValueError("the open instance's id is not among those started")
    instance = _Instance(
        group_id, instance_id, _when(data["activated"]), _dt_load(data["run_start"]), [], []
    )
    instance.stored = StoredStretches.load(data["closed"])
    instance.used_calendar, instance.used_business = (int(n) for n in data["used"])
    instance.paused_before = int(data["paused_before"])
    for start, end in data["pauses"]:
        instance.pauses.append(_Pause(_when(start), _dt_load(end)))
    if instance.run_start is None and not (instance.pauses and instance.pauses[-1].end is None):
        raise ValueError("a paused instance needs its open pause")
    if data["target"] is not None:
        seconds, business = data["target"]
        instance.target = Target(int(seconds), bool(business))
    policy_id = data["policy"]
    if policy_id is not None:
        # Only the owner's id is read from an instance's policy; it may have left the list.
        instance.policy = policies.get(policy_id) or GroupPolicySpec(
            str(policy_id), "", None, 0, lambda _facts: False, {}
        )
    instance.deadline = _dt_load(data["deadline"])
    instance.breached_at = _dt_load(data["breached_at"])
    instance.breach_events = [(int(seq), _when(time)) for seq, time in data["breaches"]]
    return instance


def _freeze_events(staged: list[_Staged], deleted: set[int]) -> tuple[GroupMetricEvent, ...]:
    """The staged events as `GroupMetricEvent`s, built by setting their slots directly (as
    metrics.py does: a frozen dataclass's generated `__init__` costs twice as much)."""
    new = object.__new__
    instance_, type__, time_, group_sla_, status_, deleted_ = _EVENT_SLOTS
    out = []
    for time, instance_id, seq, type_, group_sla, status in staged:
        event = new(GroupMetricEvent)
        instance_(event, instance_id)
        type__(event, type_)
        time_(event, time)
        group_sla_(event, group_sla)
        status_(event, status)
        deleted_(event, seq in deleted)
        out.append(event)
    return tuple(out)


_EVENT_SLOTS = tuple(GroupMetricEvent.__dict__[f.name].__set__ for f in fields(GroupMetricEvent))


def _payload(policy: GroupPolicySpec, target: Target) -> GroupSlaPayload:
    return GroupSlaPayload(
        target=-(-target.seconds // 60),
        target_in_seconds=target.seconds,
        business_hours=target.business_hours,
        policy=GroupPolicyRef(id=policy.id, title=policy.title, description=policy.description),
    )
