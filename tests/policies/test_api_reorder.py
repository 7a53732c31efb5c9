from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def abcd(db: None) -> dict[str, Policy]:
    return {name: make_policy(name) for name in "abcd"}


def order() -> list[str]:
    return list(Policy.objects.order_by("position").values_list("title", flat=True))


def assert_permutation() -> None:
    assert sorted(Policy.objects.values_list("position", flat=True)) == list(
        range(1, Policy.objects.count() + 1)
    )


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_reorder_from_the_json_body(admin_client: APIClient, abcd: dict, suffix: str) -> None:
    ids = [abcd[n].pk for n in "dcba"]
    response = admin_client.put(
        f"/api/v2/slas/policies/reorder{suffix}", {"sla_policy_ids": ids}, format="json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b"null"
    assert order() == ["d", "c", "b", "a"]
    assert_permutation()


def test_a_subset_goes_first_and_the_rest_keep_their_order(
    admin_client: APIClient, abcd: dict
) -> None:
    ids = [abcd["c"].pk, abcd["a"].pk]
    admin_client.put("/api/v2/slas/policies/reorder.json", {"sla_policy_ids": ids}, format="json")
    assert order() == ["c", "a", "b", "d"]
    assert_permutation()


@pytest.mark.parametrize(
    "query",
    [
        "sla_policy_ids[]={d}&sla_policy_ids[]={b}",
        "sla_policy_ids={d}&sla_policy_ids={b}",
        "sla_policy_ids={d},{b}",
    ],
)
def test_reorder_from_the_query_string(admin_client: APIClient, abcd: dict, query: str) -> None:
    url = "/api/v2/slas/policies/reorder?" + query.format(d=abcd["d"].pk, b=abcd["b"].pk)
    response = admin_client.put(url)
    assert response.status_code == 200
    assert order() == ["d", "b", "a", "c"]


@pytest.mark.parametrize(
    "ids",
    [
        [999999],
        ["x"],
        [True],
        [1.5],
        [None],
        "1,2",
        {"a": 1},
    ],
)
def test_bad_ids_are_422_and_change_nothing(
    admin_client: APIClient, abcd: dict, ids: object
) -> None:
    payload = {"sla_policy_ids": ids}
    if ids == [999999]:
        payload = {"sla_policy_ids": [abcd["d"].pk, 999999]}
    response = admin_client.put("/api/v2/slas/policies/reorder.json", payload, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert "sla_policy_ids" in body["details"]
    assert order() == ["a", "b", "c", "d"]


def test_duplicate_ids_are_422(admin_client: APIClient, abcd: dict) -> None:
    ids = [abcd["b"].pk, abcd["b"].pk]
    response = admin_client.put(
        "/api/v2/slas/policies/reorder", {"sla_policy_ids": ids}, format="json"
    )
    assert response.status_code == 422
    assert order() == ["a", "b", "c", "d"]


def test_missing_ids_are_422(admin_client: APIClient, abcd: dict) -> None:
    response = admin_client.put("/api/v2/slas/policies/reorder", {}, format="json")
    assert response.status_code == 422
    assert response.json()["details"]["sla_policy_ids"][0]["error"] == "BlankValue"


def test_empty_list_keeps_the_order(admin_client: APIClient, abcd: dict) -> None:
    response = admin_client.put(
        "/api/v2/slas/policies/reorder", {"sla_policy_ids": []}, format="json"
    )
    assert response.status_code == 200
    assert order() == ["a", "b", "c", "d"]


def test_reorder_query_count_is_constant(
    admin_client: APIClient, abcd: dict, django_assert_max_num_queries
) -> None:
    for index in range(40):
        make_policy(f"extra {index}")
    ids = list(Policy.objects.order_by("-position").values_list("pk", flat=True))
    with django_assert_max_num_queries(20):
        response = admin_client.put(
            "/api/v2/slas/policies/reorder", {"sla_policy_ids": ids}, format="json"
        )
    assert response.status_code == 200
    assert_permutation()
