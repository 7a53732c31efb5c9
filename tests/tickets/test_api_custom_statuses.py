"""The Custom Ticket Statuses API against Zendesk's documented shapes and rules, and what a
ticket's writes do with custom statuses (a bare status, the defaults, audits, imports)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import CustomStatusFactory
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import check_response
from tickets.custom_statuses import custom_status_default
from tickets.models import ChangeEvent, CreateEvent, CustomStatus, Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CATEGORIES = ("new", "open", "pending", "hold", "solved")


@pytest.fixture
def schema(anonymous_client: APIClient) -> dict[str, Any]:
    response = anonymous_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def defaults(db: None) -> dict[str, CustomStatus]:
    """Each category's default (the migration's, or made again where the table was emptied)."""
    return {category: custom_status_default(category) for category in CATEGORIES}


def conforms(method: str, path: str, response: Any) -> None:
    errors = check_response(method, path, response.status_code, response.json())
    assert not errors, "\n".join(errors)


def post_status(client: APIClient, **fields: Any) -> Any:
    return client.post("/api/v2/custom_statuses.json", {"custom_status": fields}, format="json")


def put_status(client: APIClient, status_id: int, **fields: Any) -> Any:
    return client.put(
        f"/api/v2/custom_statuses/{status_id}.json", {"custom_status": fields}, format="json"
    )


def error_descriptions(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    return [item["description"] for items in body["details"].values() for item in items]


# The defaults ---------------------------------------------------------------------------------


def test_every_category_has_one_active_default(defaults: dict[str, CustomStatus]) -> None:
    rows = CustomStatus.objects.filter(default=True)
    assert sorted(rows.values_list("status_category", flat=True)) == sorted(CATEGORIES)
    assert all(row.active for row in rows)
    assert [(d.agent_label, d.end_user_label) for d in defaults.values()] == [
        ("New", "Open"),
        ("Open", "Open"),
        ("Pending", "Awaiting your reply"),
        ("On-hold", "Open"),
        ("Solved", "Solved"),
    ]
    # Asked again, the same rows: nothing is created twice.
    assert custom_status_default("open") == defaults["open"]
    assert custom_status_default("closed") == defaults["solved"]
    assert CustomStatus.objects.filter(default=True).count() == 5


# List and show --------------------------------------------------------------------------------


def test_list_in_workflow_order_with_zendesks_shape(
    admin_client: APIClient, defaults: dict[str, CustomStatus], schema: dict[str, Any]
) -> None:
    with time_machine.travel(T0, tick=False):
        vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
        CustomStatusFactory(status_category="pending", agent_label="Gone", active=False)

    response = admin_client.get("/api/v2/custom_statuses.json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"custom_statuses"}  # not paginated, as in Zendesk
    listed = [(s["status_category"], s["agent_label"]) for s in body["custom_statuses"]]
    assert listed == [
        ("new", "New"),
        ("open", "Open"),
        ("pending", "Pending"),
        ("pending", "Gone"),
        ("hold", "On-hold"),
        ("hold", "Waiting on vendor"),
        ("solved", "Solved"),
    ]
    shown = next(s for s in body["custom_statuses"] if s["id"] == vendor.pk)
    assert shown == {
        "id": vendor.pk,
        "status_category": "hold",
        "agent_label": "Waiting on vendor",
        "raw_agent_label": "Waiting on vendor",
        "end_user_label": "",
        "raw_end_user_label": "",
        "description": "",
        "raw_description": "",
        "end_user_description": "",
        "raw_end_user_description": "",
        "active": True,
        "default": False,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
    }
    conforms("get", "/api/v2/custom_statuses", response)
    assert_matches_schema(schema, "get", "/api/v2/custom_statuses.json", response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status_categories=pending,hold", ["Pending", "Gone", "On-hold", "Waiting on vendor"]),
        ("status_categories=hold", ["On-hold", "Waiting on vendor"]),
        ("active=false", ["Gone"]),
        ("active=true&status_categories=pending", ["Pending"]),
        ("default=false", ["Gone", "Waiting on vendor"]),
        ("default=true&status_categories=solved", ["Solved"]),
    ],
)
def test_list_filters(
    agent_client: APIClient, defaults: dict[str, CustomStatus], query: str, expected: list[str]
) -> None:
    CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    CustomStatusFactory(status_category="pending", agent_label="Gone", active=False)

    response = agent_client.get(f"/api/v2/custom_statuses.json?{query}")

    assert response.status_code == 200
    assert [s["agent_label"] for s in response.json()["custom_statuses"]] == expected


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("active=yes", "active is not valid: true or false"),
        ("default=1", "default is not valid: true or false"),
        (
            "status_categories=open,closed",
            "status_categories is not valid: a comma-separated list of new, open, pending, "
            "hold, solved",
        ),
        (
            "status_categories=",
            "status_categories is not valid: a comma-separated list of new, open, pending, "
            "hold, solved",
        ),
    ],
)
def test_bad_filters_are_400(admin_client: APIClient, query: str, description: str) -> None:
    response = admin_client.get(f"/api/v2/custom_statuses.json?{query}")

    assert response.status_code == 400
    assert response.json() == {"error": "InvalidParameter", "description": description}


def test_show(
    admin_client: APIClient, defaults: dict[str, CustomStatus], schema: dict[str, Any]
) -> None:
    pending = defaults["pending"]

    response = admin_client.get(f"/api/v2/custom_statuses/{pending.pk}.json")

    assert response.status_code == 200
    shown = response.json()["custom_status"]
    assert (shown["id"], shown["agent_label"], shown["default"]) == (pending.pk, "Pending", True)
    conforms("get", f"/api/v2/custom_statuses/{pending.pk}", response)
    assert_matches_schema(schema, "get", f"/api/v2/custom_statuses/{pending.pk}.json", response)
    missing = admin_client.get("/api/v2/custom_statuses/999999999.json")
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}


# Create ---------------------------------------------------------------------------------------


def test_create_as_zendesks_example(
    admin_client: APIClient, defaults: dict[str, CustomStatus], schema: dict[str, Any]
) -> None:
    with time_machine.travel(T0, tick=False):
        response = post_status(
            admin_client,
            active=True,
            agent_label="Responding quickly",
            description="Customer needs a response quickly",
            end_user_description="Your ticket is being responded to",
            end_user_label="Urgent processing",
            status_category="open",
        )

    assert response.status_code == 201, response.content
    created = response.json()["custom_status"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "status_category": "open",
        "agent_label": "Responding quickly",
        "raw_agent_label": "Responding quickly",
        "end_user_label": "Urgent processing",
        "raw_end_user_label": "Urgent processing",
        "description": "Customer needs a response quickly",
        "raw_description": "Customer needs a response quickly",
        "end_user_description": "Your ticket is being responded to",
        "raw_end_user_description": "Your ticket is being responded to",
        "active": True,
        "default": False,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
    }
    assert CustomStatus.objects.get(pk=created["id"]).agent_label == "Responding quickly"
    conforms("post", "/api/v2/custom_statuses", response)
    assert_matches_schema(schema, "post", "/api/v2/custom_statuses.json", response)


def test_a_blank_end_user_label_is_the_agent_label(admin_client: APIClient) -> None:
    response = post_status(admin_client, status_category="hold", agent_label="Waiting on vendor")

    assert response.status_code == 201
    assert response.json()["custom_status"]["end_user_label"] == "Waiting on vendor"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"agent_label": "No category"}, ["Status category: This field is required."]),
        (
            {"agent_label": "Closed", "status_category": "closed"},
            ['Status category: "closed" is not a valid choice.'],
        ),
        ({"status_category": "open"}, ["Agent label: This field is required."]),
        (
            {"status_category": "open", "agent_label": "x" * 49},
            ["Agent label: Ensure this field has no more than 48 characters."],
        ),
        (
            {"status_category": "open", "agent_label": "Fine", "end_user_label": "y" * 49},
            ["End user label: Ensure this field has no more than 48 characters."],
        ),
        (
            {"status_category": "open", "agent_label": "Fine", "active": "yes"},
            ["Active: Must be a valid boolean."],
        ),
        (
            {"status_category": "open", "agent_label": "Fine", "default": True},
            ["Default: a new status is not a default; make it the default with an update"],
        ),
    ],
)
def test_bad_creations_are_422_and_write_nothing(
    admin_client: APIClient, fields: dict[str, Any], expected: list[str]
) -> None:
    before = CustomStatus.objects.count()

    response = post_status(admin_client, **fields)

    assert error_descriptions(response) == expected
    assert CustomStatus.objects.count() == before


def test_a_category_holds_at_most_100_statuses(admin_client: APIClient) -> None:
    CustomStatus.objects.filter(status_category="hold").delete()
    CustomStatus.objects.bulk_create(
        CustomStatus(status_category="hold", agent_label=f"Hold {n}") for n in range(100)
    )

    response = post_status(admin_client, status_category="hold", agent_label="One more")

    assert error_descriptions(response) == ["Status category: a category has at most 100 statuses"]


# Update ---------------------------------------------------------------------------------------


def test_update_changes_labels_and_keeps_the_category(
    admin_client: APIClient, defaults: dict[str, CustomStatus], schema: dict[str, Any]
) -> None:
    with time_machine.travel(T0, tick=False):
        vendor = CustomStatusFactory(status_category="hold", agent_label="Vendor")
    later = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)

    with time_machine.travel(later, tick=False):
        response = put_status(
            admin_client,
            vendor.pk,
            agent_label="Waiting on vendor",
            end_user_label="In progress",
            description="The vendor has the next step",
            status_category="hold",  # the same: allowed
            id=vendor.pk,  # zenpy sends the id too
        )

    assert response.status_code == 200, response.content
    updated = response.json()["custom_status"]
    assert (updated["agent_label"], updated["end_user_label"], updated["description"]) == (
        "Waiting on vendor",
        "In progress",
        "The vendor has the next step",
    )
    assert (updated["created_at"], updated["updated_at"]) == (
        "2026-03-02T09:00:00Z",
        "2026-03-03T10:00:00Z",
    )
    conforms("put", f"/api/v2/custom_statuses/{vendor.pk}", response)
    assert_matches_schema(schema, "put", f"/api/v2/custom_statuses/{vendor.pk}.json", response)


@pytest.mark.parametrize(
    ("target", "fields", "expected"),
    [
        (
            "vendor",
            {"status_category": "pending"},
            [
                "Status category: cannot change: this status is hold, and tickets' SLA history "
                "was measured by it (create a status in the other category instead)"
            ],
        ),
        (
            "default",
            {"active": False},
            ["Active: the default status of a category cannot be deactivated"],
        ),
        (
            "default",
            {"default": False},
            ["Default: a category always has a default: make another status the default"],
        ),
        ("vendor", {"agent_label": "  "}, ["Agent label: This field may not be blank."]),
        ("vendor", {"agent_label": ""}, ["Agent label: This field may not be blank."]),
        ("inactive", {"default": True}, ["Default: an inactive status cannot be the default"]),
        (
            "vendor",
            {"default": True, "active": False},
            ["Active: the default status of a category cannot be deactivated"],
        ),
    ],
)
def test_bad_updates_are_422_and_write_nothing(
    admin_client: APIClient,
    defaults: dict[str, CustomStatus],
    target: str,
    fields: dict[str, Any],
    expected: list[str],
) -> None:
    statuses = {
        "vendor": CustomStatusFactory(status_category="hold", agent_label="Vendor"),
        "inactive": CustomStatusFactory(status_category="hold", active=False),
        "default": defaults["hold"],
    }
    before = list(CustomStatus.objects.order_by("id").values())

    response = put_status(admin_client, statuses[target].pk, **fields)

    assert error_descriptions(response) == expected
    assert list(CustomStatus.objects.order_by("id").values()) == before


def test_an_update_can_make_a_status_its_categorys_default(
    admin_client: APIClient, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")

    response = put_status(admin_client, vendor.pk, default=True)

    assert response.status_code == 200
    assert response.json()["custom_status"]["default"] is True
    holds = CustomStatus.objects.filter(status_category="hold", default=True)
    assert list(holds.values_list("pk", flat=True)) == [vendor.pk]
    # The old default is an ordinary status now, and can be deactivated.
    assert put_status(admin_client, defaults["hold"].pk, active=False).status_code == 200
    assert custom_status_default("hold") == vendor


def test_update_of_a_missing_status_is_404(admin_client: APIClient) -> None:
    response = put_status(admin_client, 999999999, agent_label="x")

    assert response.status_code == 404


# Who may do what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("admin", 200, (201, 200)), ("agent", 200, (403, 403)), ("end_user", 200, (403, 403))],
)
def test_everyone_signed_in_reads_admins_write(
    request: pytest.FixtureRequest,
    defaults: dict[str, CustomStatus],
    role: str,
    read: int,
    write: tuple[int, int],
) -> None:
    client: APIClient = request.getfixturevalue(f"{role}_client")
    status_id = defaults["open"].pk

    assert client.get("/api/v2/custom_statuses.json").status_code == read
    assert client.get(f"/api/v2/custom_statuses/{status_id}.json").status_code == read
    created = post_status(client, status_category="open", agent_label=f"By {role}")
    updated = put_status(client, status_id, agent_label=f"Renamed by {role}")
    assert (created.status_code, updated.status_code) == write


def test_anonymous_is_401(anonymous_client: APIClient) -> None:
    assert anonymous_client.get("/api/v2/custom_statuses.json").status_code == 401


# Tickets --------------------------------------------------------------------------------------


def create_ticket(client: APIClient, requester: User, **fields: Any) -> dict[str, Any]:
    body = {"subject": "Printer", "comment": {"body": "On fire"}, "requester_id": requester.pk}
    response = client.post("/api/v2/tickets.json", {"ticket": {**body, **fields}}, format="json")
    assert response.status_code == 201, response.content
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def update_ticket(client: APIClient, ticket_id: int, **fields: Any) -> Any:
    return client.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": fields}, format="json")


def test_a_new_ticket_gets_its_categorys_default(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    new = create_ticket(admin_client, end_user)
    pending = create_ticket(admin_client, end_user, status="pending")
    vendor = CustomStatusFactory(status_category="hold")
    on_vendor = create_ticket(admin_client, end_user, custom_status_id=vendor.pk)

    assert (new["status"], new["custom_status_id"]) == ("new", defaults["new"].pk)
    assert (pending["status"], pending["custom_status_id"]) == ("pending", defaults["pending"].pk)
    assert (on_vendor["status"], on_vendor["custom_status_id"]) == ("hold", vendor.pk)
    audit = TicketAudit.objects.filter(ticket_id=new["id"]).get()
    created = {e.field_name: e.value for e in CreateEvent.objects.filter(audit=audit)}
    assert created["custom_status_id"] == defaults["new"].pk


def test_a_bare_status_brings_the_new_categorys_default(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    waiting = CustomStatusFactory(status_category="pending", agent_label="Waiting on IT")
    ticket = create_ticket(admin_client, end_user, custom_status_id=waiting.pk)
    assert (ticket["status"], ticket["custom_status_id"]) == ("pending", waiting.pk)

    response = update_ticket(admin_client, ticket["id"], status="open")

    assert response.status_code == 200
    updated = response.json()["ticket"]
    assert (updated["status"], updated["custom_status_id"]) == ("open", defaults["open"].pk)
    # Both changes are in the audit, as Zendesk records them: the status, then the custom one.
    events = [
        (e["type"], e["field_name"], e["previous_value"], e["value"])
        for e in response.json()["audit"]["events"]
    ]
    assert events == [
        ("Change", "status", "pending", "open"),
        ("Change", "custom_status_id", waiting.pk, defaults["open"].pk),
    ]
    audits = admin_client.get(f"/api/v2/tickets/{ticket['id']}/audits.json")
    conforms("get", f"/api/v2/tickets/{ticket['id']}/audits", audits)
    # And the audit's copy of the ticket, which the SLA replays, has it.
    last = TicketAudit.objects.filter(ticket_id=ticket["id"]).latest("id")
    assert (last.snapshot["status"], last.snapshot["custom_status_id"]) == (
        "open",
        defaults["open"].pk,
    )


def test_a_bare_status_of_the_same_category_keeps_the_custom_status(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    investigating = CustomStatusFactory(status_category="open", agent_label="Investigating")
    ticket = create_ticket(admin_client, end_user, custom_status_id=investigating.pk)

    response = update_ticket(admin_client, ticket["id"], status="open", priority="high")

    assert response.status_code == 200
    assert response.json()["ticket"]["custom_status_id"] == investigating.pk
    last = TicketAudit.objects.filter(ticket_id=ticket["id"]).latest("id")
    assert list(ChangeEvent.objects.filter(audit=last).values_list("field_name", flat=True)) == [
        "priority"
    ]


def test_a_custom_status_alone_sets_the_status(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    ticket = create_ticket(admin_client, end_user)
    vendor = CustomStatusFactory(status_category="hold")

    response = update_ticket(admin_client, ticket["id"], custom_status_id=vendor.pk)

    assert response.status_code == 200
    assert (response.json()["ticket"]["status"], Ticket.objects.get().custom_status_id) == (
        "hold",
        vendor.pk,
    )


def test_a_null_custom_status_is_the_categorys_default(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold")
    ticket = create_ticket(admin_client, end_user, custom_status_id=vendor.pk)

    response = update_ticket(admin_client, ticket["id"], custom_status_id=None)

    assert response.status_code == 200
    assert response.json()["ticket"]["custom_status_id"] == defaults["hold"].pk


def test_an_inactive_status_cannot_be_chosen_anew_but_is_kept(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold")
    ticket = create_ticket(admin_client, end_user, custom_status_id=vendor.pk)
    other = create_ticket(admin_client, end_user)
    assert put_status(admin_client, vendor.pk, active=False).status_code == 200

    refused = update_ticket(admin_client, other["id"], custom_status_id=vendor.pk)
    assert error_descriptions(refused) == [
        f"Custom status id: custom status {vendor.pk} is not active"
    ]
    assert Ticket.objects.get(pk=other["id"]).custom_status_id == defaults["new"].pk
    # The ticket already in it keeps it, also when a client sends it back unchanged.
    kept = update_ticket(admin_client, ticket["id"], custom_status_id=vendor.pk, priority="low")
    assert kept.status_code == 200
    assert kept.json()["ticket"]["custom_status_id"] == vendor.pk


def test_a_status_that_disagrees_with_the_custom_status_is_422(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    ticket = create_ticket(admin_client, end_user)
    vendor = CustomStatusFactory(status_category="hold")

    response = update_ticket(admin_client, ticket["id"], status="open", custom_status_id=vendor.pk)

    assert error_descriptions(response) == ["Status: is open, the custom status is hold"]
    assert Ticket.objects.get().status == "new"


def test_a_closed_ticket_keeps_a_custom_status_of_the_solved_category(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")
    ticket = create_ticket(admin_client, end_user, custom_status_id=fixed.pk)
    assert ticket["status"] == "solved"

    # Closed is in the solved category: a client sending both back is not refused.
    response = update_ticket(admin_client, ticket["id"], status="closed", custom_status_id=fixed.pk)

    assert response.status_code == 200, response.content
    assert (response.json()["ticket"]["status"], response.json()["ticket"]["custom_status_id"]) == (
        "closed",
        fixed.pk,
    )
    saved = Ticket.objects.get()
    assert (saved.status, saved.custom_status_id) == ("closed", fixed.pk)


def test_closed_with_a_custom_status_of_another_category_is_422(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    ticket = create_ticket(admin_client, end_user, status="solved")

    response = update_ticket(
        admin_client, ticket["id"], status="closed", custom_status_id=defaults["open"].pk
    )

    assert error_descriptions(response) == ["Status: is closed, the custom status is open"]
    assert Ticket.objects.get().status == "solved"


def test_bulk_updates_bring_the_default_too(
    admin_client: APIClient,
    end_user: User,
    defaults: dict[str, CustomStatus],
    django_capture_on_commit_callbacks: Any,
) -> None:
    waiting = CustomStatusFactory(status_category="pending")
    ticket = create_ticket(admin_client, end_user, custom_status_id=waiting.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.put(
            f"/api/v2/tickets/update_many.json?ids={ticket['id']}",
            {"ticket": {"status": "solved"}},
            format="json",
        )

    assert response.status_code == 200, response.content
    saved = Ticket.objects.get()
    assert (saved.status, saved.custom_status_id) == ("solved", defaults["solved"].pk)


# Imports --------------------------------------------------------------------------------------


def test_an_imported_history_keeps_custom_statuses_and_brings_defaults(
    admin_client: APIClient, end_user: User, agent_user: User, defaults: dict[str, CustomStatus]
) -> None:
    waiting = CustomStatusFactory(status_category="pending", agent_label="Waiting on IT")
    retired = CustomStatusFactory(status_category="hold", agent_label="Retired", active=False)
    audits = [
        {
            "created_at": "2026-03-02T09:00:00Z",
            "author_id": end_user.pk,
            "events": [
                {"type": "Comment", "body": "Help", "author_id": end_user.pk},
                {"type": "Create", "field_name": "status", "value": "new"},
            ],
        },
        {
            "created_at": "2026-03-02T10:00:00Z",
            "author_id": agent_user.pk,
            "events": [{"type": "Change", "field_name": "custom_status_id", "value": waiting.pk}],
        },
        {
            "created_at": "2026-03-02T11:00:00Z",
            "author_id": agent_user.pk,
            "events": [{"type": "Change", "field_name": "status", "value": "open"}],
        },
        {
            "created_at": "2026-03-02T12:00:00Z",
            "author_id": agent_user.pk,
            # Inactive now, but it was chosen when it was not: history keeps it.
            "events": [{"type": "Change", "field_name": "custom_status_id", "value": retired.pk}],
        },
    ]
    with time_machine.travel(datetime(2026, 3, 5, tzinfo=UTC), tick=False):
        response = admin_client.post(
            "/api/v2/imports/tickets.json",
            {
                "ticket": {
                    "requester_id": end_user.pk,
                    "subject": "Imported",
                    "custom_status_id": retired.pk,
                    "audits": audits,
                }
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.custom_status_id) == ("hold", retired.pk)
    history = [
        (a.snapshot["status"], a.snapshot["custom_status_id"])
        for a in TicketAudit.objects.filter(ticket=ticket).order_by("created_at")
    ]
    assert history == [
        ("new", defaults["new"].pk),
        ("pending", waiting.pk),
        ("open", defaults["open"].pk),
        ("hold", retired.pk),
    ]


def test_an_archived_ticket_imports_closed_in_its_solved_custom_status(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    # Zendesk's archived tickets are closed and keep the solved-category status they had.
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")

    response = admin_client.post(
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "requester_id": end_user.pk,
                "subject": "Archived",
                "status": "closed",
                "custom_status_id": fixed.pk,
                "comments": [{"body": "Help", "author_id": end_user.pk}],
            }
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["ticket"]["status"], response.json()["ticket"]["custom_status_id"]) == (
        "closed",
        fixed.pk,
    )
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.custom_status_id) == ("closed", fixed.pk)
    last = TicketAudit.objects.filter(ticket=ticket).latest("created_at", "id")
    assert (last.snapshot["status"], last.snapshot["custom_status_id"]) == ("closed", fixed.pk)
    # Solved before closed, in the same status: the custom status did not change at the close.
    solved = [
        audit.snapshot["custom_status_id"]
        for audit in TicketAudit.objects.filter(ticket=ticket).order_by("created_at", "id")
        if audit.snapshot and audit.snapshot["status"] == "solved"
    ]
    assert solved == [fixed.pk]


def test_an_import_with_a_null_custom_status_takes_its_category_default(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    response = admin_client.post(
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "requester_id": end_user.pk,
                "subject": "Waiting",
                "status": "pending",
                "custom_status_id": None,
                "comments": [{"body": "Help", "author_id": end_user.pk}],
            }
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.custom_status_id) == ("pending", defaults["pending"].pk)


@pytest.mark.parametrize("reversed_order", [False, True])
@pytest.mark.parametrize("audit", [0, 1])
def test_an_imported_audit_whose_status_and_custom_status_disagree_is_422(
    admin_client: APIClient,
    end_user: User,
    defaults: dict[str, CustomStatus],
    audit: int,
    reversed_order: bool,
) -> None:
    # Each event is read alone, so the disagreement shows only once an audit's events meet.
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")
    kind = "Create" if audit == 0 else "Change"
    pair = [
        {"type": kind, "field_name": "custom_status_id", "value": fixed.pk},
        {"type": kind, "field_name": "status", "value": "pending"},
    ]
    if reversed_order:
        pair.reverse()
    audits: list[dict[str, Any]] = [
        {
            "created_at": "2026-03-02T09:00:00Z",
            "events": [{"type": "Comment", "body": "Help", "author_id": end_user.pk}],
        }
    ]
    if audit == 1:
        audits.append({"created_at": "2026-03-02T10:00:00Z", "events": []})
    audits[audit]["events"] += pair

    response = admin_client.post(
        "/api/v2/imports/tickets.json",
        {"ticket": {"requester_id": end_user.pk, "subject": "Imported", "audits": audits}},
        format="json",
    )

    assert error_descriptions(response) == ["Status: is pending, the custom status is solved"]
    assert not Ticket.objects.exists()
    assert not TicketAudit.objects.exists()


def test_an_import_whose_history_ends_elsewhere_is_422(
    admin_client: APIClient, end_user: User, defaults: dict[str, CustomStatus]
) -> None:
    waiting = CustomStatusFactory(status_category="pending")

    response = admin_client.post(
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "requester_id": end_user.pk,
                "subject": "Imported",
                "status": "pending",
                "custom_status_id": waiting.pk,
                "audits": [
                    {
                        "created_at": "2026-03-02T09:00:00Z",
                        "events": [
                            {"type": "Comment", "body": "Help", "author_id": end_user.pk},
                            {"type": "Create", "field_name": "status", "value": "pending"},
                        ],
                    }
                ],
            }
        },
        format="json",
    )

    assert error_descriptions(response) == [
        f"custom_status_id: is {waiting.pk}, but the history ends with {defaults['pending'].pk}"
    ]
    assert not Ticket.objects.exists()


def test_a_requester_reply_reopens_into_the_open_default(
    admin_client: APIClient, end_user_client: APIClient, end_user: User, defaults: dict[str, Any]
) -> None:
    waiting = CustomStatusFactory(status_category="pending", agent_label="Waiting on IT")
    created = admin_client.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": end_user.pk}},
        format="json",
    ).json()["ticket"]
    parked = admin_client.put(
        f"/api/v2/tickets/{created['id']}.json",
        {"ticket": {"custom_status_id": waiting.pk}},
        format="json",
    ).json()["ticket"]
    assert (parked["status"], parked["custom_status_id"]) == ("pending", waiting.pk)
    replied = end_user_client.put(
        f"/api/v2/tickets/{created['id']}.json",
        {"ticket": {"comment": {"body": "Any news?"}}},
        format="json",
    )
    assert replied.status_code == 200, replied.json()
    ticket = Ticket.objects.get(pk=created["id"])
    assert (ticket.status, ticket.custom_status_id) == ("open", custom_status_default("open").pk)
