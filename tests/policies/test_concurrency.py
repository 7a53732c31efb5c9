"""Parallel writers never leave duplicate or missing positions (run on PostgreSQL in CI)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from policies.models import Policy
from tests.factories import UserFactory, make_policy
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_creates_deletes_moves_and_reorders_keep_a_permutation(live_server) -> None:
    admin = UserFactory(role="admin", email="race@example.com")
    token = services.api_token_create(user=admin)
    auth = ("race@example.com/token", token)
    base = live_server.url + "/api/v2/slas/policies"
    seeded = [make_policy(f"seed {i}").pk for i in range(6)]
    rng = random.Random(7)

    def work(step: int) -> int:
        with requests.Session() as http:
            http.auth = auth
            kind = step % 4
            if kind == 0:
                body = {"sla_policy": {"title": f"new {step}", "filter": {"all": []}}}
                if step % 8 == 0:
                    body["sla_policy"]["position"] = 1 + step % 5
                return http.post(base + ".json", json=body, timeout=30).status_code
            if kind == 1:
                victim = seeded[step % len(seeded)]
                return http.delete(f"{base}/{victim}.json", timeout=30).status_code
            if kind == 2:
                listed = http.get(base + ".json", timeout=30).json()["sla_policies"]
                ids = [policy["id"] for policy in listed]
                rng.shuffle(ids)
                ids = ids[: max(1, len(ids) // 2)]
                return http.put(
                    base + "/reorder.json", json={"sla_policy_ids": ids}, timeout=30
                ).status_code
            target = seeded[(step + 3) % len(seeded)]
            body = {"sla_policy": {"position": 1 + step % 7}}
            return http.put(f"{base}/{target}.json", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(work, range(48)))

    # Deletes of an already-deleted policy and moves/reorders naming one are 404/422; no 5xx.
    assert all(status in (200, 201, 204, 404, 422) for status in statuses), statuses
    created = sum(1 for step, status in enumerate(statuses) if step % 4 == 0 and status == 201)
    assert created == 12
    positions = sorted(Policy.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert Policy.objects.filter(title__startswith="new ").count() == created
