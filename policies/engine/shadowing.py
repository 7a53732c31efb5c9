"""Shadowed policies: a policy that can never match because an earlier one catches every ticket
it would.

The test is sound but not complete: when it says "shadowed", every ticket the later filter
matches is matched by the earlier one (so the later policy is dead); when it says nothing, the
later policy may still be dead for reasons it does not see (contradictory conditions, values
written differently). A false warning would tell an admin to delete a working policy, so every
rule below only ever errs towards silence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from policies.engine.conditions import INCLUDES, ConditionError, split_tags

Condition = Mapping[str, object]
Filter = Mapping[str, Sequence[Condition]]


def _value_key(value: object) -> tuple[str, str]:
    """Values that every predicate treats alike share a key: 4 and "4", nothing else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ("text", str(value))
    if isinstance(value, str):
        return ("text", value)
    return ("json", json.dumps(value, sort_keys=True))


def _value_set(condition: Condition) -> frozenset[tuple[str, str]] | None:
    """The set an includes/not_includes condition names, or None when it names no set."""
    field, value = condition.get("field"), condition.get("value")
    if field == "current_tags":
        try:
            return frozenset(("tag", tag) for tag in split_tags(value))
        except ConditionError:
            return None
    items = value if isinstance(value, list) else [value]
    return frozenset(_value_key(item) for item in items)


def implies(condition: Condition, other: Condition) -> bool:
    """True when every ticket satisfying `condition` satisfies `other`."""
    field, operator = condition.get("field"), condition.get("operator")
    if field != other.get("field") or operator != other.get("operator"):
        return False
    if operator in INCLUDES:
        mine, theirs = _value_set(condition), _value_set(other)
        if mine is None or theirs is None:
            return False
        # "includes one of A" implies "includes one of B" when A is within B;
        # "includes none of A" implies "includes none of B" when B is within A.
        return mine <= theirs if operator == "includes" else theirs <= mine
    return _value_key(condition.get("value")) == _value_key(other.get("value"))


def _implied_by_any(condition: Condition, conditions: Sequence[Condition]) -> bool:
    return any(implies(mine, condition) for mine in conditions)


def covers(earlier: Filter, later: Filter) -> bool:
    """True when every ticket `later` matches is also matched by `earlier`.

    `earlier` holds for a ticket of `later` when each of its `all` conditions is implied by one
    of `later`'s `all` conditions, and its `any` group is empty, or one of its `any` conditions
    is implied by one of `later`'s `all` conditions, or each of `later`'s `any` conditions
    implies one of its `any` conditions.
    """
    earlier_all, earlier_any = earlier.get("all") or (), earlier.get("any") or ()
    later_all, later_any = later.get("all") or (), later.get("any") or ()
    if not all(_implied_by_any(condition, later_all) for condition in earlier_all):
        return False
    if not earlier_any:
        return True
    if any(_implied_by_any(condition, later_all) for condition in earlier_any):
        return True
    return bool(later_any) and all(
        any(implies(mine, theirs) for theirs in earlier_any) for mine in later_any
    )


def first_covering(later: Filter, earlier: Sequence[Filter]) -> int | None:
    """Index of the first filter in `earlier` (in position order) that covers `later`."""
    for index, candidate in enumerate(earlier):
        if covers(candidate, later):
            return index
    return None
