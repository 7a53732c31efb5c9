"""node-zendesk (npm, pinned in node/package.json) against a live slaweb.

Each test seeds the database, runs node/sla_policies.js once (`createClient({username, token,
endpointUri: "http://127.0.0.1:PORT/api/v2"})`, then `client.policies.*`) and asserts on the JSON
it prints: per step what the library returned ({ok, status, result} or {ok: false, error, ...})
and every HTTP request the library made.

The crud scenario, in order: getDefinitions, list, create A, create B, show A, update A (title
only), show A + update A with that whole object (description changed), reorder [B, A], list,
delete B, show B (404, default and throwOriginalException clients), list. A's and B's filter
uses the brand id taken from the definitions response.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from policies.models import Policy
from tests.clients.conftest import (
    TAGS_FILTER,
    Account,
    create_account,
    create_policy,
    node_run,
    root_url,
)
from tests.conftest import TEST_SETTINGS

pytestmark = pytest.mark.clients

Run = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class CrudRun:
    output: dict[str, Any]
    account: Account
    seeded: list[Policy]


@pytest.fixture(scope="module")
def crud_run(
    django_db_setup: None, django_db_blocker: Any, live_server: Any, node_bin: str
) -> CrudRun:
    """The crud scenario, run once for the tests that each check some of its steps: node
    takes about a second to start and run it.

    The account and two policies that exist before node-zendesk runs are made as the
    `account` and `make_policy` fixtures make them; afterwards the database is emptied, as
    after any test on the live server."""
    with django_db_blocker.unblock(), override_settings(**copy.deepcopy(TEST_SETTINGS)):
        try:
            account = create_account()
            seeded = [
                create_policy("Existing 1", minutes=30),
                create_policy("Existing 2", minutes=120),
            ]
            output = node_run(node_bin, root_url(live_server), account, "crud")
        finally:
            call_command("flush", interactive=False, verbosity=0)
    assert output["client"] == "node-zendesk"
    return CrudRun(output=output, account=account, seeded=seeded)


@pytest.fixture
def crud(crud_run: CrudRun) -> dict[str, Any]:
    return crud_run.output


@pytest.fixture
def seeded(crud_run: CrudRun) -> list[Policy]:
    """The two policies that existed before node-zendesk ran."""
    return crud_run.seeded


@pytest.fixture
def crud_account(crud_run: CrudRun) -> Account:
    """The account node-zendesk signed in to."""
    return crud_run.account


def ok(output: dict[str, Any], step: str) -> dict[str, Any]:
    result = output["results"][step]
    assert result["ok"], f"{step} failed: {result}"
    return result


def policies_of(list_result: dict[str, Any]) -> list[dict[str, Any]]:
    """node-zendesk's list() resolves to an array with one response body per page."""
    pages = list_result["result"]
    assert isinstance(pages, list)
    return [policy for page in pages for policy in page["sla_policies"]]


