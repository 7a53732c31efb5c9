"""The clients of `python -m tests.load` (`make load`), one class per mix; the driver names the
class to run.

PolicyHeavyClient: a support team's integrations using Zendesk's SLA Policies and Tickets APIs
at once. About 60 % of its requests read policies and tickets and 40 % write: it creates
policies with unique titles, renames, reorders and deletes only the policies it created itself
(besides the seeded ones, which nobody deletes), and comments on tickets.

RealisticClient: a support desk at work. Agents read tickets and their SLAs, their browsers
poll the agent queue's badges, and they reply, add notes and change status and priority;
integrations page through tickets and metrics and follow the metric events export; now and
then an admin reads or edits a policy. Of every 1,000 requests: 700 ticket reads and queue
polls, 200 ticket updates and comments, 80 exports and metrics, 20 policy reads and edits.
Each client sends at most LOAD_CLIENT_RATE requests a second.

Every request must succeed: any answer other than the expected 2xx counts as a failure. Every
write the server accepted is appended as a JSON line to LOAD_WRITES_FILE, for the driver to
look for in the database afterwards.

Configured through the environment: LOAD_ACCOUNT_FILE (the seeded account as JSON: tokens,
the agent's admin session, policy and ticket ids), LOAD_WRITES_FILE, LOAD_CLIENT_RATE.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, constant_throughput, task
from locust.contrib.fasthttp import ResponseContextManager

ACCOUNT_FILE = os.environ.get("LOAD_ACCOUNT_FILE", "")
ACCOUNT: dict[str, Any] = json.loads(Path(ACCOUNT_FILE).read_text()) if ACCOUNT_FILE else {}
ADMIN = (ACCOUNT.get("admin_email", "") + "/token", ACCOUNT.get("admin_token", ""))
AGENT = (ACCOUNT.get("agent_email", "") + "/token", ACCOUNT.get("agent_token", ""))
SEEDED_POLICIES: list[int] = ACCOUNT.get("policies", [])
# Policies no seeded ticket matches: the realistic mix's admins edit these.
SEGMENT_POLICIES: list[int] = ACCOUNT.get("segment_policies", [])
TICKETS: list[int] = sorted(ACCOUNT.get("tickets", []))
SESSION_COOKIE = f"{ACCOUNT.get('session_cookie_name')}={ACCOUNT.get('agent_session')}"
WRITES_FILE = os.environ.get("LOAD_WRITES_FILE", os.devnull)
CLIENT_RATE = float(os.environ.get("LOAD_CLIENT_RATE", "2"))
TIMEOUT = 60
# Tickets on one page of the agent queue (TicketAdmin.list_per_page), whose badges it polls.
QUEUE_PAGE = 50

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


def policy_metrics(rng: random.Random) -> list[dict[str, Any]]:
    minutes = rng.choice((30, 60, 120, 240))
    return [
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
    ]


def policy_body(rng: random.Random, title: str) -> dict[str, Any]:
    conditions = rng.sample(CONDITIONS, k=rng.randint(1, 3))
    return {
        "title": title,
        "description": "Created by the load test",
        "filter": {"all": conditions[:1], "any": conditions[1:]},
        "policy_metrics": policy_metrics(rng),
    }


class LoadClient(FastHttpUser):
    """geventhttpclient's client: the load generator shares the two cores with the server, and
    spends a fraction of the CPU per request that `requests` would."""

    abstract = True
    network_timeout = connection_timeout = TIMEOUT

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client_id = uuid.uuid4().hex[:8]
        self.count = 0

    def next_title(self) -> str:
        self.count += 1
        return f"Load {self.client_id} {self.count}"

    def expect(self, response: ResponseContextManager, status: int) -> bool:
        if response.status_code != status:
            response.failure(f"{response.status_code}: {response.text[:300]}")
            return False
        return True

    def show_ticket(self) -> None:
        with self.client.get(
            f"/api/v2/tickets/{self.rng.choice(TICKETS)}.json?include=slas",
            auth=AGENT,
            name="GET ticket?include=slas",
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and "slas" not in response.json()["ticket"]:
                response.failure("no slas in the ticket")

    def list_tickets(self) -> None:
        page = self.rng.randint(1, max(1, len(TICKETS) // 100))
        with self.client.get(
            f"/api/v2/tickets.json?include=slas&per_page=100&page={page}",
            auth=AGENT,
            name="GET tickets?include=slas",
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and not response.json()["tickets"]:
                response.failure(f"page {page} is empty")

    def update_ticket(self, name: str, *, comment: str | None, priority: str | None) -> None:
        ticket_id = self.rng.choice(TICKETS)
        status = self.rng.choice(STATUSES)
        body: dict[str, Any] = {"status": status}
        if priority is not None:
            body["priority"] = priority
        if comment is not None:
            body["comment"] = {"body": comment, "public": self.rng.random() < 0.7}
        with self.client.put(
            f"/api/v2/tickets/{ticket_id}.json",
            json={"ticket": body},
            auth=AGENT,
            name=name,
            catch_response=True,
        ) as response:
            if not self.expect(response, 200):
                return
            if response.json()["ticket"]["status"] != status:
                response.failure(f"status {status} was not saved")
            elif comment is not None:
                record("comment", ticket=ticket_id, body=comment)
            else:
                record("fields", ticket=ticket_id, status=status, priority=priority)

    def new_comment(self) -> str:
        self.count += 1
        return f"Load {self.client_id} {self.count}: looking into it."


class PolicyHeavyClient(LoadClient):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        super().on_start()
        # The policies this client created and has not deleted: only it writes to them.
        self.own: list[int] = []

    def some_policy(self) -> int:
        return self.rng.choice(SEEDED_POLICIES + self.own)

    # Reads: 60 of every 100 tasks.

    @task(12)
    def list_policies(self) -> None:
        with self.client.get(
            "/api/v2/slas/policies.json",
            auth=ADMIN,
            name="GET policies",
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
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(12)
    def read_ticket_page(self) -> None:
        self.list_tickets()

    @task(24)
    def read_ticket(self) -> None:
        self.show_ticket()

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
            catch_response=True,
        ) as response:
            if self.expect(response, 204):
                record("delete", id=policy_id)
            else:
                self.own.append(policy_id)

    @task(12)
    def comment_on_ticket(self) -> None:
        self.update_ticket(
            "PUT ticket", comment=self.new_comment(), priority=self.rng.choice(PRIORITIES)
        )


class RealisticClient(LoadClient):
    wait_time = constant_throughput(CLIENT_RATE)

    def on_start(self) -> None:
        super().on_start()
        # Where this client's integration is in the metric events export.
        self.export_after: str | None = None

    # Ticket reads and queue polls: 700 of every 1,000 tasks.

    @task(300)
    def read_ticket(self) -> None:
        self.show_ticket()

    @task(150)
    def read_ticket_page(self) -> None:
        self.list_tickets()

    @task(250)
    def poll_queue(self) -> None:
        """What the agent queue's page (static/slaweb/js/countdown.js) asks for every 15 s:
        the badges of the tickets on one page of the queue."""
        start = self.rng.randrange(max(1, len(TICKETS) - QUEUE_PAGE))
        ids = TICKETS[start : start + QUEUE_PAGE]
        with self.client.get(
            "/admin/tickets/ticket/sla/?ids=" + ",".join(str(i) for i in ids),
            # The agent's browser is signed in to the admin: the queue polls with its session.
            headers={"Accept": "application/json", "Cookie": SESSION_COOKIE},
            name="GET agent queue poll",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and len(response.json()["tickets"]) != len(ids):
                response.failure(f"{len(ids)} tickets asked, other count answered")

    # Ticket updates and comments: 200 of every 1,000 tasks.

    @task(140)
    def comment_on_ticket(self) -> None:
        priority = self.rng.choice(PRIORITIES) if self.rng.random() < 0.3 else None
        self.update_ticket("PUT ticket (comment)", comment=self.new_comment(), priority=priority)

    @task(60)
    def change_ticket_fields(self) -> None:
        self.update_ticket(
            "PUT ticket (status, priority)", comment=None, priority=self.rng.choice(PRIORITIES)
        )

    # Exports and metrics: 80 of every 1,000 tasks.

    @task(30)
    def follow_metric_events(self) -> None:
        """The next page of the cursor-based export, from the start of the stream; at its end
        the same cursor is asked again, as a consumer polling for new events does."""
        query = {"start_time": 0, "page[size]": 100}
        if self.export_after:
            query["page[after]"] = self.export_after
        with self.client.get(
            "/api/v2/incremental/ticket_metric_events.json?" + urlencode(query),
            auth=ADMIN,
            name="GET incremental/ticket_metric_events",
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                self.export_after = response.json()["meta"]["after_cursor"] or self.export_after

    @task(30)
    def read_metrics_page(self) -> None:
        page = self.rng.randint(1, max(1, len(TICKETS) // 100))
        with self.client.get(
            f"/api/v2/ticket_metrics.json?per_page=100&page={page}",
            auth=AGENT,
            name="GET ticket_metrics",
            catch_response=True,
        ) as response:
            if self.expect(response, 200) and not response.json()["ticket_metrics"]:
                response.failure(f"page {page} is empty")

    @task(20)
    def read_ticket_metrics(self) -> None:
        with self.client.get(
            f"/api/v2/tickets/{self.rng.choice(TICKETS)}/metrics.json",
            auth=AGENT,
            name="GET ticket/metrics",
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    # Policy reads and edits: 20 of every 1,000 tasks.

    @task(10)
    def list_policies(self) -> None:
        with self.client.get(
            "/api/v2/slas/policies.json",
            auth=ADMIN,
            name="GET policies",
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(5)
    def show_policy(self) -> None:
        with self.client.get(
            f"/api/v2/slas/policies/{self.rng.choice(SEEDED_POLICIES)}.json",
            auth=ADMIN,
            name="GET policy",
            catch_response=True,
        ) as response:
            self.expect(response, 200)

    @task(5)
    def edit_policy(self) -> None:
        """An admin retitles a segment policy, and one time in three changes its targets."""
        policy_id = self.rng.choice(SEGMENT_POLICIES)
        title = self.next_title()
        body: dict[str, Any] = {"title": title, "description": f"Edited by {self.client_id}"}
        if self.rng.random() < 1 / 3:
            body["policy_metrics"] = policy_metrics(self.rng)
        with self.client.put(
            f"/api/v2/slas/policies/{policy_id}.json",
            json={"sla_policy": body},
            auth=ADMIN,
            name="PUT policy",
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                record("rename", id=policy_id, title=title)
