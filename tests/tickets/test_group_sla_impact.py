"""The impact preview of a draft group SLA policy: which open tickets' group ownership would
get another group policy, target or breach if the draft were saved now, without writing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from policies import selectors as policy_selectors
from policies import services as policy_services
from policies.models import GroupSlaPolicy, PolicyRevision
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Group, Ticket, TicketAudit, TicketMetricEvent, TicketSlaTarget, User
from tickets.sla.recompute import group_impact_of

URL = "/api/v2/group_slas/policies/impact"
HOUR = timedelta(hours=1)
# The preview answers as of the real clock: tickets live in the hours before it.
NOW = datetime.now(UTC).replace(microsecond=0)


def includes(*groups: Group) -> dict[str, Any]:
    return {"all": [{"field": "group_id", "operator": "includes", "value": [g.pk for g in groups]}]}


def group_policy(group: Group, *, urgent_seconds: int) -> GroupSlaPolicy:
    return policy_services.group_sla_policy_create(
        title=f"{group.name} holds escalations",
        description=None,
        filter=includes(group),
        policy_metrics=[
            {"priority": "urgent", "target_seconds": urgent_seconds, "business_hours": False}
        ],
        now=NOW - 3 * HOUR,
    )


def urgent_ticket(customer: User, group: Group | None, *, at: datetime) -> Ticket:
    fields: dict[str, Any] = {"subject": "VPN down", "requester_id": customer.pk}
    fields["priority"] = "urgent"
    if group is not None:
        fields["group_id"] = group.pk
    return services.ticket_create(
        fields=fields,
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=at,
    )


def hand_to(ticket: Ticket, group: Group, agent: User, at: datetime) -> None:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"group_id": group.pk},
        author_id=agent.pk,
        comment=None,
        now=at,
    )


def stored() -> tuple[int, ...]:
    """Everything a preview must leave as it was."""
    return (
        TicketAudit.objects.count(),
        TicketSlaTarget.objects.count(),
        TicketMetricEvent.objects.count(),
        PolicyRevision.objects.count(),
        GroupSlaPolicy.objects.count(),
        Ticket.objects.filter(sla_state__isnull=False).count(),
    )


def target(priority: str, seconds: int) -> dict[str, Any]:
    return {
        "priority": priority,
        "metric": "group_ownership_time",
        "target": seconds,
        "business_hours": False,
    }


@pytest.fixture
def tiers(db: None) -> dict[str, Any]:
    """Tier 1 and Tier 2 promise 4 hours on urgent tickets. Two tickets are with Tier 2 for
    2 hours now, one went from Tier 2 to Tier 1 an hour ago, one has no group."""
    tier1, tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    policy1 = group_policy(tier1, urgent_seconds=4 * 3600)
    policy2 = group_policy(tier2, urgent_seconds=4 * 3600)
    held = [urgent_ticket(customer, tier2, at=NOW - 2 * HOUR) for _ in range(2)]
    handed = urgent_ticket(customer, tier2, at=NOW - 2 * HOUR)
    hand_to(handed, tier1, agent, NOW - HOUR)
    groupless = urgent_ticket(customer, None, at=NOW - 2 * HOUR)
    return {
        "tier1": tier1,
        "tier2": tier2,
        "policy1": policy1,
        "policy2": policy2,
        "held": [t.pk for t in held],
        "handed": handed.pk,
        "groupless": groupless.pk,
    }


def test_shortening_tier_2_counts_the_tickets_it_holds(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    before = stored()
    response = admin_client.post(
        f"{URL}.json",
        {
            "group_sla_policy": {"policy_metrics": [target("urgent", 3600)]},
            "id": tiers["policy2"].pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    impact = response.json()["impact"]
    assert impact["open_tickets"] == 4
    assert impact["changed_tickets"] == 2
    assert [impact[key] for key in ("policy_changes", "target_changes")] == [0, 2]
    assert [impact[key] for key in ("newly_breached", "no_longer_breached")] == [2, 0]
    # The ticket Tier 2 handed to Tier 1 an hour ago and the one without a group are untouched.
    assert [t["id"] for t in impact["tickets"]] == tiers["held"]
    first = impact["tickets"][0]
    assert first["changes"] == ["target_changes", "newly_breached"]
    assert first["policy_before"] == first["policy_after"] == tiers["policy2"].pk
    assert first["url"].endswith(f"/api/v2/tickets/{tiers['held'][0]}.json")
    assert impact["truncated"] is False
    assert stored() == before


def test_a_longer_target_for_tier_2_changes_targets_without_breaches(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    impact = admin_client.post(
        URL,
        {
            "group_sla_policy": {"policy_metrics": [target("urgent", 8 * 3600)]},
            "id": tiers["policy2"].pk,
        },
        format="json",
    ).json()["impact"]
    assert (impact["changed_tickets"], impact["target_changes"]) == (2, 2)
    assert (impact["newly_breached"], impact["no_longer_breached"]) == (0, 0)


def test_a_draft_for_another_group_changes_nothing(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    tier3 = GroupFactory(name="Tier 3")
    before = stored()
    new = admin_client.post(
        URL,
        {
            "group_sla_policy": {
                "title": "Tier 3",
                "filter": includes(tier3),
                "policy_metrics": [target("urgent", 60)],
                "position": 1,
            }
        },
        format="json",
    ).json()["impact"]
    # Tier 1's shorter target reaches the ticket it took over, not Tier 2's.
    tier1 = admin_client.post(
        URL,
        {
            "group_sla_policy": {"policy_metrics": [target("urgent", 1800)]},
            "id": tiers["policy1"].pk,
        },
        format="json",
    ).json()["impact"]
    assert (new["open_tickets"], new["changed_tickets"], new["tickets"]) == (4, 0, [])
    assert [t["id"] for t in tier1["tickets"]] == [tiers["handed"]]
    assert (tier1["target_changes"], tier1["newly_breached"]) == (1, 1)
    assert stored() == before


def test_a_new_policy_first_in_the_list_takes_the_tickets_of_both_tiers(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    impact = admin_client.post(
        URL,
        {
            "group_sla_policy": {
                "title": "Both tiers",
                "filter": includes(tiers["tier1"], tiers["tier2"]),
                "policy_metrics": [target("urgent", 4 * 3600)],
                "position": 1,
            }
        },
        format="json",
    ).json()["impact"]
    # The same 4 hours under another policy: the policy changes, the targets do not.
    assert (impact["policy_changes"], impact["target_changes"]) == (3, 0)
    assert {t["id"] for t in impact["tickets"]} == {*tiers["held"], tiers["handed"]}
    assert {t["policy_after"] for t in impact["tickets"]} == {""}
    # Placed last, it matches nothing the tiers' own policies have not taken.
    last = admin_client.post(
        URL,
        {
            "group_sla_policy": {
                "title": "Both tiers",
                "filter": includes(tiers["tier1"], tiers["tier2"]),
                "policy_metrics": [target("urgent", 60)],
            }
        },
        format="json",
    ).json()["impact"]
    assert last["changed_tickets"] == 0


def test_moving_tier_2_behind_a_catch_all_shows_in_the_preview(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    both = policy_services.group_sla_policy_create(
        title="Both tiers",
        description=None,
        filter=includes(tiers["tier1"], tiers["tier2"]),
        policy_metrics=[{"priority": "urgent", "target_seconds": 3600, "business_hours": False}],
        now=NOW - 3 * HOUR,
    )
    impact = admin_client.post(
        URL,
        {"group_sla_policy": {"position": 1}, "id": both.pk},
        format="json",
    ).json()["impact"]
    assert [t["id"] for t in impact["tickets"]] == [*tiers["held"], tiers["handed"]]
    assert {(t["policy_before"], t["policy_after"]) for t in impact["tickets"][:2]} == {
        (tiers["policy2"].pk, both.pk)
    }
    assert (impact["policy_changes"], impact["target_changes"]) == (3, 3)


def test_the_list_stops_at_listed_and_says_so(tiers: dict[str, Any]) -> None:
    snapshots = policy_selectors.group_draft_snapshots(
        {"policy_metrics": [{"priority": "urgent", "target_seconds": 60, "business_hours": False}]},
        tiers["policy2"].pk,
    )
    assert [s["id"] for s in snapshots] == [tiers["policy1"].pk, tiers["policy2"].pk]
    assert snapshots[1]["policy_metrics"] == [target("urgent", 60)]
    impact = group_impact_of(
        group_specs=policy_selectors.group_specs_from_snapshots(snapshots),
        now=NOW + timedelta(minutes=1),
        listed=1,
    )
    assert impact["changed_tickets"] == 2
    assert [t["id"] for t in impact["tickets"]] == tiers["held"][:1]
    assert impact["truncated"] is True


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "No root"}, 400, None),
        ({"group_sla_policy": []}, 400, None),
        ({"group_sla_policy": {"title": "No groups", "filter": {"all": []}}}, 422, "filter"),
        ({"group_sla_policy": {"title": "T", "filter": {"all": []}}, "id": 7}, 422, "id"),
        (
            {
                "group_sla_policy": {
                    "title": "Wrong metric",
                    "filter": {"all": [{"field": "group_id", "operator": "includes", "value": []}]},
                    "policy_metrics": [{"priority": "urgent", "metric": "reply", "target": 60}],
                }
            },
            422,
            None,
        ),
        ({"group_sla_policy": {}, "id": "01J00000000000000000000000"}, 404, None),
    ],
)
def test_bad_input_is_refused_in_zendesks_words_and_writes_nothing(
    admin_client: APIClient, tiers: dict[str, Any], body: dict[str, Any], status: int, field: str
) -> None:
    before = stored()
    response = admin_client.post(URL, body, format="json")
    assert response.status_code == status, response.json()
    answer = response.json()
    if status == 404:
        assert answer["error"] == "RecordNotFound"
    elif status == 422:
        assert answer["error"] == "RecordInvalid"
        if field is not None:
            assert field in answer["details"]
    else:
        assert answer["error"] == "InvalidRequest"
    assert stored() == before


def test_agents_may_not_preview(agent_client: APIClient, tiers: dict[str, Any]) -> None:
    response = agent_client.post(
        URL, {"group_sla_policy": {}, "id": tiers["policy2"].pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["title"] == "Forbidden"


def test_the_preview_reads_no_more_for_more_tickets(
    admin_client: APIClient, tiers: dict[str, Any]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    draft = {
        "group_sla_policy": {"policy_metrics": [target("urgent", 3600)]},
        "id": tiers["policy2"].pk,
    }
    admin_client.post(URL, draft, format="json")  # revisions compiled and cached
    with CaptureQueriesContext(connection) as four:
        admin_client.post(URL, draft, format="json")
    customer = UserFactory(role="end-user")
    for _ in range(8):
        urgent_ticket(customer, tiers["tier2"], at=NOW - 2 * HOUR)
    with CaptureQueriesContext(connection) as twelve:
        impact = admin_client.post(URL, draft, format="json").json()["impact"]
    assert (impact["open_tickets"], impact["changed_tickets"]) == (12, 10)
    assert len(twelve) == len(four)
