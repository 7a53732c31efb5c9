"""Zendesk's Group SLA Policies API: every endpoint, Zendesk's example bodies, positions,
reorder, errors that write nothing, who may call it, and the revision each write records."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from policies import services
from policies.models import GroupSlaPolicy, PolicyRevision
from tests.factories import GroupFactory
from tests.zendesk_oas import zendesk_components

pytestmark = pytest.mark.django_db

LIST = "/api/v2/group_slas/policies"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXAMPLES = zendesk_components()["examples"]


@pytest.fixture(autouse=True)
def groups(db: None) -> None:
    # The groups Zendesk's examples name.
    GroupFactory(id=6, name="Tier 1")
    GroupFactory(id=7, name="Tier 2")


def example(name: str) -> dict[str, Any]:
    """A Zendesk example's policy as a request body: without the read-only keys."""
    policy = copy.deepcopy(EXAMPLES[name]["value"]["group_sla_policy"])
    for key in ("id", "url", "created_at", "updated_at", "position"):
        policy.pop(key, None)
    return policy


def group_filter(*ids: int, operator: str = "includes") -> dict[str, Any]:
    return {"all": [{"field": "group_id", "operator": operator, "value": list(ids)}]}


def target(priority: str, seconds: int, business_hours: bool = False) -> dict[str, Any]:
    return {
        "priority": priority,
        "metric": "group_ownership_time",
        "target": seconds,
        "business_hours": business_hours,
    }


def make(title: str, *, position: int | None = None) -> GroupSlaPolicy:
    return services.group_sla_policy_create(
        title=title,
        description=None,
        filter=group_filter(6),
        policy_metrics=[{"priority": "low", "target_seconds": 3600, "business_hours": False}],
        position=position,
        now=NOW,
    )


def order() -> list[str]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("title", flat=True))


def positions() -> list[int]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("position", flat=True))


def written() -> tuple[Any, ...]:
    """Everything a write could change."""
    policies = [
        (
            p.pk,
            p.title,
            p.description,
            p.position,
            p.filter,
            [(m.priority, m.target_seconds, m.business_hours) for m in p.metrics.all()],
        )
        for p in GroupSlaPolicy.objects.order_by("pk").prefetch_related("metrics")
    ]
    return (policies, PolicyRevision.objects.count())


# Zendesk's examples -----------------------------------------------------------------------------


def test_create_answers_zendesks_create_example(admin_client: APIClient) -> None:
    body = example("GroupSLAPolicyCreateResponse")
    # The example's filter names "group_ownership_time", the metric, where every other example
    # and the reference name the field, "group_id"; sent as the reference documents it.
    assert body["filter"]["all"][0]["field"] == "group_ownership_time"
    body["filter"]["all"][0]["field"] = "group_id"

    response = admin_client.post(f"{LIST}.json", {"group_sla_policy": body}, format="json")

    assert response.status_code == 201, response.json()
    policy = response.json()["group_sla_policy"]
    assert {key: policy[key] for key in body} == body
    assert policy["position"] == 1
    assert policy["id"] == GroupSlaPolicy.objects.get().pk
    assert len(policy["id"]) == 26
    assert policy["url"] == f"http://testserver/api/v2/group_slas/policies/{policy['id']}.json"
    assert response["Location"] == policy["url"]
    assert policy["policy_metrics"] == [target("normal", 1800), target("urgent", 600)]


def test_show_answers_zendesks_show_example(admin_client: APIClient) -> None:
    body = example("GroupSLAPolicyResponseExample")
    created = admin_client.post(LIST, {"group_sla_policy": body}, format="json").json()
    policy_id = created["group_sla_policy"]["id"]

    response = admin_client.get(f"{LIST}/{policy_id}.json")

    assert response.status_code == 200
    policy = response.json()["group_sla_policy"]
    assert {key: policy[key] for key in body} == body
    assert list(policy) == [
        "url",
        "id",
        "title",
        "description",
        "position",
        "filter",
        "policy_metrics",
        "created_at",
        "updated_at",
    ]
    assert policy == created["group_sla_policy"]


def test_update_answers_zendesks_update_example(admin_client: APIClient) -> None:
    policy = make("Incidents")
    body = example("GroupSLAPolicyUpdateResponse")

    response = admin_client.put(
        f"{LIST}/{policy.pk}.json", {"group_sla_policy": body}, format="json"
    )

    assert response.status_code == 200, response.json()
    answered = response.json()["group_sla_policy"]
    assert {key: answered[key] for key in body} == body
    assert answered["filter"] == group_filter(6, 7)
    assert answered["position"] == 1
    assert GroupSlaPolicy.objects.get().title == "Urgent Incidents"


