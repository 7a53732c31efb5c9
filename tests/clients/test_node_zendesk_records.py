"""node-zendesk (npm, pinned in node/package.json) against a live slaweb, beyond SLA policies.

node/records.js runs once for the module (`createClient({username, token, endpointUri})`) and
makes, through the library's own methods: tickets (create with a comment, create with
html_body and a new requester, update with a private comment, show, showMany, list, list
sorted, list by external_id, show with side-loads, comments), ticket audits (list, show), ticket
metrics (of a ticket, list, show), createMany and updateMany with `jobstatuses.watch` polling
to the end, job statuses (show, showMany, list), users (me, createOrUpdate new and existing,
showMany, search by query and external_id, delete), ticket fields and options, groups,
organizations and brands (create, update, show, list, delete). The tests assert on what the
library returned (its parsed result) and on what it sent.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.clients.conftest import NODE_DIR, Account, create_account, root_url
from tests.conftest import TEST_SETTINGS
from tests.factories import (
    GroupFactory,
    OrganizationFactory,
    TicketFieldFactory,
    TicketFieldOptionFactory,
    UserFactory,
)

pytestmark = pytest.mark.clients

NODE_SCRIPT = NODE_DIR / "records.js"


@dataclass(frozen=True)
class RecordsRun:
    output: dict[str, Any]
    account: Account
    seed: dict[str, int]
    endpoint_uri: str


def run_records(node_bin: str, server_url: str, account: Account, seed: dict[str, int]) -> Any:
    completed = subprocess.run(
        [node_bin, str(NODE_SCRIPT), server_url, account.email, account.token, json.dumps(seed)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert completed.returncode == 0, (
        f"node exited {completed.returncode}\nstdout:\n{completed.stdout}\n"
        f"stderr:\n{completed.stderr}"
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    assert lines, f"node printed nothing\nstderr:\n{completed.stderr}"
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def records_run(
    django_db_setup: None, django_db_blocker: Any, live_server: Any, node_bin: str
) -> RecordsRun:
    """records.js, run once for the tests that each check some of its steps. Background tasks
    (the bulk jobs) run as they are enqueued; the database is emptied afterwards, as after any
    test on the live server."""
    with django_db_blocker.unblock(), override_settings(**copy.deepcopy(TEST_SETTINGS)):
        try:
            account = create_account()
            field = TicketFieldFactory(title="Plan", type="tagger")
            organization = OrganizationFactory(name="Gold Customers")
            customer = UserFactory(
                name="Carla Customer", email="carla@example.com", organization=organization
            )
            seed = {
                "customer": customer.pk,
                "agent": UserFactory(name="Andy Agent", email="andy@example.com", role="agent").pk,
                "group": GroupFactory(name="Tier 1").pk,
                "organization": organization.pk,
                "field": field.pk,
                "option": TicketFieldOptionFactory(field=field, name="Gold", value="gold").pk,
                "brand": account.brand_id,
            }
            output = run_records(node_bin, root_url(live_server), account, seed)
        finally:
            call_command("flush", interactive=False, verbosity=0)
    assert output["client"] == "node-zendesk"
    return RecordsRun(output, account, seed, f"{root_url(live_server)}/api/v2")


@pytest.fixture
def run(records_run: RecordsRun) -> dict[str, Any]:
    return records_run.output


@pytest.fixture
def seed(records_run: RecordsRun) -> dict[str, int]:
    return records_run.seed


def ok(output: dict[str, Any], step: str, status: int | None = None) -> Any:
    """What the library returned for `step` (its parsed result), which must have succeeded."""
    result = output["results"][step]
    assert result["ok"], f"{step} failed: {result}"
    if status is not None:
        assert result["status"] == status, result
    return result["result"]


def sent(output: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    """The requests the library made to `path` (after /api/v2/, with its query)."""
    uri = f"{output['endpoint_uri']}/{path}"
    return [r for r in output["requests"] if r["method"] == method and r["uri"] == uri]


def not_found(output: dict[str, Any], step: str) -> None:
    result = output["results"][step]
    assert result["ok"] is False
    assert result["error"] == "Request processing failed: Zendesk Error (404): Item not found"


# Tickets ---------------------------------------------------------------------------------------


def test_create_with_a_comment_returns_the_ticket(
    run: dict[str, Any], seed: dict[str, int]
) -> None:
    ticket = ok(run, "ticket_create", 201)

    (post,) = sent(run, "POST", "tickets.json")[:1]
    assert post["body"]["ticket"]["comment"] == {"body": "It is on fire."}
    assert post["location"] == ticket["url"]
    # The answer also holds the audit of the creation; node-zendesk hands back the ticket.
    assert set(post["response_json"]) == {"ticket", "audit"}
    assert post["response_json"]["audit"]["ticket_id"] == ticket["id"]
    assert {k: ticket[k] for k in ("subject", "description", "priority", "status")} == {
        "subject": "Printer on fire",
        "description": "It is on fire.",
        "priority": "high",
        "status": "new",
    }
    assert ticket["requester_id"] == seed["customer"]
    assert ticket["submitter_id"] == run["results"]["user_me"]["result"]["id"]
    assert ticket["group_id"] == seed["group"]
    assert ticket["organization_id"] == seed["organization"]  # the requester's
    assert ticket["external_id"] == "node-1"
    assert ticket["custom_fields"] == [{"id": seed["field"], "value": "gold"}]
    assert ticket["url"] == f"{run['endpoint_uri']}/tickets/{ticket['id']}.json"


def test_create_with_html_body_and_a_new_requester(run: dict[str, Any]) -> None:
    ticket = ok(run, "ticket_create_html", 201)

    post = sent(run, "POST", "tickets.json")[1]
    assert post["body"]["ticket"]["comment"] == {"html_body": "<p>Second <b>one</b></p>"}
    assert ticket["description"] == "Second one"  # the text of the HTML
    comment = post["response_json"]["audit"]["events"][0]
    assert (comment["html_body"], comment["body"]) == ("<p>Second <b>one</b></p>", "Second one")
    # The requester is a new end user, not the admin who submitted it.
    assert ticket["requester_id"] not in (None, ticket["submitter_id"])


def test_update_with_a_private_comment(run: dict[str, Any], seed: dict[str, int]) -> None:
    ticket = ok(run, "ticket_update", 200)
    ids = run["results"]["ids"]

    (put,) = sent(run, "PUT", f"tickets/{ids['ticket']}.json")
    assert put["body"] == {
        "ticket": {
            "status": "open",
            "assignee_id": seed["agent"],
            "comment": {"body": "Looking", "public": False},
        }
    }
    assert (ticket["status"], ticket["assignee_id"]) == ("open", seed["agent"])
    audit = put["response_json"]["audit"]
    assert [e["type"] for e in audit["events"]][0] == "Comment"
    assert audit["events"][0]["public"] is False

    comments = ok(run, "ticket_comments")
    assert [(c["body"], c["public"]) for c in comments] == [
        ("It is on fire.", True),
        ("Looking", False),
    ]
    assert comments[1]["html_body"] == "<p>Looking</p>"


def test_show_and_show_many(run: dict[str, Any]) -> None:
    ids = run["results"]["ids"]
    shown = ok(run, "ticket_show", 200)
    assert shown["id"] == ids["ticket"]
    assert shown["status"] == "open"

    many = ok(run, "ticket_show_many", 200)
    assert sent(run, "GET", f"tickets/show_many.json?ids={ids['second']}%2C{ids['ticket']}")
    assert sorted(t["id"] for t in many) == sorted([ids["ticket"], ids["second"]])


def test_list_follows_cursor_pages_and_sorts(run: dict[str, Any]) -> None:
    ids = run["results"]["ids"]
    # node-zendesk asks for cursor pages of 100 on lists that support them.
    assert sent(run, "GET", "tickets.json?page%5Bsize%5D=100")
    listed = ok(run, "ticket_list")
    assert [t["id"] for t in listed] == [ids["ticket"], ids["second"]]

    assert sent(run, "GET", "tickets.json?sort=-id&page%5Bsize%5D=100")
    assert [t["id"] for t in ok(run, "ticket_list_sorted")] == [ids["second"], ids["ticket"]]

    by_external_id = ok(run, "ticket_list_external_id")
    assert [t["id"] for t in by_external_id] == [ids["ticket"]]


def test_side_loads_become_the_tickets_records(run: dict[str, Any], seed: dict[str, int]) -> None:
    ticket = ok(run, "ticket_show_side_loaded", 200)
    ids = run["results"]["ids"]

    (get,) = sent(
        run, "GET", f"tickets/{ids['ticket']}.json?include=users%2Corganizations%2Cgroups"
    )
    assert {"users", "organizations", "groups"} <= set(get["response_json"])
    # node-zendesk's sideLoadMap puts the side-loaded users and organization on the ticket.
    assert (ticket["requester"]["id"], ticket["requester"]["name"]) == (
        seed["customer"],
        "Carla Customer",
    )
    assert (ticket["assignee"]["id"], ticket["assignee"]["name"]) == (seed["agent"], "Andy Agent")
    assert ticket["submitter"]["name"] == "Compat Admin"
    assert (ticket["organization"]["id"], ticket["organization"]["name"]) == (
        seed["organization"],
        "Gold Customers",
    )
    assert [g["name"] for g in get["response_json"]["groups"]] == ["Tier 1"]


# Ticket audits and metrics ---------------------------------------------------------------------


def test_audits_list_and_show(run: dict[str, Any], seed: dict[str, int]) -> None:
    ticket_id = run["results"]["ids"]["ticket"]
    audits = ok(run, "audit_list")
    assert sent(run, "GET", f"tickets/{ticket_id}/audits.json")
    assert len(audits) == 2
    creation, update = audits
    assert {a["ticket_id"] for a in audits} == {ticket_id}
    assert creation["events"][0] == {
        **creation["events"][0],
        "type": "Comment",
        "body": "It is on fire.",
        "public": True,
    }
    assert {(e["type"], e["field_name"]) for e in creation["events"][1:]} >= {
        ("Create", "subject"),
        ("Create", "priority"),
    }
    changes = {e["field_name"]: e for e in update["events"] if e["type"] == "Change"}
    assert (changes["status"]["previous_value"], changes["status"]["value"]) == ("new", "open")
    assert changes["assignee_id"]["value"] == seed["agent"]

    shown = ok(run, "audit_show", 200)
    assert shown == update


def test_ticket_metrics(run: dict[str, Any]) -> None:
    ticket_id = run["results"]["ids"]["ticket"]
    of_ticket = ok(run, "metric_of_ticket", 200)
    assert sent(run, "GET", f"tickets/{ticket_id}/metrics.json")
    assert of_ticket["ticket_id"] == ticket_id
    assert of_ticket["assignee_stations"] == 1
    assert of_ticket["group_stations"] == 1
    assert of_ticket["replies"] == 0  # the agent's comment was private
    assert of_ticket["reply_time_in_minutes"] == {"calendar": None, "business": None}
    assert of_ticket["initially_assigned_at"] is not None

    assert ok(run, "metric_show", 200) == of_ticket
    assert sent(run, "GET", "ticket_metrics.json?page%5Bsize%5D=100")
    listed = ok(run, "metric_list")
    assert [m["ticket_id"] for m in listed] == [ticket_id, run["results"]["ids"]["second"]]
    assert listed[0] == of_ticket


# Bulk jobs -------------------------------------------------------------------------------------


def test_create_many_is_watched_to_its_end(run: dict[str, Any], seed: dict[str, int]) -> None:
    answered = ok(run, "ticket_create_many", 200)["job_status"]
    watched = ok(run, "job_watch_create")

    assert sent(run, "POST", "tickets/create_many.json")[0]["body"]["tickets"][0] == {
        "subject": "Bulk 1",
        "comment": {"body": "one"},
        "requester_id": seed["customer"],
    }
    assert watched["id"] == answered["id"]
    assert (watched["status"], watched["total"], watched["progress"]) == ("completed", 3, 3)
    created, created_too, failed = watched["results"]
    assert (created["action"], created["success"]) == ("create", True)
    assert created_too["id"] == created["id"] + 1
    assert (failed["success"], failed["error"]) == (False, "RecordInvalid")
    assert "999999999" in failed["details"]


def test_update_many_with_ids_is_watched_to_its_end(run: dict[str, Any]) -> None:
    ids = run["results"]["ids"]
    ok(run, "ticket_update_many", 200)
    (put,) = sent(run, "PUT", f"tickets/update_many.json?ids={ids['ticket']}%2C{ids['second']}")
    assert put["body"] == {"ticket": {"status": "pending"}}

    watched = ok(run, "job_watch_update")
    assert watched["status"] == "completed"
    assert [(r["id"], r["status"]) for r in watched["results"]] == [
        (ids["ticket"], "Updated"),
        (ids["second"], "Updated"),
    ]
    after = ok(run, "ticket_show_many_after_update_many")
    assert {t["status"] for t in after} == {"pending"}


def test_job_statuses_show_show_many_and_list(run: dict[str, Any]) -> None:
    ids = run["results"]["ids"]
    # jobstatuses has no name for the job_status key: node-zendesk returns the whole body.
    assert ok(run, "job_show", 200)["job_status"] == ok(run, "job_watch_create")
    assert sent(
        run, "GET", f"job_statuses/show_many.json?ids={ids['create_job']}%2C{ids['update_job']}"
    )
    many = ok(run, "job_show_many", 200)["job_statuses"]
    assert [j["id"] for j in many] == [ids["create_job"], ids["update_job"]]
    listed = ok(run, "job_list", 200)["job_statuses"]
    assert {j["id"] for j in listed} == {ids["create_job"], ids["update_job"]}
    assert all(j["url"].endswith(f"/job_statuses/{j['id']}.json") for j in listed)


# Users -----------------------------------------------------------------------------------------


def test_users_create_or_update_show_many_search_and_delete(
    run: dict[str, Any], seed: dict[str, int]
) -> None:
    user_id = run["results"]["ids"]["upserted_user"]
    new = ok(run, "user_create_or_update_new", 201)
    assert (new["name"], new["email"], new["role"]) == (
        "Upserted",
        "upserted@example.com",
        "end-user",
    )
    again = ok(run, "user_create_or_update_existing", 200)
    assert (again["id"], again["name"], again["external_id"]) == (
        user_id,
        "Upserted Again",
        "crm-7",
    )

    assert sent(run, "GET", f"users/show_many.json?ids={seed['customer']}%2C{user_id}")
    assert [u["id"] for u in ok(run, "user_show_many", 200)] == [seed["customer"], user_id]

    assert sent(run, "GET", "users/search.json?query=Upserted")
    assert [u["id"] for u in ok(run, "user_search_query")] == [user_id]
    assert [u["id"] for u in ok(run, "user_search_external_id")] == [user_id]

    deleted = ok(run, "user_delete", 200)
    assert (deleted["id"], deleted["active"]) == (user_id, False)
    assert ok(run, "user_show_deleted", 200)["active"] is False


# Ticket fields, groups, organizations, brands -----------------------------------------------


def test_ticket_fields_and_options(run: dict[str, Any], seed: dict[str, int]) -> None:
    ids = run["results"]["ids"]
    listed = ok(run, "field_list")
    assert [(f["id"], f["type"], f["title"]) for f in listed] == [(seed["field"], "tagger", "Plan")]
    assert [o["value"] for o in listed[0]["custom_field_options"]] == ["gold"]
    assert ok(run, "field_show", 200) == listed[0]

    created = ok(run, "field_create", 201)
    assert (created["id"], created["type"], created["title"]) == (
        ids["field"],
        "text",
        "Order number",
    )
    assert ok(run, "field_update", 200)["title"] == "Order no."

    # Options come back whole ({"custom_field_option": ...}): node-zendesk knows no such key.
    option = ok(run, "option_create", 201)["custom_field_option"]
    assert (option["name"], option["value"]) == ("Platinum", "platinum")
    options = ok(run, "option_list", 200)["custom_field_options"]
    assert [o["value"] for o in options] == ["gold", "platinum"]
    assert ok(run, "option_show", 200)["custom_field_option"] == option
    assert ok(run, "option_delete", 204) == {"error_object": "No Content", "statusCode": 204}
    assert sent(run, "DELETE", f"ticket_fields/{seed['field']}/options/{ids['option']}.json")
    ok(run, "field_delete", 204)
    not_found(run, "field_show_deleted")


def test_groups(run: dict[str, Any], seed: dict[str, int]) -> None:
    group_id = run["results"]["ids"]["group"]
    created = ok(run, "group_create", 201)
    assert (created["name"], created["deleted"]) == ("Night shift", False)
    assert ok(run, "group_update", 200)["description"] == "After hours"
    assert ok(run, "group_show", 200)["description"] == "After hours"
    assert sent(run, "GET", "groups.json?page%5Bsize%5D=100")
    assert [g["id"] for g in ok(run, "group_list")] == [seed["group"], group_id]
    ok(run, "group_delete", 204)
    assert [g["id"] for g in ok(run, "group_list_after_delete")] == [seed["group"]]


def test_organizations(run: dict[str, Any], seed: dict[str, int]) -> None:
    organization_id = run["results"]["ids"]["organization"]
    created = ok(run, "organization_create", 201)
    assert (created["name"], created["organization_fields"]) == ("Acme", {"plan": "gold"})
    updated = ok(run, "organization_update", 200)
    assert (updated["name"], updated["organization_fields"]) == ("Acme Inc", {"plan": "gold"})
    assert ok(run, "organization_show", 200) == updated
    listed = ok(run, "organization_list")
    assert [o["id"] for o in listed] == [seed["organization"], organization_id]  # cursor: by id
    ok(run, "organization_delete", 204)
    not_found(run, "organization_show_deleted")


def test_brands(run: dict[str, Any], seed: dict[str, int]) -> None:
    brand_id = run["results"]["ids"]["brand"]
    # Brand answers come back whole ({"brand": ...}): node-zendesk names only "brands".
    created = ok(run, "brand_create", 201)["brand"]
    assert (created["name"], created["subdomain"], created["active"]) == (
        "Second brand",
        "second",
        True,
    )
    (put,) = sent(run, "PUT", f"brands/{brand_id}.json")
    assert put["body"] == {"brand": {"name": "Renamed brand"}}
    assert ok(run, "brand_update", 200)["brand"]["name"] == "Renamed brand"
    assert ok(run, "brand_show", 200)["brand"]["name"] == "Renamed brand"
    assert [b["id"] for b in ok(run, "brand_list", 200)] == [seed["brand"], brand_id]
    ok(run, "brand_delete", 204)
    not_found(run, "brand_show_deleted")


def test_every_request_went_to_the_live_server(run: dict[str, Any]) -> None:
    assert run["client_version"] == "6.0.1"
    assert run["requests"]
    assert all(r["uri"].startswith(run["endpoint_uri"] + "/") for r in run["requests"])
    statuses = {r["status"] for r in run["requests"]}
    assert statuses <= {200, 201, 204, 404}, statuses
