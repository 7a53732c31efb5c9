"""The server side of the policy pages: the reorder view with its conflict check, the shadowing
check, clone, and the editor's validation errors placed by condition row and target cell."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policies import services
from policies.models import Policy, PolicyRevision
from tests.factories import UserFactory, make_policy, metric

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
REORDER = "/admin/policies/policy/reorder/"
SHADOWING = "/admin/policies/policy/shadowing/"
INCIDENT = {"field": "type", "operator": "is", "value": "incident"}
EVERYTHING: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}


def signed_in(role: str, **client_options: Any) -> Client:
    user = UserFactory(role=role, email=f"{role}-pages@example.com")
    client = Client(**client_options)
    assert client.login(username=user.email, password=PASSWORD)
    return client


def titles() -> list[str]:
    return list(Policy.objects.order_by("position").values_list("title", flat=True))


def ids_in_order() -> list[int]:
    return list(Policy.objects.order_by("position").values_list("pk", flat=True))


def post_json(client: Client, url: str, body: Any, **extra: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def abc() -> list[Policy]:
    # Different filters, so none of them shadows another.
    return [
        make_policy(name, filter={"all": [{**INCIDENT, "value": kind}], "any": []})
        for name, kind in zip("abc", ["incident", "question", "task"], strict=True)
    ]


# Reorder ---------------------------------------------------------------------------------


def test_reorder_saves_the_order_and_records_a_revision(abc: list[Policy]) -> None:
    a, b, c = abc
    revisions = PolicyRevision.objects.count()
    response = post_json(
        signed_in("admin"), REORDER, {"order": [c.pk, a.pk, b.pk], "expected": ids_in_order()}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"order": [c.pk, a.pk, b.pk], "shadowed": {}}
    assert titles() == ["c", "a", "b"]
    # A revision is what makes the recompute of open tickets run.
    assert PolicyRevision.objects.count() == revisions + 1


def test_reorder_answers_with_the_policies_that_can_never_match(abc: list[Policy]) -> None:
    a, b, c = abc
    catch_all = make_policy("catch-all", filter=EVERYTHING)
    response = post_json(
        signed_in("admin"),
        REORDER,
        {"order": [a.pk, catch_all.pk, b.pk, c.pk], "expected": ids_in_order()},
    )
    assert response.json()["shadowed"] == {str(b.pk): "catch-all", str(c.pk): "catch-all"}


def test_reorder_needs_the_csrf_token(abc: list[Policy]) -> None:
    client = signed_in("admin", enforce_csrf_checks=True)
    body = {"order": [p.pk for p in reversed(abc)], "expected": ids_in_order()}
    assert post_json(client, REORDER, body).status_code == 403
    assert titles() == ["a", "b", "c"]
    page = client.get("/admin/policies/policy/")
    token = page.context["csrf_token"]
    assert post_json(client, REORDER, body, HTTP_X_CSRFTOKEN=str(token)).status_code == 200
    assert titles() == ["c", "b", "a"]


def test_agents_may_not_reorder(abc: list[Policy]) -> None:
    body = {"order": [p.pk for p in reversed(abc)], "expected": ids_in_order()}
    response = post_json(signed_in("agent"), REORDER, body)
    assert response.status_code == 403
    assert titles() == ["a", "b", "c"]


def test_signed_out_visitors_are_sent_to_sign_in(abc: list[Policy]) -> None:
    response = post_json(Client(), REORDER, {"order": [], "expected": []})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_reorder_takes_only_post(abc: list[Policy]) -> None:
    assert signed_in("admin").get(REORDER).status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [1, 2, 3],
        {"order": "1,2,3", "expected": "{expected}"},
        {"order": ["1", "2", "3"], "expected": "{expected}"},
        {"order": [True, False, True], "expected": "{expected}"},
        {"order": "{first_twice}", "expected": "{expected}"},
        {"order": "{with_unknown}", "expected": "{expected}"},
        {"order": "{missing_one}", "expected": "{expected}"},
        {"order": "{expected}"},
    ],
)
def test_bad_ids_are_refused_and_change_nothing(abc: list[Policy], body: Any) -> None:
    expected = ids_in_order()
    values = {
        "{expected}": expected,
        "{first_twice}": [expected[0], expected[0], expected[1]],
        "{with_unknown}": [*expected[:2], 999_999],
        "{missing_one}": expected[:2],
    }
    if isinstance(body, dict):
        body = {
            key: values[value] if isinstance(value, str) and value in values else value
            for key, value in body.items()
        }
    raw = body if isinstance(body, str) else json.dumps(body)
    response = signed_in("admin").post(REORDER, raw, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]
    assert titles() == ["a", "b", "c"]


def test_an_order_changed_elsewhere_is_a_conflict_and_is_not_overwritten(
    abc: list[Policy],
) -> None:
    a, b, c = abc
    client = signed_in("admin")
    seen = ids_in_order()
    services.policy_reorder(policy_ids=[b.pk, a.pk, c.pk])  # another admin, meanwhile
    response = post_json(client, REORDER, {"order": [c.pk, a.pk, b.pk], "expected": seen})
    assert response.status_code == 409
    assert response.json()["order"] == [b.pk, a.pk, c.pk]
    assert "Another admin" in response.json()["error"]
    assert titles() == ["b", "a", "c"]
    # The reloaded page says why it shows a different order.
    page = client.get("/admin/policies/policy/")
    assert any("Another admin changed" in str(m) for m in get_messages(page.wsgi_request))


def test_a_policy_added_elsewhere_is_a_conflict_too(abc: list[Policy]) -> None:
    seen = ids_in_order()
    make_policy("d")
    response = post_json(
        signed_in("admin"), REORDER, {"order": list(reversed(seen)), "expected": seen}
    )
    assert response.status_code == 409
    assert titles() == ["a", "b", "c", "d"]


def test_the_service_checks_the_expected_order_under_its_lock(abc: list[Policy]) -> None:
    a, b, c = abc
    with pytest.raises(services.OrderChanged) as raised:
        services.policy_reorder(policy_ids=[c.pk], expected_ids=[a.pk, c.pk, b.pk])
    assert raised.value.current_ids == [a.pk, b.pk, c.pk]
    assert titles() == ["a", "b", "c"]
    services.policy_reorder(policy_ids=[c.pk], expected_ids=[a.pk, b.pk, c.pk])
    assert titles() == ["c", "a", "b"]


# The list page -----------------------------------------------------------------------------


def test_the_list_has_reorder_controls_for_admins_only(abc: list[Policy]) -> None:
    html = signed_in("admin").get("/admin/policies/policy/").content.decode()
    assert 'id="policy-order"' in html
    assert html.count('class="policy-move"') == 6
    assert "Sortable.min.js" in html
    html = signed_in("agent").get("/admin/policies/policy/").content.decode()
    assert "policy-move" not in html
    assert "policy-order" not in html
    assert "Sortable.min.js" not in html


def test_the_list_is_in_matching_order_and_sorting_by_column_turns_reordering_off(
    abc: list[Policy],
) -> None:
    client = signed_in("admin")
    response = client.get("/admin/policies/policy/")
    assert [p.title for p in response.context["cl"].result_list] == ["a", "b", "c"]
    sorted_page = client.get("/admin/policies/policy/?o=3").content.decode()
    assert 'id="policy-order"' not in sorted_page
    assert "policy-move" not in sorted_page


def test_the_list_flags_policies_that_can_never_match() -> None:
    make_policy("everything", filter=EVERYTHING)
    make_policy("incidents", filter={"all": [INCIDENT], "any": []})
    html = signed_in("admin").get("/admin/policies/policy/").content.decode()
    assert "Never matches: “everything” comes first" in html


def test_the_list_page_query_count_does_not_grow(
    django_assert_max_num_queries: Any, abc: list[Policy]
) -> None:
    client = signed_in("admin")
    client.get("/admin/policies/policy/")  # session and content types warm
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/policies/policy/")
    for name in "defgh":
        make_policy(name)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/admin/policies/policy/")


# Shadowing --------------------------------------------------------------------------------


def test_shadowing_names_the_earlier_policy_that_catches_everything() -> None:
    broad = make_policy("incidents", filter={"all": [INCIDENT], "any": []})
    client = signed_in("admin")
    narrow = {
        "all": [INCIDENT, {"field": "current_tags", "operator": "includes", "value": "vip"}],
        "any": [],
    }
    response = post_json(client, SHADOWING, {"filter": narrow, "id": None, "position": None})
    assert response.status_code == 200
    assert response.json() == {"shadowed_by": {"id": broad.pk, "title": "incidents", "position": 1}}
    # Placed first, nothing comes before it.
    response = post_json(client, SHADOWING, {"filter": narrow, "position": 1})
    assert response.json() == {"shadowed_by": None}


def test_shadowing_ignores_the_policy_being_edited() -> None:
    policy = make_policy("only", filter=EVERYTHING)
    response = post_json(signed_in("admin"), SHADOWING, {"filter": EVERYTHING, "id": policy.pk})
    assert response.json() == {"shadowed_by": None}


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "everything"},
        {"filter": {"all": "x", "any": []}},
        {"filter": {"all": [1], "any": []}},
        {"filter": EVERYTHING, "id": "1"},
        {"filter": EVERYTHING, "position": 0},
    ],
)
def test_shadowing_refuses_malformed_drafts(body: dict[str, Any]) -> None:
    assert post_json(signed_in("admin"), SHADOWING, body).status_code == 422


def test_shadowing_is_for_editors_only() -> None:
    assert post_json(signed_in("agent"), SHADOWING, {"filter": EVERYTHING}).status_code == 403


def test_the_editor_warns_about_a_saved_policy_that_can_never_match() -> None:
    make_policy("everything", filter=EVERYTHING)
    late = make_policy("late")
    response = signed_in("admin").get(f"/admin/policies/policy/{late.pk}/change/")
    assert response.context["shadow_warning"].startswith("“late” can never match: “everything”")
    assert "can never match" in response.content.decode()


def test_saving_a_shadowed_policy_says_so() -> None:
    make_policy("everything", filter=EVERYTHING)
    response = signed_in("admin").post(
        "/admin/policies/policy/add/",
        {
            "title": "late",
            "description": "",
            "position": "",
            "filter": json.dumps({"all": [INCIDENT], "any": []}),
            "policy_metrics": "[]",
            "metric_settings": "{}",
        },
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert any("“late” can never match" in m for m in shown)


# Clone -------------------------------------------------------------------------------------


def test_clone_copies_the_policy_to_the_bottom_and_opens_it(abc: list[Policy]) -> None:
    a = abc[0]
    client = signed_in("admin")
    page = client.get(f"/admin/policies/policy/{a.pk}/change/").content.decode()
    assert f'action="/admin/policies/policy/{a.pk}/clone/"' in page
    response = client.post(f"/admin/policies/policy/{a.pk}/clone/")
    copy = Policy.objects.get(title="a (copy)")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/policies/policy/{copy.pk}/change/"
    assert copy.position == 4
    assert copy.conditions.get().value == "incident"
    assert copy.pk != a.pk


def test_clone_takes_post_only_and_not_from_agents(abc: list[Policy]) -> None:
    a = abc[0]
    assert signed_in("admin").get(f"/admin/policies/policy/{a.pk}/clone/").status_code == 405
    agent = signed_in("agent")
    assert agent.post(f"/admin/policies/policy/{a.pk}/clone/").status_code == 403
    assert "/clone/" not in agent.get(f"/admin/policies/policy/{a.pk}/change/").content.decode()
    assert Policy.objects.count() == 3


def test_cloning_a_missing_policy_is_a_404() -> None:
    assert signed_in("admin").post("/admin/policies/policy/999999/clone/").status_code == 404


# The editor ---------------------------------------------------------------------------------


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Edited",
        "description": "",
        "position": "",
        "filter": json.dumps({"all": [INCIDENT], "any": []}),
        "policy_metrics": json.dumps(
            [{"priority": "urgent", "metric": "first_reply_time", "target_in_seconds": 600}]
        ),
        "metric_settings": "{}",
    }
    data.update(
        {key: json.dumps(v) if not isinstance(v, str) else v for key, v in overrides.items()}
    )
    return data


def test_condition_errors_are_placed_by_group_and_row() -> None:
    bad_filter = {
        "all": [INCIDENT],
        "any": [INCIDENT, {"field": "current_tags", "operator": "includes", "value": " "}],
    }
    response = signed_in("admin").post("/admin/policies/policy/add/", form_data(filter=bad_filter))
    assert response.status_code == 200
    errors = response.context["policy_editor"]["errors"]
    assert errors["conditions"] == {"any:1": ["tags must name at least one tag"]}
    assert errors["filter"] == []
    assert not Policy.objects.exists()


def test_target_errors_are_placed_by_priority_and_metric() -> None:
    metrics = [
        {"priority": "low", "metric": "first_reply_time", "target_in_seconds": 600},
        {"priority": "urgent", "metric": "next_reply_time", "target_in_seconds": 400 * 86400},
    ]
    response = signed_in("admin").post(
        "/admin/policies/policy/add/", form_data(policy_metrics=metrics)
    )
    errors = response.context["policy_editor"]["errors"]
    assert list(errors["targets"]) == ["urgent:next_reply_time"]
    assert "less than or equal to" in errors["targets"]["urgent:next_reply_time"][0]
    assert errors["conditions"] == {}


def test_errors_for_no_single_row_or_cell_stay_with_their_part() -> None:
    metrics = [
        {"priority": "low", "metric": "first_reply_time", "target_in_seconds": 600},
        {"priority": "low", "metric": "first_reply_time", "target_in_seconds": 900},
    ]
    response = signed_in("admin").post(
        "/admin/policies/policy/add/",
        form_data(filter={"all": [], "any": [], "none": []}, policy_metrics=metrics),
    )
    errors = response.context["policy_editor"]["errors"]
    assert errors["filter"] == ["unknown key(s) none"]
    assert "repeated: low first_reply_time" in errors["policy_metrics"][0]


def test_editing_keeps_the_position_unless_one_is_given(abc: list[Policy]) -> None:
    a, b, c = abc
    client = signed_in("admin")
    page = client.get(f"/admin/policies/policy/{c.pk}/change/")
    assert page.context["adminform"].form["position"].value() is None
    services.policy_reorder(policy_ids=[c.pk])  # moved elsewhere while the editor was open
    assert client.post(f"/admin/policies/policy/{c.pk}/change/", form_data()).status_code == 302
    assert titles() == ["Edited", "a", "b"]


def test_the_editor_config_carries_definitions_and_urls() -> None:
    policy = make_policy("p", metrics=[metric("high", minutes=90)])
    response = signed_in("admin").get(f"/admin/policies/policy/{policy.pk}/change/")
    config = response.context["policy_editor"]
    assert config["readonly"] is False
    assert config["policyId"] == policy.pk
    assert config["impactUrl"] == "/api/v2/slas/policies/impact"
    assert "current_tags" in {item["value"] for item in config["definitions"]}
    assert 'id="policy-editor-config"' in response.content.decode()


def test_agents_get_a_read_only_editor() -> None:
    policy = make_policy("p", metrics=[metric("high", minutes=90)])
    response = signed_in("agent").get(f"/admin/policies/policy/{policy.pk}/change/")
    assert response.status_code == 200
    config = response.context["policy_editor"]
    assert config["readonly"] is True
    assert config["initial"]["filter"] == {"all": [INCIDENT], "any": []}
    assert config["initial"]["policy_metrics"] == [
        {
            "priority": "high",
            "metric": "first_reply_time",
            "target_in_seconds": 5400,
            "business_hours": False,
        }
    ]
    html = response.content.decode()
    assert "policy-add-condition" not in html
    assert "policy-impact" not in html
    assert 'name="filter"' not in html


def test_delete_asks_for_confirmation_first(abc: list[Policy]) -> None:
    a = abc[0]
    client = signed_in("admin")
    page = client.get(f"/admin/policies/policy/{a.pk}/delete/")
    assert page.status_code == 200
    assert "Are you sure" in page.content.decode()
    assert Policy.objects.count() == 3
    assert client.post(f"/admin/policies/policy/{a.pk}/delete/", {"post": "yes"}).status_code == 302
    assert titles() == ["b", "c"]
