from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import BrandFactory, make_policy, metric

pytestmark = pytest.mark.django_db

SEED_CREATE = {
    "sla_policy": {
        "title": "Incidents",
        "description": "For urgent incidents, we will respond to tickets in 10 minutes",
        "position": 3,
        "filter": {"all": [{"field": "type", "operator": "is", "value": "incident"}], "any": []},
        "policy_metrics": [
            {
                "priority": "normal",
                "metric": "first_reply_time",
                "target": 30,
                "business_hours": False,
            },
            {
                "priority": "urgent",
                "metric": "first_reply_time",
                "target": 10,
                "business_hours": False,
            },
            {
                "priority": "low",
                "metric": "requester_wait_time",
                "target": 180,
                "business_hours": False,
            },
            {
                "priority": "normal",
                "metric": "requester_wait_time",
                "target": 160,
                "business_hours": False,
            },
            {
                "priority": "high",
                "metric": "requester_wait_time",
                "target": 140,
                "business_hours": False,
            },
            {
                "priority": "urgent",
                "metric": "requester_wait_time",
                "target": 120,
                "business_hours": False,
            },
        ],
    }
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def titles(client: APIClient) -> list[str]:
    return [p["title"] for p in client.get("/api/v2/slas/policies.json").json()["sla_policies"]]


def positions() -> list[tuple[str, int]]:
    return list(Policy.objects.order_by("position").values_list("title", "position"))


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_list_is_in_position_order_with_zendesk_envelope(
    admin_client: APIClient, suffix: str
) -> None:
    make_policy("B")
    make_policy("A", position=1)
    response = admin_client.get(f"/api/v2/slas/policies{suffix}", HTTP_HOST="help.example.org")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["sla_policies", "next_page", "previous_page", "count"]
    assert body["count"] == 2
    assert body["next_page"] is None
    assert body["previous_page"] is None
    assert [p["title"] for p in body["sla_policies"]] == ["A", "B"]
    first = body["sla_policies"][0]
    assert first["url"] == f"http://help.example.org/api/v2/slas/policies/{first['id']}.json"
    assert first["position"] == 1
    assert first["description"] is None
    assert ISO_Z.match(first["created_at"])
    assert ISO_Z.match(first["updated_at"])
    assert first["policy_metrics"] == [
        {
            "priority": "normal",
            "metric": "first_reply_time",
            "target": 60,
            "target_in_seconds": 3600,
            "business_hours": False,
        }
    ]


def test_list_query_count_does_not_grow_with_policies(
    admin_client: APIClient, django_assert_num_queries
) -> None:
    make_policy("first", metrics=[metric(), metric("high")])
    admin_client.get("/api/v2/slas/policies.json")  # warm the token's last_used_at write

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/api/v2/slas/policies.json").status_code == 200
        return len(captured)

    one = count_queries()
    for index in range(49):
        make_policy(f"policy {index}", metrics=[metric(), metric("urgent", minutes=5)])
    assert Policy.objects.count() == 50
    with django_assert_num_queries(one):
        body = admin_client.get("/api/v2/slas/policies.json").json()
    assert len(body["sla_policies"]) == 50


def test_offset_pagination_builds_absolute_urls_from_the_request(admin_client: APIClient) -> None:
    for index in range(5):
        make_policy(f"P{index}")
    response = admin_client.get(
        "/api/v2/slas/policies.json?per_page=2&page=2", HTTP_HOST="sla.example.net"
    )
    body = response.json()
    assert [p["title"] for p in body["sla_policies"]] == ["P2", "P3"]
    assert body["count"] == 5
    assert body["next_page"] == "http://sla.example.net/api/v2/slas/policies.json?page=3&per_page=2"
    assert (
        body["previous_page"]
        == "http://sla.example.net/api/v2/slas/policies.json?page=1&per_page=2"
    )
    last = admin_client.get(body["next_page"]).json()
    assert [p["title"] for p in last["sla_policies"]] == ["P4"]
    assert last["next_page"] is None


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "per_page=0", "per_page=101", "page=101&per_page=100", "page[size]=500"],
)
def test_bad_pagination_parameters_are_400(admin_client: APIClient, query: str) -> None:
    response = admin_client.get(f"/api/v2/slas/policies.json?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


def test_cursor_pagination_walks_forward_and_back(admin_client: APIClient) -> None:
    for index in range(5):
        make_policy(f"P{index}")
    body = admin_client.get("/api/v2/slas/policies.json?page[size]=2").json()
    assert [p["title"] for p in body["sla_policies"]] == ["P0", "P1"]
    assert body["meta"]["has_more"] is True
    assert body["links"]["prev"] is None
    seen = [p["title"] for p in body["sla_policies"]]
    while body["links"]["next"]:
        body = admin_client.get(body["links"]["next"]).json()
        seen += [p["title"] for p in body["sla_policies"]]
    assert seen == ["P0", "P1", "P2", "P3", "P4"]
    assert body["meta"]["has_more"] is False
    back = admin_client.get(body["links"]["prev"]).json()
    assert [p["title"] for p in back["sla_policies"]] == ["P2", "P3"]


def test_cursor_garbage_is_400(admin_client: APIClient) -> None:
    response = admin_client.get("/api/v2/slas/policies.json?page[after]=%%%")
    assert response.status_code == 400


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_show(admin_client: APIClient, suffix: str) -> None:
    policy = make_policy("Shown", description="d")
    response = admin_client.get(f"/api/v2/slas/policies/{policy.pk}{suffix}")
    assert response.status_code == 200
    assert response.json()["sla_policy"]["title"] == "Shown"
    assert response.json()["sla_policy"]["filter"] == {
        "all": [{"field": "type", "operator": "is", "value": "incident"}],
        "any": [],
    }


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_unknown_policy_is_404_record_not_found(admin_client: APIClient, method: str) -> None:
    response = getattr(admin_client, method)(
        "/api/v2/slas/policies/999999.json", {"sla_policy": {"title": "x"}}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_create_reproduces_the_seed_example(admin_client: APIClient, suffix: str) -> None:
    make_policy("one")
    make_policy("two")
    make_policy("three")
    response = admin_client.post(f"/api/v2/slas/policies{suffix}", SEED_CREATE, format="json")
    assert response.status_code == 201
    policy = response.json()["sla_policy"]
    assert response["Location"] == f"http://testserver/api/v2/slas/policies/{policy['id']}.json"
    assert policy["title"] == "Incidents"
    assert policy["position"] == 3
    assert policy["filter"] == SEED_CREATE["sla_policy"]["filter"]
    sent = SEED_CREATE["sla_policy"]["policy_metrics"]
    assert [
        {k: m[k] for k in ("priority", "metric", "target", "business_hours")}
        for m in policy["policy_metrics"]
    ] == sent
    assert [m["target_in_seconds"] for m in policy["policy_metrics"]] == [
        m["target"] * 60 for m in sent
    ]
    assert positions() == [("one", 1), ("two", 2), ("Incidents", 3), ("three", 4)]


def test_create_without_position_appends_last(admin_client: APIClient) -> None:
    make_policy("one")
    body = {"sla_policy": {"title": "last", "filter": {"all": [], "any": []}}}
    response = admin_client.post("/api/v2/slas/policies", body, format="json")
    assert response.json()["sla_policy"]["position"] == 2
    assert response.json()["sla_policy"]["policy_metrics"] == []


def test_create_beyond_the_end_appends(admin_client: APIClient) -> None:
    make_policy("one")
    body = {"sla_policy": {"title": "far", "position": 40, "filter": {"all": [], "any": []}}}
    assert (
        admin_client.post("/api/v2/slas/policies", body, format="json").json()["sla_policy"][
            "position"
        ]
        == 2
    )


def test_values_are_echoed_exactly_as_sent(admin_client: APIClient) -> None:
    brand = BrandFactory()
    conditions = [
        {"field": "brand_id", "operator": "is", "value": brand.pk},
        {"field": "via_id", "operator": "is", "value": "4"},
        {"field": "group_id", "operator": "is", "value": None},
        {"field": "current_tags", "operator": "includes", "value": "vip gold"},
    ]
    body = {"sla_policy": {"title": "t", "filter": {"all": conditions, "any": []}}}
    created = admin_client.post("/api/v2/slas/policies", body, format="json").json()["sla_policy"]
    assert created["filter"]["all"] == conditions
    shown = admin_client.get(f"/api/v2/slas/policies/{created['id']}").json()["sla_policy"]
    assert shown["filter"]["all"] == conditions


def test_target_in_seconds_wins_and_minutes_round_up(admin_client: APIClient) -> None:
    metrics = [
        {"priority": "low", "metric": "first_reply_time", "target": 2, "target_in_seconds": 90},
        {"priority": "high", "metric": "first_reply_time", "target_in_seconds": 30},
    ]
    body = {"sla_policy": {"title": "t", "filter": {"all": []}, "policy_metrics": metrics}}
    created = admin_client.post("/api/v2/slas/policies", body, format="json").json()["sla_policy"]
    assert [(m["target"], m["target_in_seconds"]) for m in created["policy_metrics"]] == [
        (2, 90),
        (1, 30),
    ]


def test_update_is_partial_like_zenpy_sends_it(admin_client: APIClient) -> None:
    policy = make_policy("Old", description="kept", metrics=[metric("urgent", minutes=10)])
    response = admin_client.put(
        f"/api/v2/slas/policies/{policy.pk}.json",
        {"sla_policy": {"id": policy.pk, "title": "New"}},
        format="json",
    )
    assert response.status_code == 200
    updated = response.json()["sla_policy"]
    assert updated["title"] == "New"
    assert updated["description"] == "kept"
    assert updated["filter"]["all"][0]["value"] == "incident"
    assert updated["policy_metrics"][0]["target"] == 10


def test_an_update_that_changes_nothing_writes_nothing(admin_client: APIClient) -> None:
    """Configuration tools send each policy back as they read it, on every sync."""
    from policies.models import PolicyRevision
    from tickets.models import SlaRecompute

    policy = make_policy("P", description="kept", metrics=[metric("urgent", minutes=10)])
    # Saved long ago: a write now would show in updated_at.
    Policy.objects.filter(pk=policy.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    url = f"/api/v2/slas/policies/{policy.pk}.json"
    shown = admin_client.get(url).json()["sla_policy"]
    assert shown["updated_at"] == "2020-01-01T00:00:00Z"
    revisions, runs = PolicyRevision.objects.count(), SlaRecompute.objects.count()
    for body in ({}, shown, {"title": "P", "position": shown["position"]}):
        response = admin_client.put(url, {"sla_policy": body}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["sla_policy"] == shown  # updated_at included
    assert (PolicyRevision.objects.count(), SlaRecompute.objects.count()) == (revisions, runs)
    changed = admin_client.put(url, {"sla_policy": {"title": "Q"}}, format="json").json()
    assert changed["sla_policy"]["title"] == "Q"
    assert PolicyRevision.objects.count() == revisions + 1


def test_update_replaces_the_whole_filter_and_metric_list(admin_client: APIClient) -> None:
    policy = make_policy("P", metrics=[metric("low"), metric("high")])
    body = {
        "sla_policy": {
            "filter": {"any": [{"field": "ticket_type_id", "operator": "is", "value": 2}]},
            "policy_metrics": [{"priority": "urgent", "metric": "next_reply_time", "target": 5}],
        }
    }
    updated = admin_client.put(f"/api/v2/slas/policies/{policy.pk}", body, format="json").json()[
        "sla_policy"
    ]
    assert updated["filter"] == {
        "all": [],
        "any": [{"field": "ticket_type_id", "operator": "is", "value": 2}],
    }
    assert [(m["priority"], m["metric"]) for m in updated["policy_metrics"]] == [
        ("urgent", "next_reply_time")
    ]


def test_update_can_clear_the_description(admin_client: APIClient) -> None:
    policy = make_policy("P", description="something")
    body = {"sla_policy": {"description": None}}
    updated = admin_client.put(f"/api/v2/slas/policies/{policy.pk}", body, format="json").json()
    assert updated["sla_policy"]["description"] is None


@pytest.mark.parametrize(
    ("title", "position", "expected"),
    [
        ("d", 1, ["d", "a", "b", "c"]),
        ("a", 4, ["b", "c", "d", "a"]),
        ("b", 3, ["a", "c", "b", "d"]),
        ("c", 99, ["a", "b", "d", "c"]),
    ],
)
def test_update_position_moves_and_shifts(
    admin_client: APIClient, title: str, position: int, expected: list[str]
) -> None:
    policies = {name: make_policy(name) for name in "abcd"}
    body = {"sla_policy": {"position": position}}
    admin_client.put(f"/api/v2/slas/policies/{policies[title].pk}", body, format="json")
    assert [name for name, _ in positions()] == expected
    assert [p for _, p in positions()] == [1, 2, 3, 4]


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_delete_is_204_empty_and_closes_the_gap(admin_client: APIClient, suffix: str) -> None:
    a, b, c = make_policy("a"), make_policy("b"), make_policy("c")
    response = admin_client.delete(f"/api/v2/slas/policies/{b.pk}{suffix}")
    assert response.status_code == 204
    assert response.content == b""
    assert positions() == [("a", 1), ("c", 2)]
    assert a.pk
    assert c.pk


def test_delete_accepts_a_json_body(admin_client: APIClient) -> None:
    policy = make_policy("a")
    response = admin_client.delete(
        f"/api/v2/slas/policies/{policy.pk}.json",
        json.dumps({"sla_policy": {"id": policy.pk}}),
        content_type="application/json",
    )
    assert response.status_code == 204
    assert not Policy.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v2/slas/policies/{id}.json"),
        ("post", "/api/v2/slas/policies/{id}.json"),
        ("delete", "/api/v2/slas/policies.json"),
        ("put", "/api/v2/slas/policies"),
        ("get", "/api/v2/slas/policies/reorder.json"),
        ("post", "/api/v2/slas/policies/definitions"),
    ],
)
def test_other_methods_are_405(admin_client: APIClient, method: str, path: str) -> None:
    policy = make_policy("a")
    response = getattr(admin_client, method)(path.format(id=policy.pk), {}, format="json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "InvalidEndpoint"
    assert "Allow" in response


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"sla_policy": ',
        b"[]",
        b'"text"',
        b'{"title": "no root"}',
        b'{"sla_policy": []}',
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(admin_client: APIClient, raw: bytes) -> None:
    response = admin_client.post("/api/v2/slas/policies", raw, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error", "description"}
    assert not Policy.objects.exists()


def test_non_json_content_type_is_a_clear_4xx(admin_client: APIClient) -> None:
    response = admin_client.post("/api/v2/slas/policies", "title=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"] == "UnsupportedMediaType"


def test_unknown_api_paths_answer_json_404(admin_client: APIClient) -> None:
    response = admin_client.get("/api/v2/nothing/here.json")
    assert response.status_code == 404
    assert response.json()["error"] == "InvalidEndpoint"
    assert admin_client.get("/api/v2/slas/policies/99999999999999999999.json").status_code == 404


@pytest.mark.parametrize(
    "sent",
    [
        [{"target": 45}],
        [{"priority": "high", "target": 45}],
        [{"metric": "first_reply_time", "target": 45}],
        [
            {
                "priority": "high",
                "metric": "first_reply_time",
                "target": 45,
                "target_in_seconds": 3600,
            }
        ],
    ],
)
def test_partial_update_with_incomplete_or_contradictory_metrics_is_422(
    admin_client: APIClient, sent: list[dict]
) -> None:
    """zenpy sends only the edited keys of a nested metric; that must not pass as a metric."""
    policy = make_policy("P", metrics=[metric("high", minutes=60)])
    response = admin_client.put(
        f"/api/v2/slas/policies/{policy.pk}.json",
        {"sla_policy": {"id": policy.pk, "policy_metrics": sent}},
        format="json",
    )
    assert response.status_code == 422
    assert "policy_metrics" in response.json()["details"]
    assert policy.metrics.get().target_seconds == 3600


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"sla_policy": {"title": "nul\\u0000", "filter": {"all": []}}}',
        b'{"sla_policy": {"title": "t", "filter": {"all": [{"field": "current_tags", '
        b'"operator": "includes", "value": "a\\u0000b"}]}}}',
        b'{"sla_policy\\u0000": {}}',
    ],
)
def test_hostile_bodies_are_400_not_500(admin_client: APIClient, raw: bytes) -> None:
    response = admin_client.post("/api/v2/slas/policies", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidJSON"
    assert not Policy.objects.exists()


@pytest.mark.parametrize(
    "cursor", ["WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAsIDFd", "WzEuNSwgMV0", "W3RydWUsIDFd"]
)
def test_out_of_range_cursors_are_400(admin_client: APIClient, cursor: str) -> None:
    response = admin_client.get(f"/api/v2/slas/policies.json?page[after]={cursor}")
    assert response.status_code == 400
