"""Parallel group SLA policy writers never leave duplicate or missing positions, and the newest
revision is the list as it ends up (run on PostgreSQL in CI)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from policies import services as policy_services
from policies.models import GroupSlaPolicy, PolicyRevision
from policies.selectors import group_sla_policy_queryset, group_sla_policy_snapshot
from tests.factories import GroupFactory, UserFactory
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_group_sla_writes_keep_a_permutation_and_revisions_in_order(
    live_server: Any,
) -> None:
    admin = UserFactory(role="admin", email="race@example.com")
    token = services.api_token_create(user=admin)
    auth = ("race@example.com/token", token)
    base = live_server.url + "/api/v2/group_slas/policies"
    group = GroupFactory(name="Tier 1")
    group_filter = {"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]}
    seeded = [
        policy_services.group_sla_policy_create(
            title=f"seed {i}", description=None, filter=group_filter, policy_metrics=[]
        ).pk
        for i in range(6)
    ]
    rng = random.Random(7)

    def work(step: int) -> int:
        with requests.Session() as http:
            http.auth = auth
            kind = step % 4
            if kind == 0:
                body: dict[str, Any] = {"title": f"new {step}", "filter": group_filter}
                if step % 8 == 0:
                    body["position"] = 1 + step % 5
                return http.post(
                    base + ".json", json={"group_sla_policy": body}, timeout=30
                ).status_code
            if kind == 1:
                victim = seeded[step % len(seeded)]
                return http.delete(f"{base}/{victim}.json", timeout=30).status_code
            if kind == 2:
                listed = http.get(base + ".json", timeout=30).json()["group_sla_policies"]
                ids = [policy["id"] for policy in listed]
                rng.shuffle(ids)
                ids = ids[: max(1, len(ids) // 2)]
                return http.put(
                    base + "/reorder.json", json={"group_sla_policy_ids": ids}, timeout=30
                ).status_code
            target = seeded[(step + 3) % len(seeded)]
            body = {"group_sla_policy": {"position": 1 + step % 7}}
            return http.put(f"{base}/{target}.json", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(work, range(48)))

    # Deletes of an already-deleted policy and moves/reorders naming one are 404/422; no 5xx.
    assert all(status in (200, 201, 204, 404, 422) for status in statuses), statuses
    created = sum(1 for step, status in enumerate(statuses) if step % 4 == 0 and status == 201)
    assert created == 12
    positions = sorted(GroupSlaPolicy.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert GroupSlaPolicy.objects.filter(title__startswith="new ").count() == created
    newest = PolicyRevision.objects.order_by("-id").first()
    assert newest is not None
    assert newest.group_policies == [
        group_sla_policy_snapshot(policy) for policy in group_sla_policy_queryset()
    ]
