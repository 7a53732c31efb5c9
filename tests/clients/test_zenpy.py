"""zenpy (PyPI) against a live slaweb: `Zenpy.sla_policies` list/show/create/update/delete,
`definitions()` and errors, exactly as a zenpy user would call them.

zenpy is pointed at the server with its own ZENPY_FORCE_SCHEME / ZENPY_FORCE_NETLOC overrides
(see conftest); every HTTP exchange is recorded with a requests response hook, so the tests can
also check what zenpy actually sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from zenpy.lib.api_objects import PolicyMetric, SlaPolicy
from zenpy.lib.exception import APIException, RecordNotFoundException

from policies.models import Policy
from tests.clients.conftest import TAGS_FILTER, Account, ZenpyHarness

pytestmark = pytest.mark.clients


def policy_url(server_url: str, policy_id: int) -> str:
    return f"{server_url}/api/v2/slas/policies/{policy_id}.json"


def metric_dicts(policy: SlaPolicy) -> list[dict[str, Any]]:
    """zenpy turns each policy metric into a PolicyMetric object; compare them as plain data."""
    assert all(isinstance(metric, PolicyMetric) for metric in policy.policy_metrics)
    return [metric.to_dict() for metric in policy.policy_metrics]


def test_list_iterates_policies_in_position_order(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    first = make_policy("Gold", minutes=30, description="Gold customers")
    second = make_policy("Silver", minutes=120)
    third = make_policy("Everything else", filter={"all": [], "any": []}, minutes=480)

    generator = zenpy_api.client.sla_policies()
    policies = list(generator)

    assert all(isinstance(policy, SlaPolicy) for policy in policies)
    assert [(p.id, p.title, p.position) for p in policies] == [
        (first.pk, "Gold", 1),
        (second.pk, "Silver", 2),
        (third.pk, "Everything else", 3),
    ]
    assert len(generator) == 3  # zenpy reads `count`
    assert [p.url for p in policies] == [
        policy_url(server_url, p.pk) for p in (first, second, third)
    ]
    assert policies[0].description == "Gold customers"
    assert policies[1].description is None
    assert policies[0].filter == TAGS_FILTER
    assert policies[2].filter == {"all": [], "any": []}
    assert metric_dicts(policies[1]) == [
        {
            "priority": "urgent",
            "metric": "first_reply_time",
            "target": 120,
            "target_in_seconds": 7200,
            "business_hours": False,
        }
    ]
    assert policies[0].created_at.endswith("Z")
    exchange = zenpy_api.last("GET")
    assert exchange.url == f"{server_url}/api/v2/slas/policies.json"
    assert exchange.response_json["next_page"] is None
    assert exchange.response_json["count"] == 3


def test_list_of_no_policies_is_empty(zenpy_api: ZenpyHarness) -> None:
    assert list(zenpy_api.client.sla_policies()) == []


def test_list_follows_next_page(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    with transaction.atomic():  # one commit, not 105
        created = [make_policy(f"Policy {n:03d}") for n in range(1, 106)]  # a page holds 100

    policies = list(zenpy_api.client.sla_policies())

    assert [p.id for p in policies] == [p.pk for p in created]
    assert [p.position for p in policies] == list(range(1, 106))
    gets = [e for e in zenpy_api.exchanges if e.method == "GET"]
    assert [e.status for e in gets] == [200, 200]
    assert gets[0].url == f"{server_url}/api/v2/slas/policies.json"
    assert gets[0].response_json["next_page"] == gets[1].url
    assert gets[1].url.startswith(f"{server_url}/api/v2/slas/policies.json?")
    assert gets[1].response_json["next_page"] is None


def test_show_returns_the_policy(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    make_policy("Other")
    policy = make_policy("Gold", minutes=45, description="Gold customers")

    shown = zenpy_api.client.sla_policies(id=policy.pk)

    assert isinstance(shown, SlaPolicy)
    assert zenpy_api.last("GET").url == policy_url(server_url, policy.pk)
    assert shown.id == policy.pk
    assert shown.url == policy_url(server_url, policy.pk)
    assert shown.title == "Gold"
    assert shown.description == "Gold customers"
    assert shown.position == 2
    assert shown.filter == TAGS_FILTER
    assert metric_dicts(shown) == [
        {
            "priority": "urgent",
            "metric": "first_reply_time",
            "target": 45,
            "target_in_seconds": 2700,
            "business_hours": False,
        }
    ]


def test_create_posts_filter_and_metrics(
    zenpy_api: ZenpyHarness,
    server_url: str,
    account: Account,
    make_policy: Callable[..., Policy],
) -> None:
    existing = make_policy("Existing")
    filter = {
        "all": [{"field": "brand_id", "operator": "is", "value": account.brand_id}],
        "any": [
            {"field": "current_tags", "operator": "includes", "value": "vip enterprise"},
            {"field": "ticket_type_id", "operator": "is", "value": 2},
        ],
    }

    zenpy_api.client.sla_policies.create(
        SlaPolicy(
            title="Incidents",
            description="For urgent incidents, we will respond to tickets in 10 minutes",
            filter=filter,
            policy_metrics=[
                {
                    "priority": "urgent",
                    "metric": "first_reply_time",
                    "target": 10,
                    "business_hours": False,
                },
                {
                    "priority": "high",
                    "metric": "requester_wait_time",
                    "target_in_seconds": 5400,
                    "business_hours": True,
                },
            ],
        )
    )

    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/slas/policies.json"
    assert post.body["sla_policy"]["title"] == "Incidents"
    assert post.status == 201
    created = post.response_json["sla_policy"]
    assert post.headers["Location"] == policy_url(server_url, created["id"])
    assert created["url"] == policy_url(server_url, created["id"])

    # zenpy 2.0.57's SlaPolicyApi.create drops the response (returns None): read it back.
    shown = zenpy_api.client.sla_policies(id=created["id"])
    assert shown.title == "Incidents"
    assert shown.description == "For urgent incidents, we will respond to tickets in 10 minutes"
    assert shown.position == 2  # appended after the existing policy
    assert shown.filter == filter
    assert metric_dicts(shown) == [
        {
            "priority": "urgent",
            "metric": "first_reply_time",
            "target": 10,
            "target_in_seconds": 600,
            "business_hours": False,
        },
        {
            "priority": "high",
            "metric": "requester_wait_time",
            "target": 90,
            "target_in_seconds": 5400,
            "business_hours": True,
        },
    ]
    assert [p.id for p in zenpy_api.client.sla_policies()] == [existing.pk, created["id"]]


def test_update_of_title_sends_only_title_and_keeps_filter_and_metrics(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    make_policy("First")
    policy = make_policy("Gold", minutes=30, description="Gold customers")
    fetched = zenpy_api.client.sla_policies(id=policy.pk)
    before = {"filter": fetched.filter, "metrics": metric_dicts(fetched)}

    fetched.title = "Gold (renamed)"
    zenpy_api.client.sla_policies.update(fetched)

    put = zenpy_api.last("PUT")
    assert put.url == policy_url(server_url, policy.pk)
    # zenpy sends the dirty keys only, plus the id.
    assert put.body == {"sla_policy": {"id": policy.pk, "title": "Gold (renamed)"}}
    assert put.status == 200
    assert put.response_json["sla_policy"]["title"] == "Gold (renamed)"

    shown = zenpy_api.client.sla_policies(id=policy.pk)
    assert shown.title == "Gold (renamed)"
    assert shown.description == "Gold customers"
    assert shown.position == 2
    assert shown.filter == before["filter"] == TAGS_FILTER
    assert metric_dicts(shown) == before["metrics"]
    assert shown.updated_at >= shown.created_at


def test_update_replacing_the_metric_list(
    zenpy_api: ZenpyHarness, make_policy: Callable[..., Policy]
) -> None:
    policy = make_policy("Gold", minutes=30)
    fetched = zenpy_api.client.sla_policies(id=policy.pk)

    # Assigning a new list marks policy_metrics dirty, so zenpy sends the whole list.
    fetched.policy_metrics = [
        {"priority": "urgent", "metric": "first_reply_time", "target": 15, "business_hours": False},
        {"priority": "normal", "metric": "next_reply_time", "target": 240, "business_hours": True},
    ]
    zenpy_api.client.sla_policies.update(fetched)

    put = zenpy_api.last("PUT")
    assert set(put.body["sla_policy"]) == {"id", "policy_metrics"}
    assert put.status == 200
    shown = zenpy_api.client.sla_policies(id=policy.pk)
    assert shown.title == "Gold"
    assert shown.filter == TAGS_FILTER
    assert [
        (m.priority, m.metric, m.target, m.target_in_seconds, m.business_hours)
        for m in shown.policy_metrics
    ] == [
        ("urgent", "first_reply_time", 15, 900, False),
        ("normal", "next_reply_time", 240, 14400, True),
    ]


def test_update_after_editing_the_filter_in_place(
    zenpy_api: ZenpyHarness, make_policy: Callable[..., Policy]
) -> None:
    policy = make_policy("Gold", minutes=30)
    fetched = zenpy_api.client.sla_policies(id=policy.pk)
    added = {"field": "ticket_type_id", "operator": "is", "value": 2}

    # zenpy's ProxyDict/ProxyList mark `filter` dirty, so the whole filter is sent.
    fetched.filter["any"].append(added)
    zenpy_api.client.sla_policies.update(fetched)

    put = zenpy_api.last("PUT")
    assert put.body == {
        "sla_policy": {"id": policy.pk, "filter": {"all": TAGS_FILTER["all"], "any": [added]}}
    }
    assert put.status == 200
    shown = zenpy_api.client.sla_policies(id=policy.pk)
    assert shown.filter == {"all": TAGS_FILTER["all"], "any": [added]}
    assert shown.title == "Gold"
    assert [m.target for m in shown.policy_metrics] == [30]


def test_delete_removes_the_policy_and_closes_the_gap(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    first = make_policy("First")
    doomed = make_policy("Doomed")
    last = make_policy("Last")
    fetched = zenpy_api.client.sla_policies(id=doomed.pk)

    response = zenpy_api.client.sla_policies.delete(fetched)

    assert response.status_code == 204
    delete = zenpy_api.last("DELETE")
    assert delete.url == policy_url(server_url, doomed.pk)
    assert delete.body == {"sla_policy": {"id": doomed.pk}}  # zenpy sends a body on DELETE
    remaining = list(zenpy_api.client.sla_policies())
    assert [(p.id, p.position) for p in remaining] == [(first.pk, 1), (last.pk, 2)]
    with pytest.raises(RecordNotFoundException):
        zenpy_api.client.sla_policies(id=doomed.pk)


def test_definitions(zenpy_api: ZenpyHarness, server_url: str, account: Account) -> None:
    definitions = zenpy_api.client.sla_policies.definitions()

    assert zenpy_api.last("GET").url == f"{server_url}/api/v2/slas/policies/definitions.json"
    assert type(definitions).__name__ == "Definitions"
    all_items = {item["value"]: item for item in definitions.all}
    any_items = {item["value"]: item for item in definitions.any}
    assert all_items.keys() == any_items.keys()
    brand = all_items["brand_id"]
    assert brand["title"] == "Brand"
    assert brand["group"] == "ticket"
    assert [op["value"] for op in brand["operators"]] == ["is", "is_not"]
    assert brand["values"] == {
        "type": "list",
        "list": [{"title": "Compat Support", "value": str(account.brand_id)}],
    }
    assert [op["value"] for op in all_items["current_tags"]["operators"]] == [
        "includes",
        "not_includes",
    ]
    assert {"ticket_form_id", "group_id", "via_id", "requester_role"} <= all_items.keys()
    assert not {"priority", "status"} & all_items.keys()


def test_show_of_unknown_id_raises_record_not_found(
    zenpy_api: ZenpyHarness, server_url: str, make_policy: Callable[..., Policy]
) -> None:
    policy = make_policy("Gold")
    unknown = policy.pk + 1000

    with pytest.raises(RecordNotFoundException) as raised:
        zenpy_api.client.sla_policies(id=unknown)

    # zenpy maps the body {"error": "RecordNotFound", ...} to this exact class.
    assert type(raised.value) is RecordNotFoundException
    assert issubclass(RecordNotFoundException, APIException)
    assert raised.value.response.status_code == 404
    assert raised.value.response.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert raised.value.response.url == policy_url(server_url, unknown)


def test_wrong_token_raises_api_exception_401(zenpy_api_bad_token: ZenpyHarness) -> None:
    with pytest.raises(APIException) as raised:
        list(zenpy_api_bad_token.client.sla_policies())

    assert type(raised.value) is APIException
    assert raised.value.response.status_code == 401
    assert raised.value.response.json() == {"error": "Couldn't authenticate you"}


def test_update_after_editing_a_metric_in_place_is_a_clear_422(
    zenpy_api: ZenpyHarness, make_policy: Callable[..., Policy]
) -> None:
    """zenpy sends only the edited key of a nested metric; slaweb refuses it instead of guessing."""
    policy = make_policy("Gold", minutes=30)
    fetched = zenpy_api.client.sla_policies(id=policy.pk)
    fetched.policy_metrics[0].target = 45
    with pytest.raises(APIException) as raised:
        zenpy_api.client.sla_policies.update(fetched)
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["error"] == "RecordInvalid"
    assert policy.metrics.get().target_seconds == 30 * 60
