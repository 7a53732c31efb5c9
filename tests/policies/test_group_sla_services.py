"""The group SLA policy writes: positions stay 1..n and every write records a revision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policies import services
from policies.models import GroupSlaPolicy, PolicyRevision

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GROUP_FILTER = {"all": [{"field": "group_id", "operator": "includes", "value": [6]}]}
TARGETS = [{"priority": "high", "target_seconds": 3600, "business_hours": False}]

pytestmark = pytest.mark.django_db


def create(title: str, position: int | None = None) -> GroupSlaPolicy:
    return services.group_sla_policy_create(
        title=title,
        description=None,
        filter=GROUP_FILTER,
        policy_metrics=TARGETS,
        position=position,
        now=NOW,
    )


def order() -> list[str]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("title", flat=True))


def positions() -> list[int]:
    return list(GroupSlaPolicy.objects.order_by("position").values_list("position", flat=True))


def test_create_appends_or_inserts_and_records_the_group_snapshot() -> None:
    first = create("A")
    create("B")
    create("C", position=1)
    assert order() == ["C", "A", "B"]
    assert positions() == [1, 2, 3]
    revision = PolicyRevision.objects.order_by("-id").first()
    assert revision is not None
    assert revision.created_at == NOW
    assert [p["title"] for p in revision.group_policies] == ["C", "A", "B"]
    snapshot = next(p for p in revision.group_policies if p["id"] == first.pk)
    assert snapshot["filter"] == GROUP_FILTER
    assert snapshot["policy_metrics"] == [
        {
            "priority": "high",
            "metric": "group_ownership_time",
            "target": 3600,
            "business_hours": False,
        }
    ]


def test_update_moves_and_replaces_targets() -> None:
    a, _, _ = create("A"), create("B"), create("C")
    before = PolicyRevision.objects.count()
    services.group_sla_policy_update(
        policy_id=a.pk,
        data={
            "position": 3,
            "title": "A2",
            "policy_metrics": [{"priority": "low", "target_seconds": 60, "business_hours": True}],
        },
        now=NOW,
    )
    assert order() == ["B", "C", "A2"]
    assert positions() == [1, 2, 3]
    a.refresh_from_db()
    assert [(m.priority, m.target_seconds, m.business_hours) for m in a.metrics.all()] == [
        ("low", 60, True)
    ]
    assert PolicyRevision.objects.count() == before + 1


def test_delete_closes_the_gap() -> None:
    _, b, _ = create("A"), create("B"), create("C")
    services.group_sla_policy_delete(policy_id=b.pk, now=NOW)
    assert order() == ["A", "C"]
    assert positions() == [1, 2]
    with pytest.raises(GroupSlaPolicy.DoesNotExist):
        services.group_sla_policy_delete(policy_id=b.pk, now=NOW)


def test_reorder_lists_first_and_keeps_the_rest_in_order() -> None:
    a, b, c = create("A"), create("B"), create("C")
    services.group_sla_policy_reorder(policy_ids=[c.pk], now=NOW)
    assert order() == ["C", "A", "B"]
    with pytest.raises(services.UnknownGroupSlaPolicies):
        services.group_sla_policy_reorder(policy_ids=[a.pk, "0" * 26], now=NOW)
    with pytest.raises(services.GroupSlaOrderChanged):
        services.group_sla_policy_reorder(
            policy_ids=[b.pk], expected_ids=[a.pk, b.pk, c.pk], now=NOW
        )
    assert order() == ["C", "A", "B"]


def test_sla_policy_positions_are_their_own() -> None:
    services.policy_create(title="SLA", filter={"all": [], "any": []}, now=NOW)
    create("A", position=1)
    assert positions() == [1]
