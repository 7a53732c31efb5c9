"""Filter matching: every field and operator, empty values, and first match by position."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policies.engine.conditions import (
    compile_condition,
    compile_filter,
    explain_match,
    first_matching_policy,
)
from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Role

TICKET = TicketFacts(
    ticket_id=7,
    created_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    custom_status_id=12,
    type="incident",
    brand_id=3,
    ticket_form_id=4,
    group_id=5,
    assignee_id=20,
    requester_id=10,
    organization_id=8,
    requester_role=Role.END_USER,
    via_id=4,
    current_via_id=0,
    recipient="Support@Example.com",
    is_public=True,
    tags=frozenset({"vip", "gold"}),
    custom_fields={99: "mobile_app"},
    requester_fields={"tier": "3", "vip": "true"},
    organization_fields={"plan": "gold", "renewal": "2024-09-01"},
    current_user_id=20,
)
EMPTY = TicketFacts()


CASES: list[tuple[str, str, Any, bool]] = [
    ("type", "is", "incident", True),
    ("type", "is", "INCIDENT", True),
    ("type", "is_not", "incident", False),
    ("type", "is", None, False),
    ("ticket_type_id", "is", 2, True),
    ("ticket_type_id", "is", "2", True),
    ("ticket_type_id", "is_not", 1, True),
    ("brand_id", "is", 3, True),
    ("brand_id", "is", "3", True),
    ("brand_id", "is_not", 3, False),
    ("ticket_form_id", "is", 4, True),
    ("group_id", "is", 5, True),
    ("group_id", "is", None, False),
    ("group_id", "is_not", "", True),
    ("organization_id", "is", 8, True),
    ("assignee_id", "is", 20, True),
    ("assignee_id", "is", "current_user", True),
    ("assignee_id", "is", "requester_id", False),
    ("assignee_id", "is_not", None, True),
    ("requester_id", "is", 10, True),
    ("requester_id", "is", "assignee_id", False),
    ("requester_id", "is_not", "current_user", True),
    ("requester_role", "is", 0, True),
    ("requester_role", "is", 4, False),
    ("requester_role", "is_not", "2", True),
    ("via_id", "is", 4, True),
    ("via_id", "is", "4", True),
    ("current_via_id", "is", 0, True),
    ("current_via_id", "is_not", 0, False),
    ("recipient", "is", "support@example.com", True),
    ("recipient", "is", "sales@example.com", False),
    ("ticket_is_public", "is", "public", True),
    ("ticket_is_public", "is", "private", False),
    ("current_tags", "includes", "vip", True),
    ("current_tags", "includes", "silver gold", True),
    ("current_tags", "includes", "silver bronze", False),
    ("current_tags", "not_includes", "silver bronze", True),
    ("current_tags", "not_includes", "spam vip", False),
    ("current_tags", "includes", ["GOLD"], True),
    ("exact_created_at", "less_than", "2024-05-01 10:00", True),
    ("exact_created_at", "less_than", "2024-05-01 09:30", False),
    ("exact_created_at", "less_than_equal", "2024-05-01 09:30", True),
    ("exact_created_at", "greater_than", "2024-05-01T09:00:00Z", True),
    ("exact_created_at", "greater_than_equal", "2024-05-01T11:30:00+02:00", True),
    ("exact_created_at", "greater_than", "2024-05-01T11:31:00+02:00", False),
    ("custom_status_id", "includes", [11, 12], True),
    ("custom_status_id", "includes", ["12"], True),
    ("custom_status_id", "not_includes", [12], False),
    ("custom_status_id", "includes", 13, False),
    ("ticket_fields_99", "includes", ["mobile_app"], True),
    ("ticket_fields_99", "includes", ["501"], True),  # option id 501 -> tag mobile_app
    ("ticket_fields_99", "not_includes", ["502"], True),
    ("ticket_fields_98", "includes", [None], True),
    ("custom_fields_99", "is", "mobile_app", True),
    ("custom_fields_99", "is_not", "web_app", True),
    ("requester.custom_fields.tier", "greater_than", "2", True),
    ("requester.custom_fields.tier", "less_than", 3, False),
    ("requester.custom_fields.tier", "less_than_equal", "3", True),
    ("requester.custom_fields.vip", "is", "true", True),
    ("requester.custom_fields.missing", "is", None, True),
    ("requester.custom_fields.missing", "greater_than", "1", False),
    ("organization.custom_fields.plan", "is", "gold", True),
    ("organization.custom_fields.renewal", "greater_than", "2024-06-30", True),
    ("organization.custom_fields.renewal", "less_than", "2024-06-30", False),
    ("no_such_field", "is", "x", False),
]
OPTIONS = {"501": "mobile_app", "502": "web_app"}


@pytest.mark.parametrize(("field", "operator", "value", "expected"), CASES)
def test_condition(field: str, operator: str, value: Any, expected: bool) -> None:
    condition = {"field": field, "operator": operator, "value": value}
    assert compile_condition(condition, OPTIONS)(TICKET) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("group_id", "is", None, True),
        ("group_id", "is", "", True),
        ("group_id", "is", "-", True),
        ("group_id", "is_not", None, False),
        ("assignee_id", "is", None, True),
        ("organization_id", "is", "", True),
        ("type", "is", None, True),
        ("ticket_type_id", "is", 0, True),
        ("current_tags", "includes", "vip", False),
        ("current_tags", "not_includes", "vip", True),
        ("custom_status_id", "includes", [None], True),
        ("exact_created_at", "less_than", "2030-01-01 00:00", False),
        ("recipient", "is", "support@example.com", False),
    ],
)
def test_conditions_on_empty_values(field: str, operator: str, value: Any, expected: bool) -> None:
    assert (
        compile_condition({"field": field, "operator": operator, "value": value})(EMPTY) is expected
    )


def test_all_and_any() -> None:
    yes = {"field": "brand_id", "operator": "is", "value": 3}
    no = {"field": "brand_id", "operator": "is", "value": 4}
    assert compile_filter({"all": [], "any": []})(TICKET)
    assert compile_filter({"all": [yes], "any": []})(TICKET)
    assert not compile_filter({"all": [yes, no], "any": []})(TICKET)
    assert compile_filter({"all": [yes], "any": [no, yes]})(TICKET)
    assert not compile_filter({"all": [yes], "any": [no]})(TICKET)
    assert compile_filter({"any": [yes]})(TICKET)


def spec(id: int, position: int, filter: dict[str, Any]) -> PolicySpec:
    return PolicySpec(id, f"P{id}", None, position, compile_filter(filter), {})


def test_first_matching_policy_by_position_and_the_explanation() -> None:
    vip = {"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}]}
    silver = {"all": [{"field": "organization_id", "operator": "is", "value": 99}]}
    policies = [spec(1, 1, silver), spec(2, 2, vip), spec(3, 3, {"all": [], "any": []})]
    assert first_matching_policy(policies, TICKET).id == 2
    attempts = explain_match(policies, TICKET)
    assert [(a.policy_id, a.matched) for a in attempts] == [(1, False), (2, True)]
    assert attempts[0].reason == "all: organization_id is 99 is false"
    assert first_matching_policy(policies[:1], TICKET) is None


def test_explanation_names_the_any_group_when_none_holds() -> None:
    filter = {
        "all": [],
        "any": [
            {"field": "brand_id", "operator": "is", "value": 1},
            {"field": "brand_id", "operator": "is", "value": 2},
        ],
    }
    reason = explain_match([spec(1, 1, filter)], TICKET)[0].reason
    assert reason == "any: none of brand_id is 1; brand_id is 2 holds"
