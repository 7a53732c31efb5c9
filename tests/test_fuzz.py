"""Schemathesis fuzzes every operation of slaweb's own OpenAPI schema, as an admin and as an agent.

Each operation gets generated requests, valid and invalid, against the WSGI app on a database
seeded with a few policies, schedules, holidays, users and tickets. A response fails the test if
it is a 5xx, or if its status code, content type or body is not what the schema documents.

Every run sends schemathesis's coverage cases (boundary values, wrong types, missing fields,
unexpected methods: the same each time, about 3,000 per role) and `SLAWEB_FUZZ_EXAMPLES` random
examples per operation and role: 8 by default, so the suite stays quick; `make fuzz` sends 150.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import basic
from tests.factories import UserFactory, make_policy, metric
from tickets import services

EXAMPLES = int(os.environ.get("SLAWEB_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Ids of the seeded records, by path parameter name: generated paths mostly name records that
# exist, so the fuzzer reaches the code behind the 404s.
SEEDED: dict[str, list[int]] = {}


fuzzed = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@fuzzed.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return st.just(path_parameters)
    choices: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in path_parameters.items():
        known = SEEDED.get(name)
        choices[name] = (
            st.one_of(st.sampled_from(known), st.just(value)) if known else st.just(value)
        )
    return st.fixed_dictionaries(choices)


def seed() -> dict[str, dict[str, str]]:
    """A small account, written through the API as a client would; the roles' credentials."""
    admin = UserFactory(role="admin", email="fuzz-admin@example.com")
    agent = UserFactory(role="agent", email="fuzz-agent@example.com")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=basic(f"{admin.email}/token", services.api_token_create(user=admin))
    )
    requester = UserFactory(role="end-user", email="requester@example.com")
    policies = [
        make_policy("Urgent", metrics=[metric("urgent", minutes=10)]),
        make_policy(
            "Everything", filter={"all": [], "any": []}, metrics=[metric(), metric("high")]
        ),
    ]
    schedule = client.post(
        "/api/v2/business_hours/schedules.json",
        {"schedule": {"name": "Office", "time_zone": "Europe/Berlin"}},
        format="json",
    )
    assert schedule.status_code == 201, schedule.json()
    schedule_id = schedule.json()["schedule"]["id"]
    today = timezone.now().date()
    holiday = client.post(
        f"/api/v2/business_hours/schedules/{schedule_id}/holidays.json",
        {
            "holiday": {
                "name": "Closed",
                "start_date": str(today + timedelta(days=30)),
                "end_date": str(today + timedelta(days=31)),
            }
        },
        format="json",
    )
    assert holiday.status_code == 201, holiday.json()
    tickets = []
    for priority in ("urgent", "normal"):
        response = client.post(
            "/api/v2/tickets.json",
            {
                "ticket": {
                    "subject": "Printer on fire",
                    "comment": {"body": "It is on fire."},
                    "requester_id": requester.pk,
                    "priority": priority,
                }
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        tickets.append(response.json()["ticket"]["id"])
    SEEDED.clear()
    SEEDED.update(
        policy_id=[p.pk for p in policies],
        schedule_id=[schedule_id],
        holiday_id=[holiday.json()["holiday"]["id"]],
        ticket_id=tickets,
        user_id=[admin.pk, agent.pk, requester.pk],
    )
    return {
        user.role: {
            "Authorization": basic(f"{user.email}/token", services.api_token_create(user=user))
        }
        for user in (admin, agent)
    }


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """The WSGI app closes the database connection around each request; inside a test that
    would end the test's transaction, so keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def account(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Seeded once for the module, in a transaction rolled back at its end; each test runs in
    a savepoint inside it and starts from the same records (as Django's setUpTestData)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def authorization(role: str, account: dict[str, Any], db: None, settings: Any) -> dict[str, str]:
    # One role's whole run comes from one token, far beyond a plan's per-minute rate.
    settings.SLAWEB_RATE_LIMIT_PER_MINUTE = 0
    return account[role]


@pytest.mark.parametrize("role", ["admin", "agent"])
@fuzzed.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_answers_as_documented(
    case: schemathesis.Case, role: str, authorization: dict[str, str]
) -> None:
    with connection_kept_open():
        case.call_and_validate(headers=authorization, checks=CHECKS)


@pytest.mark.parametrize("interval", [{"end_time": 600}, {"start_time": 540}, {}])
def test_a_schedule_update_with_half_an_interval_is_a_422(
    admin_client: APIClient, interval: dict[str, int]
) -> None:
    """Found by fuzzing: the partial update let a half interval through to a KeyError."""
    created = admin_client.post(
        "/api/v2/business_hours/schedules.json",
        {"schedule": {"name": "Office", "time_zone": "UTC"}},
        format="json",
    )
    url = f"/api/v2/business_hours/schedules/{created.json()['schedule']['id']}.json"
    response = admin_client.put(url, {"schedule": {"intervals": [interval]}}, format="json")
    assert response.status_code == 422
    assert response.json()["details"]["intervals"][0]["error"] == "InvalidValue"


@pytest.mark.parametrize(
    ("part", "field"),
    [
        ({"comment": {"public": False}}, "Comment.body"),
        ({"requester": {"name": "Sam"}}, "Requester.email"),
        ({"custom_fields": [{"value": 1}]}, "Custom fields[0].id"),
        ({"custom_fields": [{"id": 1}]}, "Custom fields[0].value"),
    ],
)
def test_a_ticket_update_with_part_of_a_comment_requester_or_field_is_a_422(
    admin_client: APIClient, end_user: Any, part: dict[str, Any], field: str
) -> None:
    """Found by fuzzing: the partial update let a comment without a body (and so a requester
    without an email, a custom field without an id or value) through to a 500."""
    created = admin_client.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": end_user.pk}},
        format="json",
    )
    url = f"/api/v2/tickets/{created.json()['ticket']['id']}.json"
    response = admin_client.put(url, {"ticket": part}, format="json")
    assert response.status_code == 422
    [problem] = next(iter(response.json()["details"].values()))
    assert problem == {"description": f"{field}: This field is required.", "error": "BlankValue"}
