"""The shadow check: when it says an earlier filter covers a later one, every ticket the later
one matches is matched by the earlier one. Checked by rule and against the engine's own
matching over a pool of tickets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from policies.engine.conditions import compile_filter
from policies.engine.shadowing import covers, first_covering, implies
from policies.engine.types import TicketFacts

INCIDENT = {"field": "type", "operator": "is", "value": "incident"}
QUESTION = {"field": "type", "operator": "is", "value": "question"}
GROUP_4 = {"field": "group_id", "operator": "is", "value": 4}
GROUP_4_TEXT = {"field": "group_id", "operator": "is", "value": "4"}
NOT_GROUP_4 = {"field": "group_id", "operator": "is_not", "value": 4}
VIP = {"field": "current_tags", "operator": "includes", "value": "vip"}
VIP_OR_GOLD = {"field": "current_tags", "operator": "includes", "value": "gold vip"}
NO_SPAM = {"field": "current_tags", "operator": "not_includes", "value": "spam"}
NO_SPAM_OR_TEST = {"field": "current_tags", "operator": "not_includes", "value": "test spam"}


def f(all: list[dict[str, Any]] | None = None, any: list[dict[str, Any]] | None = None) -> Any:
    return {"all": all or [], "any": any or []}


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (f(), f()),
        (f(), f([INCIDENT], [GROUP_4])),
        (f([INCIDENT]), f([INCIDENT])),
        (f([INCIDENT]), f([INCIDENT, GROUP_4])),
        (f([GROUP_4]), f([GROUP_4_TEXT])),  # ids as text or number name the same record
        (f([INCIDENT], [GROUP_4, VIP]), f([INCIDENT, VIP])),
        (f(any=[GROUP_4, VIP]), f(any=[VIP])),
        (f(any=[GROUP_4, VIP]), f(any=[VIP, GROUP_4])),
        (f([VIP_OR_GOLD]), f([VIP])),  # has vip, so has vip or gold
        (f([NO_SPAM]), f([NO_SPAM_OR_TEST])),  # has neither, so has no spam
    ],
)
def test_covered(earlier: Any, later: Any) -> None:
    assert covers(earlier, later)


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (f([INCIDENT]), f()),
        (f([INCIDENT]), f([QUESTION])),
        (f([INCIDENT, GROUP_4]), f([INCIDENT])),
        (f([GROUP_4]), f([NOT_GROUP_4])),
        (f([INCIDENT], [GROUP_4]), f([INCIDENT])),
        (f(any=[GROUP_4]), f(any=[GROUP_4, VIP])),
        (f([VIP]), f([VIP_OR_GOLD])),
        (f([NO_SPAM_OR_TEST]), f([NO_SPAM])),
        (f([INCIDENT]), f(any=[INCIDENT, QUESTION])),
        # The same instant written two ways is not recognised: silence, never a false alarm.
        (
            f([{"field": "exact_created_at", "operator": "less_than", "value": "2024-01-01"}]),
            f([{"field": "exact_created_at", "operator": "less_than", "value": "2024-02-01"}]),
        ),
    ],
)
def test_not_covered(earlier: Any, later: Any) -> None:
    assert not covers(earlier, later)


def test_implies_needs_the_same_field_and_operator() -> None:
    assert implies(GROUP_4, GROUP_4_TEXT)
    assert not implies(GROUP_4, NOT_GROUP_4)
    assert not implies(GROUP_4, {"field": "brand_id", "operator": "is", "value": 4})
    assert not implies({"field": "group_id", "operator": "is", "value": True}, GROUP_4)


def test_first_covering_finds_the_first_in_position_order() -> None:
    later = f([INCIDENT, VIP])
    assert first_covering(later, [f([QUESTION]), f([VIP]), f()]) == 1
    assert first_covering(later, [f([QUESTION]), f([GROUP_4])]) is None
    assert first_covering(later, []) is None


CONDITIONS = [INCIDENT, QUESTION, GROUP_4, NOT_GROUP_4, VIP, VIP_OR_GOLD, NO_SPAM, NO_SPAM_OR_TEST]


def facts(ticket_type: str, group_id: int | None, tags: frozenset[str]) -> TicketFacts:
    return TicketFacts(
        type=ticket_type,
        group_id=group_id,
        tags=tags,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


TICKETS = [
    facts(ticket_type, group_id, frozenset(tags))
    for ticket_type in ("incident", "question")
    for group_id in (4, 5, None)
    for tags in ((), ("vip",), ("gold",), ("spam",), ("test",), ("vip", "spam"))
]
FILTERS = [
    f(list(all_conditions), list(any_conditions))
    for all_conditions in itertools.chain(
        [()], itertools.combinations(CONDITIONS, 1), itertools.combinations(CONDITIONS, 2)
    )
    for any_conditions in ([], [VIP], [GROUP_4, VIP_OR_GOLD])
]


def test_covered_really_means_every_later_match_is_an_earlier_match() -> None:
    compiled = [compile_filter(filter) for filter in FILTERS]
    matches = [frozenset(i for i, t in enumerate(TICKETS) if c(t)) for c in compiled]
    claimed = 0
    for (earlier, e_matches), (later, l_matches) in itertools.product(
        zip(FILTERS, matches, strict=True), repeat=2
    ):
        if covers(earlier, later):
            claimed += 1
            assert l_matches <= e_matches, (earlier, later)
    assert claimed > len(FILTERS)  # it says "covered" for more than the trivial pairs
