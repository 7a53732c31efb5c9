"""SLA filter conditions: which fields exist, which operators each allows, and matching.

A policy's filter `{"all": [...], "any": [...]}` compiles once into a `CompiledFilter`, a
predicate over `TicketFacts`. A ticket matches when every `all` condition holds and, if `any`
is not empty, at least one `any` condition holds; an empty filter matches every ticket.

Values are compared the way Zendesk accepts them: ids as strings or integers alike ("4" == 4),
`null`, `""` and `"-"` meaning "no value".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import ROLE_IDS, TICKET_TYPE_IDS

IS = ("is", "is_not")
INCLUDES = ("includes", "not_includes")
ORDERED = ("less_than", "less_than_equal", "greater_than", "greater_than_equal")
OPERATOR_TITLES = {
    "is": "Is",
    "is_not": "Is not",
    "includes": "Includes",
    "not_includes": "Does not include",
    "less_than": "Less than",
    "less_than_equal": "Less than or equal to",
    "greater_than": "Greater than",
    "greater_than_equal": "Greater than or equal to",
}


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What a condition field accepts. `value_type` is the definitions' `values.type`."""

    title: str
    group: str
    operators: tuple[str, ...]
    value_type: str  # "list" | "text" | "datetime" | "date"
    output_key: str | None = None


# The fixed fields of spec §1.6 plus those the seed's own examples use (`type`, `via_id`,
# `custom_status_id`). Per-account fields (custom fields) are added from live data.
STATIC_FIELDS: dict[str, FieldRule] = {
    "brand_id": FieldRule("Brand", "ticket", IS, "list", "brand"),
    "ticket_form_id": FieldRule("Form", "ticket", IS, "list", "ticket_form"),
    "ticket_type_id": FieldRule("Type", "ticket", IS, "list", "ticket_type"),
    "type": FieldRule("Type (name)", "ticket", IS, "list", "type"),
    "group_id": FieldRule("Group", "ticket", IS, "list", "group"),
    "assignee_id": FieldRule("Assignee", "ticket", IS, "list", "assignee"),
    "requester_id": FieldRule("Requester", "ticket", IS, "list", "requester"),
    "organization_id": FieldRule("Organization", "ticket", IS, "list", "organization"),
    "current_tags": FieldRule("Tags", "ticket", INCLUDES, "text", "tags"),
    "via_id": FieldRule("Channel", "ticket", IS, "list", "via"),
    "current_via_id": FieldRule("Update via", "ticket", IS, "list", "current_via"),
    "recipient": FieldRule("Received at", "ticket", ("is",), "list", "recipient"),
    "ticket_is_public": FieldRule("Privacy", "ticket", ("is",), "list", "ticket_is_public"),
    "exact_created_at": FieldRule("Created", "ticket", ORDERED, "datetime", "exact_created_at"),
    "custom_status_id": FieldRule("Ticket status", "ticket", INCLUDES, "list", "custom_status"),
    "requester_role": FieldRule("Role", "requester", IS, "list", "requester_role"),
}

CUSTOM_FIELD_OPERATORS: dict[str, tuple[str, ...]] = {
    "text": IS,
    "integer": IS + ORDERED,
    "decimal": IS + ORDERED,
    "date": IS + ORDERED,
    "checkbox": ("is",),
    "dropdown": IS,
}
CUSTOM_FIELD_VALUE_TYPES = {"date": "date", "checkbox": "list", "dropdown": "list"}

TICKET_FIELD_RE = re.compile(r"^ticket_fields_(\d+)$")
LEGACY_CUSTOM_FIELD_RE = re.compile(r"^custom_fields_(\d+)$")
PERSON_FIELD_RE = re.compile(r"^(requester|organization)\.custom_fields\.([A-Za-z0-9_\-]+)$")

_TYPE_BY_ID = {type_id: ticket_type.value for ticket_type, type_id in TICKET_TYPE_IDS.items()}
_EMPTY = (None, "", "-")


class ConditionError(ValueError):
    """A condition the engine cannot evaluate (bad value shape). Validation rejects these."""


