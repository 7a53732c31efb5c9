"""The group SLA policy pages: list, add, change, delete and reorder through the same services
and validation as the API; errors placed by condition row and target cell, in words; agents
read a summary and change nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from policies import services
from policies.models import GroupSlaPolicy, PolicyRevision
from tests.factories import GroupFactory, UserFactory
from tickets.models import Group

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
LIST = "/admin/policies/groupslapolicy/"
ADD = f"{LIST}add/"
REORDER = f"{LIST}reorder/"


def signed_in(role: str) -> Client:
    user = UserFactory(role=role, email=f"{role}-group-sla@example.com")
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def includes(*groups: Group, operator: str = "includes") -> dict[str, Any]:
    return {"all": [{"field": "group_id", "operator": operator, "value": [g.pk for g in groups]}]}


def target(priority: str, seconds: int, business_hours: bool = False) -> dict[str, Any]:
    return {
        "priority": priority,
        "metric": "group_ownership_time",
        "target": seconds,
        "business_hours": business_hours,
    }


def form_data(
    filter: dict[str, Any], metrics: list[dict[str, Any]], **extra: str
) -> dict[str, str]:
    return {
        "title": "Tier 2 holds escalations",
        "description": "",
        "position": "",
        "filter": json.dumps(filter),
        "policy_metrics": json.dumps(metrics),
        **extra,
    }


def make_group_policy(title: str, group: Group, seconds: int = 3600) -> GroupSlaPolicy:
    return services.group_sla_policy_create(
        title=title,
        description=None,
        filter=includes(group),
        policy_metrics=[{"priority": "urgent", "target_seconds": seconds, "business_hours": False}],
    )


def titles() -> list[str]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("title", flat=True))


def ids_in_order() -> list[str]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("pk", flat=True))


@pytest.fixture
def tier2() -> Group:
    return GroupFactory(name="Tier 2")


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_policies_in_order_with_their_groups_and_targets(tier2: Group) -> None:
    tier1 = GroupFactory(name="Tier 1")
    make_group_policy("First", tier1, seconds=1800)
    make_group_policy("Second", tier2, seconds=4 * 3600)
    html = signed_in("admin").get(LIST).content.decode()
    assert html.index("First") < html.index("Second")
    assert "Group includes Tier 1" in html
    assert "Urgent: 4 hours (calendar hours)" in html
    assert 'data-reorder-url="/admin/policies/groupslapolicy/reorder/"' in html


def test_the_navigation_lists_group_sla_policies_under_service_levels() -> None:
    html = signed_in("admin").get("/admin/section/service-levels/").content.decode()
    assert (
        html.index("SLA policies") < html.index("Group SLA policies") < html.index("Business hours")
    )
    assert LIST in html


def test_a_policy_behind_an_earlier_one_naming_its_groups_says_it_never_matches(
    tier2: Group,
) -> None:
    make_group_policy("Wide", tier2)
    make_group_policy("Narrow", tier2)
    html = signed_in("admin").get(LIST).content.decode()
    assert "Never matches: “Wide” comes first" in html


# Create and change ---------------------------------------------------------------------------


def test_an_admin_creates_a_policy_through_the_service(tier2: Group) -> None:
    revisions = PolicyRevision.objects.count()
    response = signed_in("admin").post(
        ADD, form_data(includes(tier2), [target("urgent", 4 * 3600, business_hours=True)])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = GroupSlaPolicy.objects.get()
    assert policy.title == "Tier 2 holds escalations"
    assert policy.position == 1
    assert policy.filter == includes(tier2)
    metric = policy.metrics.get()
    assert (metric.priority, metric.target_seconds, metric.business_hours) == (
        "urgent",
        4 * 3600,
        True,
    )
    assert PolicyRevision.objects.count() == revisions + 1


def test_a_new_policy_can_go_first(tier2: Group) -> None:
    make_group_policy("Existing", tier2)
    response = signed_in("admin").post(
        ADD, form_data(includes(tier2), [target("low", 60)], position="1")
    )
    assert response.status_code == 302
    assert titles() == ["Tier 2 holds escalations", "Existing"]


def test_the_editor_offers_the_accounts_groups_and_one_target_per_priority(tier2: Group) -> None:
    html = signed_in("admin").get(ADD).content.decode()
    config = html.split('<script id="policy-editor-config" type="application/json">')[1]
    config = json.loads(config.split("</script>")[0])
    [field] = config["definitions"]
    assert field["value"] == "group_id"
    assert [op["title"] for op in field["operators"]] == ["Includes", "Does not include"]
    assert {"title": "Tier 2", "value": tier2.pk} in field["values"]["list"]
    assert config["groups"] == ["all"]
    for priority in ("low", "normal", "high", "urgent"):
        assert f'data-key="{priority}:group_ownership_time"' in html
    assert "first_reply_time" not in html
    assert config["impactUrl"] == "/api/v2/group_slas/policies/impact"
    assert 'id="policy-impact"' in html


def test_an_admin_changes_conditions_and_targets_and_the_position_stays(tier2: Group) -> None:
    other = GroupFactory(name="Escalations")
    first = make_group_policy("First", tier2)
    policy = make_group_policy("Second", tier2)
    client = signed_in("admin")
    page = client.get(f"{LIST}{policy.pk}/change/").content.decode()
    assert "Where it is now" in page
    response = client.post(
        f"{LIST}{policy.pk}/change/",
        form_data(
            includes(other, operator="not_includes"),
            [target("normal", 7200), target("urgent", 1800, business_hours=True)],
            title="Everyone but escalations",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert policy.title == "Everyone but escalations"
    assert policy.filter == includes(other, operator="not_includes")
    assert list(policy.metrics.values_list("priority", "target_seconds", "business_hours")) == [
        ("normal", 7200, False),
        ("urgent", 1800, True),
    ]
    assert ids_in_order() == [first.pk, policy.pk]


def test_saving_a_policy_an_earlier_one_covers_warns_in_words(tier2: Group) -> None:
    make_group_policy("Wide", tier2)
    response = signed_in("admin").post(
        ADD, form_data(includes(tier2), [target("urgent", 60)]), follow=True
    )
    assert [str(m) for m in response.context["messages"]][0] == (
        "“Tier 2 holds escalations” can never match: “Wide” (position 1) comes earlier and "
        "catches every group it would. Move it above, or narrow the earlier one."
    )


@pytest.mark.parametrize("url", [LIST, ADD])
def test_the_pages_speak_support_not_django(tier2: Group, url: str) -> None:
    make_group_policy("Tier 2 holds escalations", tier2)
    html = signed_in("admin").get(url).content.decode()
    # The scripts' configuration (the editor's, the order bar's data attributes) names the
    # API's URLs and keys; the page's words do not.
    before, _, rest = html.partition('<script id="policy-editor-config"')
    html = re.sub(r' data-[a-z-]+="[^"]*"', "", before + rest.partition("</script>")[2])
    for banned in ["Sla ", "sla policy", "Group sla", "group_sla", "Groupslapolicy"]:
        assert banned not in html, banned


# Validation ----------------------------------------------------------------------------------


def config_errors(html: str) -> dict[str, Any]:
    config = html.split('<script id="policy-editor-config" type="application/json">')[1]
    errors: dict[str, Any] = json.loads(config.split("</script>")[0])["errors"]
    return errors


def test_no_condition_is_refused_in_words_and_nothing_is_written(tier2: Group) -> None:
    revisions = PolicyRevision.objects.count()
    response = signed_in("admin").post(ADD, form_data({"all": []}, [target("urgent", 60)]))
    assert response.status_code == 200
    errors = config_errors(response.content.decode())
    assert errors["filter"] == [
        "Add a condition naming at least one group: a group SLA policy says which groups it "
        "holds to its targets."
    ]
    assert not GroupSlaPolicy.objects.exists()
    assert PolicyRevision.objects.count() == revisions


def test_a_deleted_group_and_an_empty_choice_are_placed_by_condition_row(tier2: Group) -> None:
    gone = GroupFactory(name="Gone")
    gone_id = gone.pk
    gone.delete()
    filter = {
        "all": [
            {"field": "group_id", "operator": "includes", "value": [tier2.pk]},
            {"field": "group_id", "operator": "includes", "value": [gone_id]},
            {"field": "group_id", "operator": "not_includes", "value": []},
        ]
    }
    response = signed_in("admin").post(ADD, form_data(filter, [target("urgent", 60)]))
    assert response.status_code == 200
    errors = config_errors(response.content.decode())
    assert errors["conditions"] == {
        "all:1": ["A group this condition names no longer exists: choose the groups again."],
        "all:2": ["Choose at least one group."],
    }
    assert not GroupSlaPolicy.objects.exists()


def test_a_bad_target_is_placed_in_its_cell_and_nothing_changes(tier2: Group) -> None:
    policy = make_group_policy("Kept", tier2, seconds=600)
    response = signed_in("admin").post(
        f"{LIST}{policy.pk}/change/",
        form_data(includes(tier2), [target("high", 3600), target("urgent", 0)], title="Changed"),
    )
    assert response.status_code == 200
    errors = config_errors(response.content.decode())
    assert list(errors["targets"]) == ["urgent:group_ownership_time"]
    assert "greater than or equal to 1" in errors["targets"]["urgent:group_ownership_time"][0]
    policy.refresh_from_db()
    assert policy.title == "Kept"
    assert list(policy.metrics.values_list("priority", "target_seconds")) == [("urgent", 600)]


def test_a_blank_title_is_shown_next_to_the_title(tier2: Group) -> None:
    response = signed_in("admin").post(
        ADD, form_data(includes(tier2), [target("urgent", 60)], title="")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == ["This field is required."]
    assert not GroupSlaPolicy.objects.exists()


# Delete --------------------------------------------------------------------------------------


def test_delete_lists_conditions_and_targets_in_words_then_closes_the_gap(tier2: Group) -> None:
    first = make_group_policy("First", tier2)
    doomed = make_group_policy("Doomed", tier2, seconds=5400)
    last = make_group_policy("Last", tier2)
    client = signed_in("admin")
    page = client.get(f"{LIST}{doomed.pk}/delete/").content.decode()
    assert "Condition: Group includes Tier 2" in page
    assert "Target: Urgent priority, a group holds a ticket at most 1 hour 30 minutes" in page
    response = client.post(f"{LIST}{doomed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ids_in_order() == [first.pk, last.pk]
    assert list(GroupSlaPolicy.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
    ]


def test_the_bulk_delete_action_goes_through_the_service(tier2: Group) -> None:
    a = make_group_policy("A", tier2)
    b = make_group_policy("B", tier2)
    c = make_group_policy("C", tier2)
    response = signed_in("admin").post(
        LIST,
        {"action": "delete_selected", "_selected_action": [a.pk, c.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert ids_in_order() == [b.pk]
    assert GroupSlaPolicy.objects.get().position == 1


# Reorder -------------------------------------------------------------------------------------


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_reorder_saves_the_order(tier2: Group) -> None:
    a, b, c = (make_group_policy(name, tier2) for name in "abc")
    response = post_json(
        signed_in("admin"), REORDER, {"order": [c.pk, a.pk, b.pk], "expected": ids_in_order()}
    )
    assert response.status_code == 200, response.content
    # "a" now comes after "c", which names the same group, so it can never match.
    assert response.json() == {"order": [c.pk, a.pk, b.pk], "shadowed": {a.pk: "c", b.pk: "c"}}
    assert titles() == ["c", "a", "b"]


def test_a_reorder_from_a_stale_page_is_refused_and_changes_nothing(tier2: Group) -> None:
    a, b, c = (make_group_policy(name, tier2) for name in "abc")
    seen = ids_in_order()
    services.group_sla_policy_reorder(policy_ids=[b.pk, a.pk, c.pk])  # someone else
    client = signed_in("admin")
    response = post_json(client, REORDER, {"order": [c.pk, a.pk, b.pk], "expected": seen})
    assert response.status_code == 409
    assert response.json()["order"] == [b.pk, a.pk, c.pk]
    assert "Nothing was saved" in response.json()["error"]
    assert titles() == ["b", "a", "c"]


@pytest.mark.parametrize(
    "body",
    [
        {"order": [1, 2], "expected": [1, 2]},
        {"order": "abc", "expected": []},
        {"order": ["x"], "expected": ["y"]},
        {"order": ["x", "x"], "expected": ["x", "x"]},
    ],
)
def test_a_malformed_reorder_is_a_422_in_words(tier2: Group, body: dict[str, Any]) -> None:
    make_group_policy("a", tier2)
    response = post_json(signed_in("admin"), REORDER, body)
    assert response.status_code == 422
    assert response.json()["error"]


def test_a_reorder_naming_an_unknown_policy_is_refused_as_stale(tier2: Group) -> None:
    a = make_group_policy("a", tier2)
    response = post_json(
        signed_in("admin"), REORDER, {"order": ["NOPE", a.pk], "expected": ["NOPE", a.pk]}
    )
    # The page cannot have shown a policy that is not there: its order is out of date.
    assert response.status_code == 409
    assert response.json()["order"] == [a.pk]
    assert titles() == ["a"]


def test_reorder_takes_only_post(tier2: Group) -> None:
    response = signed_in("admin").get(REORDER)
    assert response.status_code == 405


# Agents --------------------------------------------------------------------------------------


def test_agents_read_a_summary_and_change_nothing(tier2: Group) -> None:
    policy = make_group_policy("Tier 2 holds escalations", tier2, seconds=4 * 3600)
    client = signed_in("agent")
    listing = client.get(LIST)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Tier 2 holds escalations" in html
    assert "policy-handle" not in html
    assert "policy_list.js" not in html
    page = client.get(f"{LIST}{policy.pk}/change/").content.decode()
    assert "Urgent priority" in page
    assert "4 hours" in page
    assert 'name="policy_metrics"' not in page
    assert client.get(ADD).status_code == 403
    before = ids_in_order()
    other = make_group_policy("Other", tier2)
    response = post_json(
        client, REORDER, {"order": [other.pk, *before], "expected": ids_in_order()}
    )
    assert response.status_code == 403
    response = client.post(
        f"{LIST}{policy.pk}/change/", form_data(includes(tier2), [], title="Changed")
    )
    assert response.status_code == 403
    assert client.post(f"{LIST}{policy.pk}/delete/", {"post": "yes"}).status_code == 403
    policy.refresh_from_db()
    assert policy.title == "Tier 2 holds escalations"
    assert ids_in_order() == [policy.pk, other.pk]
