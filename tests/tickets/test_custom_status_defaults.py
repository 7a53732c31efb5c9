"""Zendesk's Bulk Update Default Custom Ticket Status request, `PUT /api/v2/custom_status/default`
with `{"ids": "1,2"}`: the one way Zendesk's API changes categories' defaults. Each named status
becomes its category's default, all or none; the old default stays, no longer the default; a
ticket given a bare status from then on gets the new one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import CustomStatusFactory
from tickets.custom_statuses import custom_status_default
from tickets.models import CustomStatus, User

pytestmark = pytest.mark.django_db

CATEGORIES = ("new", "open", "pending", "hold", "solved")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def defaults(db: None) -> dict[str, CustomStatus]:
    return {category: custom_status_default(category) for category in CATEGORIES}


def put_defaults(client: APIClient, body: Any) -> Any:
    return client.put("/api/v2/custom_status/default.json", body, format="json")


def current_defaults() -> dict[str, int]:
    rows = CustomStatus.objects.filter(default=True)
    return dict(rows.values_list("status_category", "pk"))


def test_the_named_statuses_become_their_categories_defaults(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    with time_machine.travel(T0, tick=False):
        waiting = CustomStatusFactory(status_category="pending", agent_label="Waiting on IT")
        vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    later = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)

    with time_machine.travel(later, tick=False):
        response = put_defaults(admin_client, {"ids": f"{waiting.pk}, {vendor.pk}"})

    assert response.status_code == 200, response.content
    assert response.json() == {}
    assert current_defaults() == {
        "new": defaults["new"].pk,
        "open": defaults["open"].pk,
        "pending": waiting.pk,
        "hold": vendor.pk,
        "solved": defaults["solved"].pk,
    }
    for row in (waiting, vendor, defaults["pending"], defaults["hold"]):
        row.refresh_from_db()
        assert row.updated_at == later
    # The old default is an ordinary status now, still active.
    assert (defaults["pending"].active, defaults["pending"].default) == (True, False)
    shown = admin_client.get(f"/api/v2/custom_statuses/{waiting.pk}.json").json()
    assert shown["custom_status"]["default"] is True
    # A ticket given only a status gets the new default.
    created = admin_client.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "Printer",
                "comment": {"body": "On fire"},
                "requester_id": end_user.pk,
                "status": "pending",
            }
        },
        format="json",
    ).json()["ticket"]
    assert (created["status"], created["custom_status_id"]) == ("pending", waiting.pk)
    updated = admin_client.put(
        f"/api/v2/tickets/{created['id']}.json", {"ticket": {"status": "hold"}}, format="json"
    ).json()["ticket"]
    assert updated["custom_status_id"] == vendor.pk


def test_naming_the_defaults_again_changes_nothing(
    admin_client: APIClient, defaults: dict[str, CustomStatus]
) -> None:
    ids = ",".join(str(defaults[c].pk) for c in CATEGORIES)
    before = list(CustomStatus.objects.order_by("id").values())

    response = put_defaults(admin_client, {"ids": ids})

    assert response.status_code == 200
    assert list(CustomStatus.objects.order_by("id").values()) == before


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ("", "Ids: name at least one custom status"),
        (" , ", "Ids: name at least one custom status"),
        ("{vendor},x", "Ids: is not a comma-separated list of custom status ids"),
        ("{vendor};{waiting}", "Ids: is not a comma-separated list of custom status ids"),
        ("-1", "Ids: is not a comma-separated list of custom status ids"),
        ("{vendor},999999999", "Ids: no custom status 999999999"),
        ("{waiting},{retired}", "Ids: an inactive status cannot be the default ({retired})"),
        (
            "{vendor},{waiting},{hold_default}",
            "Ids: a category has one default, and two were named for hold",
        ),
    ],
)
def test_bad_ids_are_422_and_write_nothing(
    admin_client: APIClient, defaults: dict[str, CustomStatus], ids: str, expected: str
) -> None:
    named = {
        "vendor": CustomStatusFactory(status_category="hold").pk,
        "waiting": CustomStatusFactory(status_category="pending").pk,
        "retired": CustomStatusFactory(status_category="open", active=False).pk,
        "hold_default": defaults["hold"].pk,
    }
    before = list(CustomStatus.objects.order_by("id").values())

    response = put_defaults(admin_client, {"ids": ids.format(**named)})

    assert response.status_code == 422, response.content
    assert response.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"ids": [{"description": expected.format(**named), "error": "InvalidValue"}]},
    }
    assert list(CustomStatus.objects.order_by("id").values()) == before


@pytest.mark.parametrize("body", [{}, {"ids": [1, 2]}, {"ids": 5}, {"ids": None}, [1]])
def test_a_body_without_an_ids_string_is_400(
    admin_client: APIClient, defaults: dict[str, CustomStatus], body: Any
) -> None:
    response = put_defaults(admin_client, body)

    assert response.status_code == 400
    assert response.json() == {
        "error": "InvalidRequest",
        "description": "The request body must be a JSON object with an 'ids' string",
    }
    assert current_defaults() == {c: defaults[c].pk for c in CATEGORIES}


@pytest.mark.parametrize(("role", "expected"), [("agent", 403), ("end_user", 403)])
def test_only_admins_change_defaults(
    request: pytest.FixtureRequest, defaults: dict[str, CustomStatus], role: str, expected: int
) -> None:
    client: APIClient = request.getfixturevalue(f"{role}_client")
    vendor = CustomStatusFactory(status_category="hold")

    response = put_defaults(client, {"ids": str(vendor.pk)})

    assert response.status_code == expected
    assert current_defaults()["hold"] == defaults["hold"].pk


def test_anonymous_is_401(anonymous_client: APIClient) -> None:
    assert put_defaults(anonymous_client, {"ids": "1"}).status_code == 401
