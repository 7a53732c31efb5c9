"""What the group SLA policy editor previews before saving: it is given the impact URL of the
Group SLA Policies API, and asks the page whether an earlier policy would catch every group
the draft names, placed where it would be saved."""

from __future__ import annotations

import json
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
SHADOWING = f"{LIST}shadowing/"


def signed_in(role: str) -> Client:
    user = UserFactory(role=role, email=f"{role}-group-sla-preview@example.com")
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def includes(*groups: Group) -> dict[str, Any]:
    return {"all": [{"field": "group_id", "operator": "includes", "value": [g.pk for g in groups]}]}


def make_group_policy(title: str, filter: dict[str, Any]) -> GroupSlaPolicy:
    return services.group_sla_policy_create(
        title=title, description=None, filter=filter, policy_metrics=[]
    )


def editor_config(html: str) -> dict[str, Any]:
    config = html.split('<script id="policy-editor-config" type="application/json">')[1]
    loaded: dict[str, Any] = json.loads(config.split("</script>")[0])
    return loaded


def ask(client: Client, body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post(SHADOWING, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def tiers() -> tuple[Group, Group]:
    return GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")


def test_the_editor_previews_through_the_group_sla_impact_api(tiers: tuple[Group, Group]) -> None:
    policy = make_group_policy("Tier 2", includes(tiers[1]))
    for url in (f"{LIST}add/", f"{LIST}{policy.pk}/change/"):
        html = signed_in("admin").get(url).content.decode()
        config = editor_config(html)
        assert config["impactUrl"] == "/api/v2/group_slas/policies/impact"
        assert config["impactKey"] == "group_sla_policy"
        assert config["shadowingUrl"] == SHADOWING
        assert config["conditionWords"]["value for 'group_id' must list at least one value"] == (
            "Choose at least one group."
        )
        assert 'id="policy-impact"' in html
        assert "would change group SLA policy" in html


def test_a_change_page_of_a_policy_that_never_matches_says_so_before_any_edit(
    tiers: tuple[Group, Group],
) -> None:
    make_group_policy("Both tiers", includes(*tiers))
    later = make_group_policy("Tier 2", includes(tiers[1]))
    html = signed_in("admin").get(f"{LIST}{later.pk}/change/").content.decode()
    assert (
        "“Tier 2” can never match: “Both tiers” (position 1) comes earlier and catches every "
        "group it would."
    ) in html


def test_an_agent_reads_no_preview(tiers: tuple[Group, Group]) -> None:
    policy = make_group_policy("Tier 2", includes(tiers[1]))
    html = signed_in("agent").get(f"{LIST}{policy.pk}/change/").content.decode()
    assert 'id="policy-impact"' not in html


def test_a_draft_behind_a_policy_covering_its_groups_is_shadowed_where_it_would_go(
    tiers: tuple[Group, Group],
) -> None:
    both = make_group_policy("Both tiers", includes(*tiers))
    own = make_group_policy("Tier 2", includes(tiers[1]))
    admin = signed_in("admin")
    revisions = PolicyRevision.objects.count()
    # A new policy naming Tier 1 goes last, behind "Both tiers".
    assert ask(admin, {"filter": includes(tiers[0]), "id": None, "position": None}) == (
        200,
        {"shadowed_by": {"id": both.pk, "title": "Both tiers", "position": 1}},
    )
    # Placed first, nothing comes before it.
    assert ask(admin, {"filter": includes(tiers[0]), "id": None, "position": 1}) == (
        200,
        {"shadowed_by": None},
    )
    # The policy being edited is not compared with itself, and moving it first frees it.
    assert ask(admin, {"filter": includes(tiers[1]), "id": own.pk, "position": None})[1] == {
        "shadowed_by": {"id": both.pk, "title": "Both tiers", "position": 1}
    }
    assert ask(admin, {"filter": includes(tiers[1]), "id": own.pk, "position": 1})[1] == {
        "shadowed_by": None
    }
    # Widening "Both tiers" is never caught by the narrower "Tier 2" behind it.
    assert ask(admin, {"filter": includes(*tiers), "id": both.pk, "position": 2})[1] == {
        "shadowed_by": None
    }
    assert PolicyRevision.objects.count() == revisions
    assert list(GroupSlaPolicy.objects.order_by("position").values_list("pk", flat=True)) == [
        both.pk,
        own.pk,
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([], 422),
        ({"filter": [], "id": None}, 422),
        ({"filter": {"all": ["group_id"]}}, 422),
        ({"filter": {"all": []}, "id": 7}, 422),
        ({"filter": {"all": []}, "position": 0}, 422),
        ({"filter": {"all": []}, "position": True}, 422),
        ({"filter": {"all": []}, "id": "01J00000000000000000000000"}, 404),
    ],
)
def test_bad_questions_get_a_clear_answer(
    tiers: tuple[Group, Group], body: Any, status: int
) -> None:
    code, answer = ask(signed_in("admin"), body)
    assert code == status
    assert answer["error"]


def test_only_editors_may_ask_and_only_by_post(tiers: tuple[Group, Group]) -> None:
    assert ask(signed_in("agent"), {"filter": {"all": []}})[0] == 403
    assert signed_in("admin").get(SHADOWING).status_code == 405