def requests_to(output: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    uri = f"{output['endpoint_uri']}/{path}"
    return [r for r in output["requests"] if r["method"] == method and r["uri"] == uri]


def node_policy_body(title: str, brand_id: str, minutes: int) -> dict[str, Any]:
    """What sla_policies.js creates (policyBody), as the server should echo it."""
    return {
        "title": title,
        "filter": {
            "all": [{"field": "brand_id", "operator": "is", "value": brand_id}],
            "any": [{"field": "current_tags", "operator": "includes", "value": "vip"}],
        },
        "policy_metrics": [
            {
                "priority": "urgent",
                "metric": "first_reply_time",
                "target": minutes,
                "target_in_seconds": minutes * 60,
                "business_hours": False,
            },
            {
                "priority": "high",
                "metric": "requester_wait_time",
                "target": minutes * 4,
                "target_in_seconds": minutes * 4 * 60,
                "business_hours": True,
            },
        ],
    }


def test_client_is_pointed_at_the_live_server(crud: dict[str, Any], server_url: str) -> None:
    assert crud["client_version"] == "6.0.1"
    assert crud["endpoint_uri"] == f"{server_url}/api/v2"
    assert crud["requests"], "node-zendesk made no requests"
    assert all(r["uri"].startswith(f"{server_url}/api/v2/slas/policies") for r in crud["requests"])


def test_list_returns_policies_in_position_order(
    crud: dict[str, Any], server_url: str, seeded: list[Policy]
) -> None:
    listed = ok(crud, "list_before")

    (page,) = listed["result"]
    assert page["count"] == 2
    assert page["next_page"] is None
    assert page["previous_page"] is None
    policies = page["sla_policies"]
    assert [(p["id"], p["title"], p["position"]) for p in policies] == [
        (seeded[0].pk, "Existing 1", 1),
        (seeded[1].pk, "Existing 2", 2),
    ]
    assert [p["url"] for p in policies] == [
        f"{server_url}/api/v2/slas/policies/{p.pk}.json" for p in seeded
    ]
    assert policies[0]["filter"] == TAGS_FILTER
    assert policies[1]["policy_metrics"] == [
        {
            "priority": "urgent",
            "metric": "first_reply_time",
            "target": 120,
            "target_in_seconds": 7200,
            "business_hours": False,
        }
    ]
    assert requests_to(crud, "GET", "slas/policies.json")


def test_create_returns_201_with_the_new_policy(
    crud: dict[str, Any], server_url: str, crud_account: Account
) -> None:
    assert crud["results"]["brand_id_from_definitions"] == str(crud_account.brand_id)
    a = ok(crud, "create_a")
    b = ok(crud, "create_b")

    assert a["status"] == b["status"] == 201
    created_a = a["result"]["sla_policy"]
    created_b = b["result"]["sla_policy"]
    assert {k: created_a[k] for k in ("title", "filter", "policy_metrics")} == node_policy_body(
        "Node A", str(crud_account.brand_id), 30
    )
    assert {k: created_b[k] for k in ("title", "filter", "policy_metrics")} == node_policy_body(
        "Node B", str(crud_account.brand_id), 60
    )
    assert created_a["description"] == "created by node-zendesk 6.0.1"
    assert (created_a["position"], created_b["position"]) == (3, 4)  # appended
    assert created_a["url"] == f"{server_url}/api/v2/slas/policies/{created_a['id']}.json"

    posts = requests_to(crud, "POST", "slas/policies.json")
    assert [p["status"] for p in posts] == [201, 201]
    assert posts[0]["body"]["sla_policy"]["title"] == "Node A"
    assert posts[0]["location"] == created_a["url"]


def test_show_returns_the_policy(crud: dict[str, Any], crud_account: Account) -> None:
    shown = ok(crud, "show_a")

    assert shown["status"] == 200
    policy = shown["result"]["sla_policy"]
    assert policy["id"] == crud["results"]["ids"]["a"]
    assert policy["position"] == 3
    assert {k: policy[k] for k in ("title", "filter", "policy_metrics")} == node_policy_body(
        "Node A", str(crud_account.brand_id), 30
    )
    assert policy["url"].endswith(f"/api/v2/slas/policies/{policy['id']}.json")


def test_update_of_title_only_keeps_filter_and_metrics(
    crud: dict[str, Any], crud_account: Account
) -> None:
    updated = ok(crud, "update_a")
    id_a = crud["results"]["ids"]["a"]

    put = requests_to(crud, "PUT", f"slas/policies/{id_a}.json")[0]
    assert put["body"] == {"sla_policy": {"title": "Node A (renamed)"}}
    assert updated["status"] == 200
    policy = updated["result"]["sla_policy"]
    assert {k: policy[k] for k in ("title", "filter", "policy_metrics")} == node_policy_body(
        "Node A (renamed)", str(crud_account.brand_id), 30
    )
    assert policy["description"] == "created by node-zendesk 6.0.1"
    assert policy["position"] == 3


def test_update_with_the_whole_fetched_object(crud: dict[str, Any], crud_account: Account) -> None:
    updated = ok(crud, "update_a_roundtrip")
    id_a = crud["results"]["ids"]["a"]

    put = requests_to(crud, "PUT", f"slas/policies/{id_a}.json")[-1]
    sent = put["body"]["sla_policy"]
    # Read-only keys go back to the server as they came; it must ignore them.
    assert {"url", "id", "position", "created_at", "updated_at", "metric_settings"} <= sent.keys()
    assert sent["description"] == "edited in place"
    assert updated["status"] == 200
    policy = updated["result"]["sla_policy"]
    assert policy["description"] == "edited in place"
    assert policy["position"] == 3
    assert {k: policy[k] for k in ("title", "filter", "policy_metrics")} == node_policy_body(
        "Node A (renamed)", str(crud_account.brand_id), 30
    )
    assert policy["metric_settings"] == sent["metric_settings"]


def test_reorder_sends_ids_in_the_body_and_changes_the_order(
    crud: dict[str, Any], seeded: list[Policy]
) -> None:
    reordered = ok(crud, "reorder")
    ids = crud["results"]["ids"]

    (put,) = requests_to(crud, "PUT", "slas/policies/reorder.json")
    assert put["body"] == {"sla_policy_ids": [ids["b"], ids["a"]]}
    assert put["status"] == 200
    assert reordered["status"] == 200
    # slaweb answers `null` like Zendesk; node-zendesk then resolves (does not throw) with an
    # Error object as its result.
    assert reordered["result"] == {
        "error_object": "Zendesk returned an empty result",
        "statusCode": 204,
    }

    after = policies_of(ok(crud, "list_after_reorder"))
    # Listed ids first, in the given order; the others keep their order after them.
    assert [(p["id"], p["position"]) for p in after] == [
        (ids["b"], 1),
        (ids["a"], 2),
        (seeded[0].pk, 3),
        (seeded[1].pk, 4),
    ]
    assert [p["title"] for p in after] == ["Node B", "Node A (renamed)", "Existing 1", "Existing 2"]


def test_get_definitions(crud: dict[str, Any], crud_account: Account) -> None:
    result = ok(crud, "definitions")

    assert result["status"] == 200
    assert requests_to(crud, "GET", "slas/policies/definitions.json")
    definitions = result["result"]["definitions"]
    assert set(definitions) == {"all", "any"}
    items = {item["value"]: item for item in definitions["all"]}
    assert items.keys() == {item["value"] for item in definitions["any"]}
    assert items["brand_id"]["values"] == {
        "type": "list",
        "list": [{"title": "Compat Support", "value": str(crud_account.brand_id)}],
    }
    assert [op["value"] for op in items["brand_id"]["operators"]] == ["is", "is_not"]
    for item in definitions["all"]:
        assert {"group", "operators", "target", "title", "value", "values"} <= item.keys()
    assert not {"priority", "status"} & items.keys()


def test_delete_then_show_is_404(crud: dict[str, Any], seeded: list[Policy]) -> None:
    deleted = ok(crud, "delete_b")
    ids = crud["results"]["ids"]

    (delete,) = requests_to(crud, "DELETE", f"slas/policies/{ids['b']}.json")
    assert delete["status"] == 204
    assert deleted["status"] == 204
    assert deleted["result"] == {"error_object": "No Content", "statusCode": 204}

    missing = crud["results"]["show_deleted"]
    assert missing["ok"] is False
    assert missing["error"] == "Request processing failed: Zendesk Error (404): Item not found"
    original = crud["results"]["show_deleted_original_error"]
    assert original["ok"] is False
    assert original["statusCode"] == 404
    assert original["body"] == {"error": "RecordNotFound", "description": "Not found"}

    after = policies_of(ok(crud, "list_after_delete"))
    assert [(p["id"], p["position"]) for p in after] == [
        (ids["a"], 1),
        (seeded[0].pk, 2),
        (seeded[1].pk, 3),
    ]


def test_list_follows_next_page(run_node: Run, make_policy: Callable[..., Policy]) -> None:
    with transaction.atomic():  # one commit, not 105
        created = [make_policy(f"Policy {n:03d}") for n in range(1, 106)]  # a page holds 100

    output = run_node("list")

    listed = ok(output, "list")
    assert len(listed["result"]) == 2  # two pages
    assert listed["result"][0]["next_page"] == output["requests"][1]["uri"]
    assert listed["result"][1]["next_page"] is None
    policies = policies_of(listed)
    assert [p["id"] for p in policies] == [p.pk for p in created]
    assert [p["position"] for p in policies] == list(range(1, 106))
    assert [r["status"] for r in output["requests"]] == [200, 200]
