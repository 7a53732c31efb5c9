"""Replay benchmark for the metric engine: many ticket histories, one process.

Builds 50 policies (3-6 conditions each, compiled by `policies.engine.conditions.compile_filter`)
with targets for all seven metrics at all four priorities, half of them in business hours on a
Mon-Fri 09:00-17:00 New York schedule. Then generates ticket histories (creation, replies,
status and priority changes, group moves that switch policy, solves and reopens) and evaluates
each history with `evaluate`. Only `evaluate` is timed, in CPU time (the figure that matters on
a shared machine) and in wall time; generating histories is not timed. With `group_slas`, each
history is also evaluated against 10 group SLA policies (one per group, half in business hours)
with `evaluate_group_ownership`, timed on its own right after the metrics of the same ticket,
so the rates with and without group SLAs come from the same histories under the same load.

    python -m tests.bench.replay            # 100,000 tickets, about 1,000,000 updates
    python -m tests.bench.replay --quick    # 2,000 tickets, about 20,000 updates
    python -m tests.bench.replay --group-slas
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from policies.engine.business_time import Schedule, WeeklyInterval
from policies.engine.conditions import compile_filter
from policies.engine.group_ownership import GroupPolicySpec, evaluate_group_ownership
from policies.engine.history import Comment, TicketUpdate
from policies.engine.metrics import EventType, evaluate
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Metric, Priority, Role, StatusCategory

GROUPS = range(1, 11)
BRANDS = range(1, 4)
FORMS = range(1, 5)
ORGANIZATIONS = range(1, 51)
VIAS = (0, 4, 5, 29, 48)
TYPES = ("question", "incident", "problem", "task")
TAGS = tuple(f"tag{i}" for i in range(20))
START = datetime(2024, 1, 1, tzinfo=UTC)
SCHEDULE_INTERVALS = [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]
# Base targets in minutes (urgent); lower priorities get multiples.
BASE_MINUTES = {
    Metric.FIRST_REPLY_TIME: 60,
    Metric.NEXT_REPLY_TIME: 120,
    Metric.PERIODIC_UPDATE_TIME: 480,
    Metric.PAUSABLE_UPDATE_TIME: 480,
    Metric.REQUESTER_WAIT_TIME: 1440,
    Metric.AGENT_WORK_TIME: 720,
    Metric.TOTAL_RESOLUTION_TIME: 2880,
}
PRIORITY_FACTOR = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 4, Priority.LOW: 8}


def _condition(rng: random.Random) -> dict[str, object]:
    """One condition; selective ones narrow the match, negative ones mostly hold."""
    kind = rng.randrange(8)
    if kind == 0:
        return {"field": "group_id", "operator": "is", "value": str(rng.choice(GROUPS))}
    if kind == 1:
        return {"field": "type", "operator": "is", "value": rng.choice(TYPES)}
    if kind == 2:
        return {"field": "current_tags", "operator": "includes", "value": rng.choice(TAGS)}
    if kind == 3:
        return {"field": "brand_id", "operator": "is_not", "value": rng.choice(BRANDS)}
    if kind == 4:
        return {"field": "via_id", "operator": "is_not", "value": rng.choice(VIAS)}
    if kind == 5:
        return {"field": "ticket_form_id", "operator": "is_not", "value": rng.choice(FORMS)}
    if kind == 6:
        return {"field": "current_tags", "operator": "not_includes", "value": rng.choice(TAGS)}
    return {"field": "organization_id", "operator": "is_not", "value": rng.choice(ORGANIZATIONS)}


def build_policies(rng: random.Random, count: int = 50) -> tuple[PolicySpec, ...]:
    """`count` policies with 3-6 conditions, targets for 7 metrics x 4 priorities."""
    policies = []
    for position in range(1, count + 1):
        size = rng.randint(3, 6)
        conditions = [_condition(rng) for _ in range(size)]
        split = rng.randint(max(1, size - 2), size)  # mostly `all`, a tail of `any`
        filter_ = {"all": conditions[:split], "any": conditions[split:]}
        scale = rng.choice((1, 1, 2, 3))
        business = position % 2 == 0
        targets = {
            (priority, metric): Target(minutes * factor * scale * 60, business)
            for metric, minutes in BASE_MINUTES.items()
            for priority, factor in PRIORITY_FACTOR.items()
        }
        settings = {"first_reply_time": {"activate_on_ticket_created_for_end_user": True}}
        policies.append(
            PolicySpec(
                id=position,
                title=f"Policy {position}",
                description=None,
                position=position,
                matches=compile_filter(filter_),
                targets=targets,
                metric_settings=settings if position % 5 == 0 else {},
            )
        )
    return tuple(policies)


def build_group_policies() -> tuple[GroupPolicySpec, ...]:
    """One group SLA policy per group: 4 hours of ownership for urgent tickets, longer for
    lower priorities, in business hours for the even groups."""
    return tuple(
        GroupPolicySpec(
            id=f"group-{group}",
            title=f"Group {group} holds its tickets",
            description=None,
            position=position,
            matches=compile_filter(
                {"all": [{"field": "group_id", "operator": "includes", "value": [group]}]}
            ),
            targets={
                priority: Target(4 * 3600 * factor, group % 2 == 0)
                for priority, factor in PRIORITY_FACTOR.items()
            },
        )
        for position, group in enumerate(GROUPS, start=1)
    )


def ticket_history(
    rng: random.Random, ticket_id: int, size: int, policies: tuple[PolicySpec, ...]
) -> tuple[list[TicketUpdate], datetime]:
    """A plausible conversation of `size` saves, and an evaluation instant after it."""
    requester, agents = 100_000 + ticket_id, (1, 2, 3, 4)
    at = START + timedelta(seconds=rng.randrange(365 * 86400))
    facts = TicketFacts(
        ticket_id=ticket_id,
        created_at=at,
        status=StatusCategory.NEW,
        priority=rng.choice((*Priority, None))
        if rng.random() < 0.1
        else rng.choice(tuple(Priority)),
        type=rng.choice(TYPES),
        brand_id=rng.choice(BRANDS),
        ticket_form_id=rng.choice(FORMS),
        group_id=rng.choice(GROUPS),
        organization_id=rng.choice(ORGANIZATIONS),
        requester_id=requester,
        submitter_id=requester,
        via_id=rng.choice(VIAS),
        tags=frozenset(rng.sample(TAGS, rng.randint(0, 3))),
    )
    user = Comment(requester, Role.END_USER, True)
    updates = [TicketUpdate(at, facts, user, policies)]
    for _ in range(size - 1):
        at += timedelta(seconds=rng.choice((0, 30, 300, 1800, 3600, 4 * 3600, 20 * 3600)))
        roll = rng.random()
        comment: Comment | None = None
        status = facts.status
        changes: dict[str, object] = {}
        if status in (StatusCategory.SOLVED, StatusCategory.CLOSED):
            comment, status = user, StatusCategory.OPEN  # the requester reopens
        elif roll < 0.40:
            comment = Comment(rng.choice(agents), Role.AGENT, True)
            status = rng.choice((StatusCategory.OPEN, StatusCategory.PENDING))
        elif roll < 0.65:
            comment, status = user, StatusCategory.OPEN
        elif roll < 0.75:
            comment = Comment(rng.choice(agents), Role.AGENT, False)
            status = StatusCategory.HOLD
        elif roll < 0.82:
            changes["priority"] = rng.choice(tuple(Priority))
        elif roll < 0.88:
            changes["group_id"] = rng.choice(GROUPS)
        elif roll < 0.91:
            changes["tags"] = frozenset(rng.sample(TAGS, rng.randint(0, 3)))
        elif roll < 0.97:
            comment = Comment(rng.choice(agents), Role.AGENT, True)
            status = StatusCategory.SOLVED
        # else: a re-evaluation (nothing changes)
        if status is not facts.status:
            changes["status"] = status
        if changes:
            facts = replace(facts, **changes)  # type: ignore[arg-type]
        updates.append(TicketUpdate(at, facts, comment, policies))
    return updates, at + timedelta(seconds=rng.randrange(3 * 86400))


def _sizes(rng: random.Random, tickets: int, events: int) -> Iterator[int]:
    """Updates per ticket, averaging events / tickets (at least one: the creation)."""
    mean = events / tickets
    for _ in range(tickets):
        yield max(1, round(rng.uniform(0.5 * mean, 1.5 * mean)))


def run(
    write: Callable[[str], object],
    tickets: int = 100_000,
    events: int = 1_000_000,
    seed: int = 1,
    *,
    business_hours: bool = True,
    group_slas: bool = False,
) -> dict[str, float | int]:
    """Replay `tickets` histories totalling about `events` updates; report the throughput."""
    rng = random.Random(seed)
    policies = build_policies(rng)
    group_policies = build_group_policies() if group_slas else ()
    schedule = Schedule("America/New_York", SCHEDULE_INTERVALS) if business_hours else None
    updates_done = emitted = breaches = matched = group_emitted = 0
    spent = cpu = group_cpu = 0.0
    started = time.perf_counter()
    for ticket_id, size in enumerate(_sizes(rng, tickets, events), start=1):
        history, now = ticket_history(rng, ticket_id, size, policies)
        clock, cpu_clock = time.perf_counter(), time.process_time()
        result = evaluate(history, schedule=schedule, now=now)
        spent += time.perf_counter() - clock
        cpu += time.process_time() - cpu_clock
        if group_policies:
            cpu_clock = time.process_time()
            group = evaluate_group_ownership(history, group_policies, schedule=schedule, now=now)
            group_cpu += time.process_time() - cpu_clock
            group_emitted += len(group.events)
        updates_done += len(history)
        emitted += len(result.events)
        breaches += sum(1 for e in result.events if e.type is EventType.BREACH)
        matched += result.policy is not None
        if ticket_id % max(1, tickets // 10) == 0:
            write(f"  {ticket_id:>7} tickets, {updates_done / cpu:,.0f} updates/s (CPU) so far")
    figures: dict[str, float | int] = {
        "tickets": tickets,
        "updates": updates_done,
        "metric_events": emitted,
        "breach_events": breaches,
        "tickets_with_policy": matched,
        "evaluate_cpu_seconds": round(cpu, 3),
        "evaluate_wall_seconds": round(spent, 3),
        "total_wall_seconds": round(time.perf_counter() - started, 3),
        "updates_per_second": round(updates_done / cpu),
        "updates_per_wall_second": round(updates_done / spent),
        "metric_events_per_second": round(emitted / cpu),
        "microseconds_per_update": round(cpu / updates_done * 1e6, 1),
    }
    write(
        f"{updates_done:,} updates of {tickets:,} tickets evaluated in {cpu:.2f} CPU s "
        f"({spent:.2f} wall s): {figures['updates_per_second']:,} updates/s "
        f"({figures['metric_events_per_second']:,} metric events/s emitted)"
    )
    if group_policies:
        figures["group_cpu_seconds"] = round(group_cpu, 3)
        figures["group_ownership_events"] = group_emitted
        figures["updates_per_second_with_group_slas"] = round(updates_done / (cpu + group_cpu))
        ratio = cpu / (cpu + group_cpu)
        figures["with_group_slas_ratio"] = round(ratio, 3)
        write(
            f"with 10 group SLA policies evaluated beside them: +{group_cpu:.2f} CPU s, "
            f"{figures['updates_per_second_with_group_slas']:,} updates/s "
            f"({ratio:.2f}x of {figures['updates_per_second']:,} without)"
        )
    return figures


def main(argv: list[str] | None = None) -> dict[str, float | int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=None, help="total updates (10 per ticket)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2,000 tickets")
    parser.add_argument("--calendar", action="store_true", help="no schedule: calendar time")
    parser.add_argument("--group-slas", action="store_true", help="with group SLA policies")
    args = parser.parse_args(argv)
    tickets = 2_000 if args.quick else args.tickets
    events = args.events if args.events is not None else tickets * 10
    figures = run(
        print,
        tickets,
        events,
        args.seed,
        business_hours=not args.calendar,
        group_slas=args.group_slas,
    )
    for key, value in figures.items():
        print(f"{key:>26}: {value:,}")
    return figures


if __name__ == "__main__":
    main()