def test_list_answers_zendesks_envelope_in_position_order(admin_client: APIClient) -> None:
    make("B")
    make("A", position=1)
    make("C")

    response = admin_client.get(f"{LIST}.json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"group_sla_policies", "count", "next_page", "previous_page"}
    assert [p["title"] for p in body["group_sla_policies"]] == ["A", "B", "C"]
    assert [p["position"] for p in body["group_sla_policies"]] == [1, 2, 3]
    assert body["count"] == 3
    assert body["next_page"] is None
    assert body["previous_page"] is None


def test_list_pages_by_offset_and_cursor(admin_client: APIClient) -> None:
    for title in "ABC":
        make(title)
    first = admin_client.get(f"{LIST}.json?per_page=2").json()
    assert [p["title"] for p in first["group_sla_policies"]] == ["A", "B"]
    second = admin_client.get(first["next_page"]).json()
    assert [p["title"] for p in second["group_sla_policies"]] == ["C"]

    page = admin_client.get(f"{LIST}.json?page[size]=2").json()
    assert [p["title"] for p in page["group_sla_policies"]] == ["A", "B"]
    rest = admin_client.get(page["links"]["next"]).json()
    assert [p["title"] for p in rest["group_sla_policies"]] == ["C"]
    assert rest["meta"]["has_more"] is False


def test_definitions_list_the_accounts_groups(admin_client: APIClient) -> None:
    response = admin_client.get(f"{LIST}/definitions.json")

    assert response.status_code == 200
    (item,) = response.json()["definitions"]["all"]
    assert set(response.json()["definitions"]) == {"all"}
    expected = copy.deepcopy(
        EXAMPLES["GroupSLAPolicyFilterDefinitionResponseExample"]["value"]["definitions"]["all"][0]
    )
    expected["values"]["list"].append({"title": "Tier 2", "value": 7})
    assert item == expected


# Positions -------------------------------------------------------------------------------------


def test_create_without_position_goes_last_and_with_one_is_inserted(
    admin_client: APIClient,
) -> None:
    make("A")
    make("B")
    for title, position in (("Last", None), ("First", 1), ("Beyond", 99)):
        body: dict[str, Any] = {"title": title, "filter": group_filter(6)}
        if position is not None:
            body["position"] = position
        response = admin_client.post(LIST, {"group_sla_policy": body}, format="json")
        assert response.status_code == 201, response.json()
    assert order() == ["First", "A", "B", "Last", "Beyond"]
    assert positions() == [1, 2, 3, 4, 5]


def test_update_moves_the_policy_and_keeps_positions_whole(admin_client: APIClient) -> None:
    a, _, _ = make("A"), make("B"), make("C")
    response = admin_client.put(
        f"{LIST}/{a.pk}", {"group_sla_policy": {"position": 3}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["group_sla_policy"]["position"] == 3
    assert order() == ["B", "C", "A"]
    assert positions() == [1, 2, 3]


def test_a_partial_update_keeps_what_it_does_not_send(admin_client: APIClient) -> None:
    policy = make("A")
    response = admin_client.put(
        f"{LIST}/{policy.pk}.json",
        {"group_sla_policy": {"description": "Tier 1 hands on within the hour"}},
        format="json",
    )
    answered = response.json()["group_sla_policy"]
    assert answered["title"] == "A"
    assert answered["filter"] == group_filter(6)
    assert answered["policy_metrics"] == [target("low", 3600)]
    assert answered["description"] == "Tier 1 hands on within the hour"


def test_an_update_that_changes_nothing_writes_nothing(admin_client: APIClient) -> None:
    policy = make("A")
    GroupSlaPolicy.objects.filter(pk=policy.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    url = f"{LIST}/{policy.pk}.json"
    shown = admin_client.get(url).json()["group_sla_policy"]
    revisions = PolicyRevision.objects.count()
    for body in ({}, shown):
        response = admin_client.put(url, {"group_sla_policy": body}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["group_sla_policy"] == shown
    assert PolicyRevision.objects.count() == revisions
    admin_client.put(url, {"group_sla_policy": {"title": "B"}}, format="json")
    assert PolicyRevision.objects.count() == revisions + 1


def test_targets_are_replaced_whole_in_business_hours_too(admin_client: APIClient) -> None:
    policy = make("A")
    metrics = [target("urgent", 14400, business_hours=True), target("low", 90)]
    response = admin_client.put(
        f"{LIST}/{policy.pk}.json",
        {"group_sla_policy": {"policy_metrics": metrics}},
        format="json",
    )
    assert response.json()["group_sla_policy"]["policy_metrics"] == metrics
    assert [(m.priority, m.target_seconds, m.business_hours) for m in policy.metrics.all()] == [
        ("urgent", 14400, True),
        ("low", 90, False),
    ]


def test_delete_answers_204_and_closes_the_gap(admin_client: APIClient) -> None:
    _, b, _ = make("A"), make("B"), make("C")
    response = admin_client.delete(f"{LIST}/{b.pk}.json")
    assert response.status_code == 204
    assert response.content == b""
    assert order() == ["A", "C"]
    assert positions() == [1, 2]
    assert admin_client.get(f"{LIST}/{b.pk}.json").status_code == 404


# Reorder ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_reorder_from_the_json_body(admin_client: APIClient, suffix: str) -> None:
    a, b, c = make("A"), make("B"), make("C")
    response = admin_client.put(
        f"{LIST}/reorder{suffix}", {"group_sla_policy_ids": [c.pk, b.pk, a.pk]}, format="json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b"null"
    assert order() == ["C", "B", "A"]
    assert positions() == [1, 2, 3]


@pytest.mark.parametrize(
    "query",
    [
        "group_sla_policy_ids[]={c}&group_sla_policy_ids[]={a}",
        "group_sla_policy_ids={c}&group_sla_policy_ids={a}",
        "group_sla_policy_ids={c},{a}",
    ],
)
def test_reorder_from_the_query_lists_first_and_keeps_the_rest(
    admin_client: APIClient, query: str
) -> None:
    a, _, c = make("A"), make("B"), make("C")
    response = admin_client.put(f"{LIST}/reorder.json?" + query.format(a=a.pk, c=c.pk))
    assert response.status_code == 200
    assert order() == ["C", "A", "B"]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (
            ["01H078CBDY28BZG7P6BQNY09DN"],
            "unknown group SLA policy ids: 01H078CBDY28BZG7P6BQNY09DN",
        ),
        ([6], "6 is not an id"),
        ([None], "None is not an id"),
        ([""], "'' is not an id"),
        ("{a}", "must be an array of ids"),
        (["{a}", "{a}"], "each id may appear once"),
        (None, "is required"),
    ],
)
def test_bad_reorders_are_422_and_change_nothing(
    admin_client: APIClient, ids: Any, message: str
) -> None:
    a = make("A")
    make("B")
    before = written()
    if isinstance(ids, list):
        ids = [item.format(a=a.pk) if isinstance(item, str) else item for item in ids]
    elif isinstance(ids, str):
        ids = ids.format(a=a.pk)
    body = {} if ids is None else {"group_sla_policy_ids": ids}

    response = admin_client.put(f"{LIST}/reorder.json", body, format="json")

    assert response.status_code == 422, response.content
    assert response.json()["error"] == "RecordInvalid"
    (detail,) = response.json()["details"]["group_sla_policy_ids"]
    assert message in detail["description"]
    assert written() == before


# Errors write nothing --------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "title": "Tier 1",
    "filter": group_filter(6),
    "policy_metrics": [target("high", 3600)],
}


@pytest.mark.parametrize(
    ("change", "field", "description"),
    [
        ({"title": None}, "title", "Title: This field may not be null."),
        ({"title": ""}, "title", "Title: This field may not be blank."),
        ({"title": "x" * 256}, "title", "Title: Ensure this field has no more than 255"),
        ({"filter": None}, "filter", "Filter: This field may not be null."),
        ({"filter": []}, "filter", "Filter: must be an object with an 'all' array"),
        ({"filter": {"all": []}}, "filter", "Filter: all must hold at least one group_id"),
        ({"filter": {"all": {}}}, "filter", "Filter: all must be an array of conditions"),
        ({"filter": {"none": []}}, "filter", "Filter: unknown key(s) none"),
        (
            {"filter": {**group_filter(6), "any": group_filter(7)["all"]}},
            "filter",
            "Filter: group SLA policies take conditions in 'all' only",
        ),
        (
            {"filter": {"all": [{"field": "status", "operator": "is", "value": "open"}]}},
            "filter",
            "Filter: all[0]: 'status' is not a valid field",
        ),
        (
            {"filter": {"all": [{"field": "group_id", "operator": "is", "value": [6]}]}},
            "filter",
            "Filter: all[0]: 'is' is not a valid operator for 'group_id' (allowed: includes, "
            "not_includes)",
        ),
        ({"filter": group_filter(6, 99)}, "filter", "Filter: all[0]: 99 is not a valid value"),
        ({"filter": group_filter()}, "filter", "Filter: all[0]: value for 'group_id' must list"),
        (
            {"filter": {"all": [{"field": "group_id", "operator": "includes", "value": 6}]}},
            "filter",
            "Filter: all[0]: value for 'group_id' must be an array of group ids",
        ),
        (
            {"filter": {"all": [{"field": "group_id", "operator": "includes"}]}},
            "filter",
            "Filter: all[0]: value is required for field 'group_id'",
        ),
        (
            {"policy_metrics": [target("high", 60), target("high", 120)]},
            "policy_metrics",
            "Policy metrics: each priority may have one target; repeated: high",
        ),
        (
            {"policy_metrics": [{**target("high", 60), "metric": "first_reply_time"}]},
            "policy_metrics",
            'Policy metrics[0].metric: "first_reply_time" is not a valid choice',
        ),
        (
            {"policy_metrics": [{**target("high", 60), "priority": "critical"}]},
            "policy_metrics",
            'Policy metrics[0].priority: "critical" is not a valid choice.',
        ),
        (
            {"policy_metrics": [target("high", 0)]},
            "policy_metrics",
            "Policy metrics[0].target: Ensure this value is greater than or equal to 1.",
        ),
        (
            {"policy_metrics": [target("high", 400 * 86400)]},
            "policy_metrics",
            "Policy metrics[0].target: Ensure this value is less than or equal to",
        ),
        (
            {"policy_metrics": [{**target("high", 60), "target": "sixty"}]},
            "policy_metrics",
            "Policy metrics[0].target: A valid integer is required.",
        ),
        (
            {"policy_metrics": [{**target("high", 60), "target": 1.5}]},
            "policy_metrics",
            "Policy metrics[0].target: A valid integer is required.",
        ),
        (
            {"policy_metrics": [{**target("high", 60), "business_hours": "yes"}]},
            "policy_metrics",
            "Policy metrics[0].business hours: Must be a valid boolean.",
        ),
        (
            {"policy_metrics": [{"priority": "high", "metric": "group_ownership_time"}]},
            "policy_metrics",
            "Policy metrics[0].target: This field is required.",
        ),
        (
            {"policy_metrics": {}},
            "policy_metrics",
            'Expected a list of items but got type "dict"',
        ),
        ({"position": 0}, "position", "Position: Ensure this value is greater than or equal"),
        ({"position": "first"}, "position", "Position: A valid integer is required."),
    ],
)
def test_invalid_creates_and_updates_are_422_and_write_nothing(
    admin_client: APIClient, change: dict[str, Any], field: str, description: str
) -> None:
    existing = make("Existing")
    before = written()
    body = {**VALID, **change}

    created = admin_client.post(f"{LIST}.json", {"group_sla_policy": body}, format="json")
    updated = admin_client.put(
        f"{LIST}/{existing.pk}.json", {"group_sla_policy": change}, format="json"
    )

    for response in (created, updated):
        assert response.status_code == 422, response.content
        answer = response.json()
        assert answer["error"] == "RecordInvalid"
        assert answer["description"] == "Record validation errors"
        assert any(description in d["description"] for d in answer["details"][field]), answer
    assert written() == before


@pytest.mark.parametrize("missing", ["title", "filter"])
def test_create_requires_title_and_filter(admin_client: APIClient, missing: str) -> None:
    body = {key: value for key, value in VALID.items() if key != missing}
    response = admin_client.post(LIST, {"group_sla_policy": body}, format="json")
    assert response.status_code == 422
    assert response.json()["details"][missing] == [
        {"description": f"{missing.capitalize()}: This field is required.", "error": "BlankValue"}
    ]
    assert not GroupSlaPolicy.objects.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{not json", "InvalidJSON"),
        ('{"sla_policy": {}}', "InvalidRequest"),
        ('{"group_sla_policy": []}', "InvalidRequest"),
        ("[]", "InvalidRequest"),
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(
    admin_client: APIClient, body: str, error: str
) -> None:
    existing = make("Existing")
    before = written()
    for response in (
        admin_client.post(LIST, body, content_type="application/json"),
        admin_client.put(f"{LIST}/{existing.pk}", body, content_type="application/json"),
    ):
        assert response.status_code == 400, response.content
        assert response.json()["error"] == error
    assert written() == before


def test_unknown_ids_are_record_not_found(admin_client: APIClient) -> None:
    make("A")
    before = written()
    unknown = f"{LIST}/01H078CBDY28BZG7P6BQNY09DN.json"
    for response in (
        admin_client.get(unknown),
        # Not found comes before validation, as for SLA policies.
        admin_client.put(unknown, {"group_sla_policy": {"title": ""}}, format="json"),
        admin_client.delete(unknown),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert written() == before


def test_an_id_that_is_no_ulid_is_no_route(admin_client: APIClient) -> None:
    response = admin_client.get(f"{LIST}/12345.json")
    assert response.status_code == 404
    assert response.json()["error"] == "InvalidEndpoint"


# Who may call ----------------------------------------------------------------------------------


def calls(policy_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("get", f"{LIST}.json", None),
        ("post", f"{LIST}.json", {"group_sla_policy": VALID}),
        ("get", f"{LIST}/{policy_id}.json", None),
        ("put", f"{LIST}/{policy_id}.json", {"group_sla_policy": {"title": "Mine"}}),
        ("delete", f"{LIST}/{policy_id}.json", None),
        ("put", f"{LIST}/reorder.json", {"group_sla_policy_ids": [policy_id]}),
        ("get", f"{LIST}/definitions.json", None),
    ]


def test_agents_are_forbidden_and_change_nothing(agent_client: APIClient) -> None:
    policy = make("A")
    before = written()
    for method, path, body in calls(policy.pk):
        response = getattr(agent_client, method)(path, body, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["title"] == "Forbidden"
    assert written() == before


def test_anonymous_callers_are_401() -> None:
    policy = make("A")
    client = APIClient()
    for method, path, body in calls(policy.pk):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 401, (method, path)
        assert response.json() == {"error": "Couldn't authenticate you"}


# Revisions -------------------------------------------------------------------------------------


def latest_revision() -> PolicyRevision:
    revision = PolicyRevision.objects.order_by("-id").first()
    assert revision is not None
    return revision


def test_every_write_records_a_revision_with_the_group_policies(admin_client: APIClient) -> None:
    def one_more_revision(before: int) -> list[dict[str, Any]]:
        assert PolicyRevision.objects.count() == before + 1
        return latest_revision().group_policies

    count = PolicyRevision.objects.count()
    created = admin_client.post(
        LIST, {"group_sla_policy": {**VALID, "title": "A"}}, format="json"
    ).json()["group_sla_policy"]
    snapshot = one_more_revision(count)
    assert snapshot == [
        {
            "id": created["id"],
            "title": "A",
            "description": None,
            "position": 1,
            "filter": group_filter(6),
            "policy_metrics": [target("high", 3600)],
        }
    ]

    count = PolicyRevision.objects.count()
    second = admin_client.post(
        LIST, {"group_sla_policy": {**VALID, "title": "B"}}, format="json"
    ).json()["group_sla_policy"]
    assert [p["title"] for p in one_more_revision(count)] == ["A", "B"]

    count = PolicyRevision.objects.count()
    admin_client.put(
        f"{LIST}/{created['id']}",
        {"group_sla_policy": {"filter": group_filter(7, operator="not_includes")}},
        format="json",
    )
    assert one_more_revision(count)[0]["filter"] == group_filter(7, operator="not_includes")

    count = PolicyRevision.objects.count()
    admin_client.put(f"{LIST}/reorder", {"group_sla_policy_ids": [second["id"]]}, format="json")
    assert [(p["title"], p["position"]) for p in one_more_revision(count)] == [
        ("B", 1),
        ("A", 2),
    ]

    count = PolicyRevision.objects.count()
    admin_client.delete(f"{LIST}/{second['id']}")
    assert [(p["title"], p["position"]) for p in one_more_revision(count)] == [("A", 1)]


def test_a_reorder_that_changes_nothing_records_nothing(admin_client: APIClient) -> None:
    a, b = make("A"), make("B")
    count = PolicyRevision.objects.count()
    response = admin_client.put(
        f"{LIST}/reorder", {"group_sla_policy_ids": [a.pk, b.pk]}, format="json"
    )
    assert response.status_code == 200
    assert PolicyRevision.objects.count() == count