def norm(value: object) -> str | None:
    """Canonical string form for id and text comparisons; None for "no value"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return None if text in ("", "-") else text


def split_tags(value: object) -> frozenset[str]:
    """Tags come space-delimited ("vip gold") or, leniently, as an array."""
    if isinstance(value, str):
        return frozenset(value.lower().split())
    if isinstance(value, list):
        return frozenset(str(tag).lower() for tag in value if tag not in _EMPTY)
    raise ConditionError("tags must be a space-delimited string")


def as_values(value: object) -> frozenset[str | None]:
    """`includes` on lists takes an array of ids or a single id."""
    items = value if isinstance(value, list) else [value]
    return frozenset(norm(item) for item in items)


def parse_datetime_value(value: object) -> datetime:
    """`exact_created_at` values: ISO 8601 or "YYYY-MM-DD hh:mm"; no offset means UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ConditionError("must be a date and time such as 2024-05-01 09:30")
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConditionError("must be a date and time such as 2024-05-01 09:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ordered_key(value: object) -> tuple[int, float | str]:
    """Order numbers numerically and everything else (ISO dates) as text."""
    text = norm(value)
    if text is None:
        return (2, "")
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


def _compare(operator: str, left: object, right: object) -> bool:
    if operator == "is":
        return norm(left) == norm(right)
    if operator == "is_not":
        return norm(left) != norm(right)
    if norm(left) is None:
        return False  # an empty value is neither less nor greater than anything
    lk, rk = _ordered_key(left), _ordered_key(right)
    if lk[0] != rk[0]:
        return False
    if operator == "less_than":
        return lk < rk
    if operator == "less_than_equal":
        return lk <= rk
    if operator == "greater_than":
        return lk > rk
    return lk >= rk


Predicate = Callable[[TicketFacts], bool]


def _is_predicate(
    operator: str, getter: Callable[[TicketFacts], object], value: object
) -> Predicate:
    wanted = norm(value)
    if operator == "is":
        return lambda facts: norm(getter(facts)) == wanted
    return lambda facts: norm(getter(facts)) != wanted


def _person_predicate(operator: str, field: str, value: object) -> Predicate:
    """assignee_id / requester_id, with the relative values current_user, requester_id..."""
    own = field  # "assignee_id" or "requester_id"

    def other(facts: TicketFacts) -> object:
        if value == "current_user":
            return facts.current_user_id
        if value in ("requester_id", "assignee_id") and value != own:
            return getattr(facts, str(value))
        return value

    def holds(facts: TicketFacts) -> bool:
        equal = norm(getattr(facts, own)) == norm(other(facts))
        return equal if operator == "is" else not equal

    return holds


def _includes_predicate(
    operator: str, getter: Callable[[TicketFacts], object], wanted: frozenset[str | None]
) -> Predicate:
    if operator == "includes":
        return lambda facts: norm(getter(facts)) in wanted
    return lambda facts: norm(getter(facts)) not in wanted


def compile_condition(
    condition: Mapping[str, object], option_values: Mapping[str, str] | None = None
) -> Predicate:
    """One condition to a predicate. Unknown fields never match (the field may be gone)."""
    field = str(condition.get("field"))
    operator = str(condition.get("operator"))
    value = condition.get("value")

    if field == "current_tags":
        tags = split_tags(value)
        if operator == "includes":
            return lambda facts: not tags.isdisjoint(facts.tags)
        return lambda facts: tags.isdisjoint(facts.tags)
    if field in ("assignee_id", "requester_id"):
        return _person_predicate(operator, field, value)
    if field == "ticket_type_id":
        wanted_type = _TYPE_BY_ID.get(int(norm(value) or 0)) if _is_int(value) else "?"
        return _is_predicate(operator, lambda facts: facts.type, wanted_type)
    if field == "type":
        return _is_predicate(operator, lambda facts: facts.type, norm(value) and str(value).lower())
    if field == "recipient":
        address = (norm(value) or "").lower()
        return lambda facts: (facts.recipient or "").lower() == address
    if field == "ticket_is_public":
        public = norm(value) == "public"
        return lambda facts: facts.is_public == public
    if field == "requester_role":
        return _is_predicate(operator, lambda facts: ROLE_IDS[facts.requester_role], value)
    if field == "exact_created_at":
        moment = parse_datetime_value(value)
        return _created_predicate(operator, moment)
    if field == "custom_status_id":
        return _includes_predicate(operator, lambda facts: facts.custom_status_id, as_values(value))
    if field == "group_id" and operator in INCLUDES:  # group SLA policies' only condition
        return _includes_predicate(operator, lambda facts: facts.group_id, as_values(value))
    if field in STATIC_FIELDS:
        attribute = field
        return _is_predicate(operator, lambda facts: getattr(facts, attribute), value)

    if match := TICKET_FIELD_RE.match(field) or LEGACY_CUSTOM_FIELD_RE.match(field):
        field_id = int(match.group(1))
        options = option_values or {}
        # Dropdown conditions name option ids; tickets carry the option's tag value.
        wanted = frozenset(
            options.get(item, item) if item is not None else None for item in as_values(value)
        )

        def custom(facts: TicketFacts) -> object:
            return facts.custom_fields.get(field_id)

        if operator in INCLUDES:
            return _includes_predicate(operator, custom, wanted)
        return _is_predicate(operator, custom, next(iter(wanted)) if wanted else None)
    if match := PERSON_FIELD_RE.match(field):
        owner, key = match.group(1), match.group(2)

        def person(facts: TicketFacts) -> object:
            fields = facts.requester_fields if owner == "requester" else facts.organization_fields
            return fields.get(key)

        return lambda facts: _compare(operator, person(facts), value)
    return lambda facts: False


def _is_int(value: object) -> bool:
    try:
        int(str(value))
    except ValueError:
        return False
    return True


def _created_predicate(operator: str, moment: datetime) -> Predicate:
    def holds(facts: TicketFacts) -> bool:
        created = facts.created_at
        if created is None:
            return False
        if operator == "less_than":
            return created < moment
        if operator == "less_than_equal":
            return created <= moment
        if operator == "greater_than":
            return created > moment
        return created >= moment

    return holds


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """A policy filter as a fast predicate; `first_failure` explains a miss."""

    all: tuple[tuple[Mapping[str, object], Predicate], ...]
    any: tuple[tuple[Mapping[str, object], Predicate], ...]

    def __call__(self, facts: TicketFacts) -> bool:
        for _, predicate in self.all:
            if not predicate(facts):
                return False
        if not self.any:
            return True
        return any(predicate(facts) for _, predicate in self.any)

    def first_failure(self, facts: TicketFacts) -> str | None:
        """None when the ticket matches, else the first reason it does not."""
        for condition, predicate in self.all:
            if not predicate(facts):
                return f"all: {describe(condition)} is false"
        if self.any and not any(predicate(facts) for _, predicate in self.any):
            return "any: none of " + "; ".join(describe(c) for c, _ in self.any) + " holds"
        return None


def describe(condition: Mapping[str, object]) -> str:
    return f"{condition.get('field')} {condition.get('operator')} {condition.get('value')!r}"


def compile_filter(
    filter: Mapping[str, Sequence[Mapping[str, object]]],
    option_values: Mapping[str, str] | None = None,
) -> CompiledFilter:
    """Compile `{"all": [...], "any": [...]}`; `option_values` maps dropdown option ids to tags."""

    def build(
        conditions: Iterable[Mapping[str, object]],
    ) -> tuple[tuple[Mapping[str, object], Predicate], ...]:
        return tuple((dict(c), compile_condition(c, option_values)) for c in conditions)

    return CompiledFilter(all=build(filter.get("all") or ()), any=build(filter.get("any") or ()))


@dataclass(frozen=True, slots=True)
class MatchAttempt:
    policy_id: int | str
    title: str
    matched: bool
    reason: str | None


def first_matching_policy(policies: Sequence[PolicySpec], facts: TicketFacts) -> PolicySpec | None:
    """The first policy by position whose filter the ticket satisfies."""
    for policy in policies:
        if policy.matches(facts):
            return policy
    return None


class Matchable(Protocol):
    """What explaining a match reads of a policy: SLA and group SLA policies alike."""

    @property
    def id(self) -> int | str: ...
    @property
    def title(self) -> str: ...
    @property
    def matches(self) -> Callable[[TicketFacts], bool]: ...


def explain_match(policies: Sequence[Matchable], facts: TicketFacts) -> list[MatchAttempt]:
    """Policies tried in order, each with the first condition that failed, up to the match."""
    attempts = []
    for policy in policies:
        matcher = policy.matches
        reason = matcher.first_failure(facts) if isinstance(matcher, CompiledFilter) else None
        matched = reason is None if isinstance(matcher, CompiledFilter) else matcher(facts)
        attempts.append(MatchAttempt(policy.id, policy.title, matched, reason))
        if matched:
            break
    return attempts
