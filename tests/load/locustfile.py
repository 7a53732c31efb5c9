"""The clients of `python -m tests.load` (`make load`): a support team's integrations
using Zendesk's SLA Policies and Tickets APIs at once.

Each simulated client reads policies and tickets (about 60 % of its requests) and writes them
(about 40 %): it creates policies with unique titles, renames, reorders and deletes only the
policies it created itself (besides the seeded ones, which nobody deletes), so no answer other
than a 2xx is expected and every other status counts as a failure. Every write the server
accepted is appended as a JSON line to LOAD_WRITES_FILE, for the driver to look for in the
database afterwards.

Configured through the environment: LOAD_ADMIN_EMAIL, LOAD_ADMIN_TOKEN, LOAD_AGENT_EMAIL,
LOAD_AGENT_TOKEN, LOAD_POLICY_IDS and LOAD_TICKET_IDS (comma-separated), LOAD_WRITES_FILE.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, between, task
from locust.clients import ResponseContextManager

ADMIN = (os.environ.get("LOAD_ADMIN_EMAIL", "") + "/token", os.environ.get("LOAD_ADMIN_TOKEN", ""))
AGENT = (os.environ.get("LOAD_AGENT_EMAIL", "") + "/token", os.environ.get("LOAD_AGENT_TOKEN", ""))
SEEDED_POLICIES = [int(i) for i in os.environ.get("LOAD_POLICY_IDS", "").split(",") if i]
TICKETS = [int(i) for i in os.environ.get("LOAD_TICKET_IDS", "").split(",") if i]
WRITES_FILE = os.environ.get("LOAD_WRITES_FILE", os.devnull)
TIMEOUT = 60

PRIORITIES = ("low", "normal", "high", "urgent")
# Ticket updates keep tickets open: a closed ticket refuses further updates.
STATUSES = ("open", "pending", "hold")
CONDITIONS = (
    {"field": "current_tags", "operator": "includes", "value": "load"},
    {"field": "type", "operator": "is", "value": "incident"},
    {"field": "via_id", "operator": "is", "value": 5},
    {"field": "requester_role", "operator": "is", "value": 0},
    {"field": "ticket_is_public", "operator": "is", "value": "public"},
)

# One file per locust process; gevent switches only on I/O, so each line is written whole.
_writes = open(WRITES_FILE, "a", buffering=1, encoding="utf-8")  # noqa: SIM115


def record(kind: str, **fields: Any) -> None:
    _writes.write(json.dumps({"kind": kind, **fields}) + "\n")


def policy_body(rng: random.Random, title: str) -> dict[str, Any]:
    conditions = rng.sample(CONDITIONS, k=rng.randint(1, 3))
    minutes = rng.choice((30, 60, 120, 240))
    return {
        "title": title,
        "description": "Created by the load test",
        "filter": {"all": conditions[:1], "any": conditions[1:]},
        "policy_metrics": [
            {
                "priority": priority,
                "metric": metric,
                "target": minutes * factor * (4 - index),
                "business_hours": metric == "total_resolution_time",
            }
            for index, priority in enumerate(PRIORITIES)
            for metric, factor in (
                ("first_reply_time", 1),
                ("requester_wait_time", 4),
                ("total_resolution_time", 16),
            )
        ],
    }


class SupportIntegration(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client_id = uuid.uuid4().hex[:8]
        self.count = 0
        # The policies this client created and has not deleted: only it writes to them.
        self.own: list[int] = []

    def next_title(self) -> str:
        self.count += 1
        return f"Load {self.client_id} {self.count}"

    def expect(self, response: ResponseContextManager, status: int) -> bool:
        if response.status_code != status:
            response.failure(f"{response.status_code}: {response.text[:300]}")
            return False
        return True

    def some_policy(self) -> int:
        return self.rng.choice(SEEDED_POLICIES + self.own)

    # Reads: 60 of every 100 tasks.

    @task(12)
    def list_policies(self) -> None:
        with self.client.get(
            "/api/v2/slas/policies.json",
            auth=ADMIN,
            name="GET policies",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                positions = [p["position"] for p in response.json()["sla_policies"]]
                if positions != list(range(1, len(positions) + 1)):
                    response.failure(f"positions are not 1..n: {positions}")

    @task(12)
    def show_policy(self) -> None:
        with self.client.get(
            f"/api/v2/slas/policies/{self.some_policy()}.json",
            auth=ADMIN,
            name="GET policy",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(12)
    def list_tickets(self) -> None:
        page = self.rng.randint(1, max(1, len(TICKETS) // 100))
        with self.client.get(
            f"/api/v2/tickets.json?include=slas&per_page=100&page={page}",
            auth=AGENT,
            name="GET tickets?include=slas",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and not response.json()["tickets"]:
                response.failure(f"page {page} is empty")

    @task(24)
    def show_ticket(self) -> None:
        with self.client.get(
            f"/api/v2/tickets/{self.rng.choice(TICKETS)}.json?include=slas",
            auth=AGENT,
            name="GET ticket?include=slas",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and "slas" not in response.json()["ticket"]:
                response.failure("no slas in the ticket")

    # Writes: 40 of every 100 tasks.

    @task(10)
    def create_policy(self) -> None:
        title = self.next_title()
        body: dict[str, Any] = policy_body(self.rng, title)
        if self.rng.random() < 0.3:
            body["position"] = self.rng.randint(1, 5)
        with self.client.post(
            "/api/v2/slas/policies.json",
            json={"sla_policy": body},
            auth=ADMIN,
            name="POST policy",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 201):
                policy_id = response.json()["sla_policy"]["id"]
                self.own.append(policy_id)
                record("create", id=policy_id, title=title)

    @task(8)
    def update_policy(self) -> None:
        if not self.own:
            self.create_policy()
            return
        policy_id = self.rng.choice(self.own)
        title = self.next_title()
        body = {"title": title, "description": f"Renamed by client {self.client_id}"}
        with self.client.put(
            f"/api/v2/slas/policies/{policy_id}.json",
            json={"sla_policy": body},
            auth=ADMIN,
            name="PUT policy",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                record("update", id=policy_id, title=title)

    @task(4)
    def reorder_policies(self) -> None:
        ids = self.rng.sample(SEEDED_POLICIES, k=min(5, len(SEEDED_POLICIES))) + self.own[-3:]
        self.rng.shuffle(ids)
        with self.client.put(
            "/api/v2/slas/policies/reorder.json",
            json={"sla_policy_ids": ids},
            auth=ADMIN,
            name="PUT policies/reorder",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(6)
    def delete_policy(self) -> None:
        if not self.own:
            self.create_policy()
            return
        policy_id = self.own.pop(self.rng.randrange(len(self.own)))
        with self.client.delete(
            f"/api/v2/slas/policies/{policy_id}.json",
            auth=ADMIN,
            name="DELETE policy",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 204):
                record("delete", id=policy_id)
            else:
                self.own.append(policy_id)

    @task(12)
    def update_ticket(self) -> None:
        ticket_id = self.rng.choice(TICKETS)
        self.count += 1
        comment = f"Load {self.client_id} {self.count}: looking into it."
        body = {
            "comment": {"body": comment, "public": self.rng.random() < 0.7},
            "status": self.rng.choice(STATUSES),
            "priority": self.rng.choice(PRIORITIES),
        }
        with self.client.put(
            f"/api/v2/tickets/{ticket_id}.json",
            json={"ticket": body},
            auth=AGENT,
            name="PUT ticket",
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                record("comment", ticket=ticket_id, body=comment)
