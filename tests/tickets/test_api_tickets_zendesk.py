"""The Tickets API as Zendesk answers it: the audit of a create or update, `external_id`,
checkbox values, comment bodies, the full ticket object, sorting, side-loads and
`Idempotency-Key`.

Responses are checked against Zendesk's own schemas (its published OpenAPI file, read from
ZENDESK_OAS_TICKETS) and against slaweb's schema.
"""

from __future__ import annotations

import importlib
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import time_machine
from django.apps import apps
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import token_client
from tests.factories import (
    GroupFactory,
    OrganizationFactory,
    TicketFieldFactory,
    TicketFieldOptionFactory,
    UserFactory,
    make_policy,
    metric,
)
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import json_schema as _nullable
from tests.zendesk_oas import zendesk_components
from tickets import services
from tickets.custom_statuses import custom_status_default
from tickets.models import IdempotentRequest, Ticket, TicketAudit, TicketComment, User

pytestmark = pytest.mark.django_db

EVERYTHING = {"all": [], "any": []}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Keys Zendesk answers on every ticket (its Ticket object, less the write-only ones).
TICKET_KEYS = {
    "allow_attachments",
    "allow_channelback",
    "assignee_id",
    "brand_id",
    "collaborator_ids",
    "created_at",
    "custom_fields",
    "custom_status_id",
    "description",
    "due_at",
    "email_cc_ids",
    "external_id",
    "fields",
    "follower_ids",
    "followup_ids",
    "forum_topic_id",
    "from_messaging_channel",
    "generated_timestamp",
    "group_id",
    "has_incidents",
    "id",
    "is_public",
    "organization_id",
    "priority",
    "problem_id",
    "raw_subject",
    "recipient",
    "requester_id",
    "satisfaction_rating",
    "sharing_agreement_ids",
    "status",
    "subject",
    "submitter_id",
    "tags",
    "ticket_form_id",
    "type",
    "updated_at",
    "url",
    "via",
}
COMMENT_KEYS = {
    "id",
    "type",
    "author_id",
    "body",
    "html_body",
    "plain_body",
    "public",
    "attachments",
    "audit_id",
    "via",
    "metadata",
    "created_at",
}


# Zendesk's schemas ----------------------------------------------------------------------------

# Ticket keys the file types without `nullable` that Zendesk answers null when unset (a real
# answer quoted in node-zendesk#265 has `"external_id": null`, `"type": null`, ...).
NULL_WHEN_UNSET = (
    "assignee_id",
    "brand_id",
    "custom_status_id",
    "external_id",
    "forum_topic_id",
    "group_id",
    "organization_id",
    "priority",
    "problem_id",
    "recipient",
    "satisfaction_rating",
    "ticket_form_id",
    "type",
)


@pytest.fixture(scope="module")
def zendesk() -> dict[str, Any]:
    """Zendesk's components, with the departures its prose documentation and clients show:
    the keys in NULL_WHEN_UNSET may be null; a custom field value is any JSON value (checkboxes
    are booleans); an audit event's value is too (tags are arrays, DOC ticket audit events)."""
    components = zendesk_components()
    schemas = components["schemas"]
    ticket = schemas["TicketObject"]["properties"]
    for key in NULL_WHEN_UNSET:
        ticket[key]["nullable"] = True
    ticket["custom_fields"]["items"]["properties"]["value"] = {}
    schemas["AuditObject"]["properties"]["events"]["items"]["properties"]["value"] = {}
    return _nullable(components)


def assert_zendesk_shape(zendesk: dict[str, Any], name: str, body: Any) -> None:
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{name}", "components": zendesk})


@pytest.fixture
def schema(anonymous_client: APIClient) -> dict[str, Any]:
    response = anonymous_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


# Helpers --------------------------------------------------------------------------------------


def create(client: APIClient, requester: User, **fields: Any) -> Any:
    body = {
        "ticket": {
            "subject": "Printer on fire",
            "comment": {"body": "It is on fire."},
            "requester_id": requester.pk,
            **fields,
        }
    }
    return client.post("/api/v2/tickets.json", body, format="json")


def created(client: APIClient, requester: User, **fields: Any) -> dict[str, Any]:
    response = create(client, requester, **fields)
    assert response.status_code == 201, response.json()
    return response.json()["ticket"]


def put(client: APIClient, ticket_id: int, **fields: Any) -> Any:
    return client.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": fields}, format="json")


def listed(client: APIClient, query: str) -> dict[str, Any]:
    response = client.get(f"/api/v2/tickets.json?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


# 1. The audit of a create or update -----------------------------------------------------------


def test_create_answers_the_ticket_and_the_audit_of_its_creation(
    admin_client: APIClient, end_user: User, zendesk: dict[str, Any], schema: dict[str, Any]
) -> None:
    response = create(admin_client, end_user, priority="high", tags=["vip"])

    assert response.status_code == 201
    body = response.json()
    ticket, audit = body["ticket"], body["audit"]
    assert response["Location"] == ticket["url"]
    assert audit["ticket_id"] == ticket["id"]
    assert audit["id"] == TicketAudit.objects.get(ticket_id=ticket["id"]).pk
    shown = admin_client.get(f"/api/v2/tickets/{ticket['id']}/audits/{audit['id']}.json")
    assert audit == shown.json()["audit"]
    comment, *creates = audit["events"]
    assert (comment["type"], comment["body"], comment["public"]) == (
        "Comment",
        "It is on fire.",
        True,
    )
    values = {e["field_name"]: e["value"] for e in creates if e["type"] == "Create"}
    assert (
        values.items()
        >= {"priority": "high", "tags": ["vip"], "subject": "Printer on fire"}.items()
    )
    assert_zendesk_shape(zendesk, "TicketUpdateResponse", body)
    assert_matches_schema(schema, "post", "/api/v2/tickets.json", response)


def test_update_answers_the_ticket_and_the_audit_of_the_update(
    admin_client: APIClient,
    admin_user: User,
    end_user: User,
    zendesk: dict[str, Any],
    schema: dict[str, Any],
) -> None:
    ticket = created(admin_client, end_user)
    # zenpy sends the id inside the ticket too.
    response = put(
        admin_client,
        ticket["id"],
        id=ticket["id"],
        status="open",
        comment={"body": "On our way", "public": False},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["status"] == "open"
    audit = body["audit"]
    assert audit["author_id"] == admin_user.pk
    assert audit["id"] == TicketAudit.objects.filter(ticket_id=ticket["id"]).latest("id").pk
    comment, change, custom = audit["events"]
    assert custom["field_name"] == "custom_status_id"
    assert (comment["type"], comment["body"], comment["public"]) == ("Comment", "On our way", False)
    assert (change["type"], change["field_name"], change["previous_value"], change["value"]) == (
        "Change",
        "status",
        "new",
        "open",
    )
    shown = admin_client.get(f"/api/v2/tickets/{ticket['id']}/audits/{audit['id']}.json")
    assert audit == shown.json()["audit"]
    assert_zendesk_shape(zendesk, "TicketUpdateResponse", body)
    assert_matches_schema(schema, "put", f"/api/v2/tickets/{ticket['id']}.json", response)


# 2. external_id -------------------------------------------------------------------------------


def test_external_id_is_kept_returned_and_filtered_on(
    admin_client: APIClient, end_user: User, zendesk: dict[str, Any], schema: dict[str, Any]
) -> None:
    first = created(admin_client, end_user, external_id="crm-1")
    second = created(admin_client, end_user, external_id="crm-1")
    other = created(admin_client, end_user, external_id="crm-2")
    none = created(admin_client, end_user)
    assert (first["external_id"], none["external_id"]) == ("crm-1", None)

    body = listed(admin_client, "external_id=crm-1")
    assert [t["id"] for t in body["tickets"]] == [first["id"], second["id"]]
    assert body["count"] == 2
    cursor = listed(admin_client, "external_id=crm-2&page[size]=100")
    assert [t["id"] for t in cursor["tickets"]] == [other["id"]]
    assert listed(admin_client, "external_id=CRM-1")["tickets"] == []
    assert_zendesk_shape(zendesk, "TicketsResponse", body)
    response = admin_client.get("/api/v2/tickets.json?external_id=crm-1")
    assert_matches_schema(schema, "get", "/api/v2/tickets.json?external_id=crm-1", response)

    changed = put(admin_client, second["id"], external_id="crm-3").json()
    assert changed["ticket"]["external_id"] == "crm-3"
    [event] = [e for e in changed["audit"]["events"] if e.get("field_name") == "external_id"]
    assert (event["previous_value"], event["value"]) == ("crm-1", "crm-3")
    cleared = put(admin_client, other["id"], external_id=None).json()["ticket"]
    assert cleared["external_id"] is None
    assert Ticket.objects.get(pk=other["id"]).external_id is None
    assert [t["id"] for t in listed(admin_client, "external_id=crm-1")["tickets"]] == [first["id"]]


@pytest.mark.parametrize("external_id", [5, ["a"], {"id": "a"}, "x" * 256])
def test_bad_external_ids_are_422_and_write_nothing(
    admin_client: APIClient, end_user: User, external_id: Any
) -> None:
    response = create(admin_client, end_user, external_id=external_id)
    assert response.status_code == 422
    assert "external_id" in response.json()["details"]
    assert not Ticket.objects.exists()
    kept = created(admin_client, end_user, external_id="kept")
    refused = put(admin_client, kept["id"], external_id=external_id, priority="urgent")
    assert refused.status_code == 422
    ticket = Ticket.objects.get()
    assert (ticket.external_id, ticket.priority) == ("kept", None)
    assert TicketAudit.objects.count() == 1


def test_a_blank_external_id_filter_is_400(admin_client: APIClient) -> None:
    response = admin_client.get("/api/v2/tickets.json?external_id=")
    assert response.status_code == 400
    assert response.json() == {
        "error": "InvalidParameter",
        "description": "external_id must not be blank",
    }


def test_end_users_filter_only_their_own_tickets_by_external_id(
    admin_client: APIClient, end_user_client: APIClient, end_user: User
) -> None:
    mine = created(admin_client, end_user, external_id="shared")
    created(admin_client, UserFactory(role="end-user"), external_id="shared")
    body = listed(end_user_client, "external_id=shared")
    assert [t["id"] for t in body["tickets"]] == [mine["id"]]


def test_imports_take_external_ids_and_checkboxes(admin_client: APIClient, end_user: User) -> None:
    checkbox = TicketFieldFactory(type="checkbox")
    response = admin_client.post(
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "subject": "Old one",
                "requester_id": end_user.pk,
                "external_id": "legacy-7",
                "custom_fields": [{"id": checkbox.pk, "value": "true"}],
                "comments": [{"author_id": end_user.pk, "value": "From the old system"}],
            }
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    ticket = response.json()["ticket"]
    assert ticket["external_id"] == "legacy-7"
    assert ticket["custom_fields"] == [{"id": checkbox.pk, "value": True}]
    assert ticket["description"] == "From the old system"
    assert [t["id"] for t in listed(admin_client, "external_id=legacy-7")["tickets"]] == [
        ticket["id"]
    ]


# 3. Checkboxes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [(True, True), (False, False), ("true", True), ("false", False), (None, False)],
)
def test_checkbox_values_are_json_booleans(
    admin_client: APIClient, end_user: User, given: Any, kept: bool
) -> None:
    checkbox = TicketFieldFactory(type="checkbox")
    ticket = created(admin_client, end_user, custom_fields=[{"id": checkbox.pk, "value": given}])
    assert ticket["custom_fields"] == [{"id": checkbox.pk, "value": kept}]
    assert ticket["fields"] == ticket["custom_fields"]
    shown = admin_client.get(f"/api/v2/tickets/{ticket['id']}.json").json()["ticket"]
    assert shown["custom_fields"] == [{"id": checkbox.pk, "value": kept}]
    assert Ticket.objects.get(pk=ticket["id"]).custom_fields == {str(checkbox.pk): kept}


def test_a_checkbox_update_keeps_the_other_fields(admin_client: APIClient, end_user: User) -> None:
    checkbox = TicketFieldFactory(type="checkbox")
    option = TicketFieldOptionFactory(value="mobile")
    ticket = created(
        admin_client,
        end_user,
        custom_fields=[
            {"id": checkbox.pk, "value": True},
            {"id": option.field_id, "value": "mobile"},
        ],
    )
    updated = put(admin_client, ticket["id"], custom_fields=[{"id": checkbox.pk, "value": False}])
    assert {f["id"]: f["value"] for f in updated.json()["ticket"]["custom_fields"]} == {
        checkbox.pk: False,
        option.field_id: "mobile",
    }


@pytest.mark.parametrize("given", ["True", "FALSE", "yes", 1, 0, "1"])
def test_other_checkbox_values_are_refused(
    admin_client: APIClient, end_user: User, given: Any
) -> None:
    checkbox = TicketFieldFactory(type="checkbox")
    response = create(admin_client, end_user, custom_fields=[{"id": checkbox.pk, "value": given}])
    assert response.status_code == 422
    [problem] = response.json()["details"]["custom_fields"]
    assert "a checkbox is true or false" in problem["description"]
    assert not Ticket.objects.exists()


def test_the_migration_turns_stored_checkbox_text_into_booleans(end_user: User) -> None:
    migration = importlib.import_module(
        "tickets.migrations.0018_ticket_external_id_and_idempotency"
    )
    checkbox, text = TicketFieldFactory(type="checkbox"), TicketFieldFactory(type="text")
    services.ticket_create(
        fields={"requester_id": end_user.pk},
        submitter_id=end_user.pk,
        comment=services.NewComment("hi", True, end_user.pk),
        now=T0,
    )
    services.ticket_create(
        fields={"requester_id": end_user.pk},
        submitter_id=end_user.pk,
        comment=services.NewComment("note", False, end_user.pk),
        now=T0,
    )
    stored = {
        "True": True,
        "False": False,
        "true": True,
        "odd": "odd",
    }
    for _ in stored:
        services.ticket_create(
            fields={"requester_id": end_user.pk},
            submitter_id=end_user.pk,
            comment=None,
            now=T0,
        )
    rows = list(Ticket.objects.order_by("id"))[2:]
    for row, value in zip(rows, stored, strict=True):
        # As the code before stored them.
        Ticket.objects.filter(pk=row.pk).update(
            custom_fields={str(checkbox.pk): value, str(text.pk): "True"}
        )
    Ticket.objects.update(is_public=False)

    migration.fill_in(apps, None)

    for row, value in zip(rows, stored.values(), strict=True):
        row.refresh_from_db()
        assert row.custom_fields == {str(checkbox.pk): value, str(text.pk): "True"}
    # Only the first ticket has a public comment.
    assert list(Ticket.objects.order_by("id").values_list("is_public", flat=True)) == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    migration.empty_out(apps, None)
    rows[0].refresh_from_db()
    assert rows[0].custom_fields == {str(checkbox.pk): "True", str(text.pk): "True"}


# 4. Comments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "body", "html_body"),
    [
        (
            {"body": "Plain <b>text</b>"},
            "Plain <b>text</b>",
            "<p>Plain &lt;b&gt;text&lt;/b&gt;</p>",
        ),
        ({"value": "Legacy\nvalue"}, "Legacy\nvalue", "<p>Legacy<br>value</p>"),
        ({"body": "Body wins", "value": "over value"}, "Body wins", "<p>Body wins</p>"),
        (
            {"html_body": "<p>Hello <b>there</b></p><p>Two &amp; three</p>", "body": "ignored"},
            "Hello there\nTwo & three",
            "<p>Hello <b>there</b></p><p>Two &amp; three</p>",
        ),
        ({"html_body": "  ", "body": "Blank HTML gives way"}, "Blank HTML gives way", None),
        # Kept without scripts, event handlers or script links; Zendesk's own markup stays.
        (
            {
                "html_body": '<div class="zd-comment" dir="auto"><p>Hi</p>'
                "<script>alert(1)</script><img src=x onerror=alert(2)>"
                '<a href="javascript:alert(3)">a</a> <a href="https://example.com">b</a></div>'
            },
            "Hi\na b",
            '<div class="zd-comment" dir="auto"><p>Hi</p><img src="x"><a>a</a> '
            '<a href="https://example.com">b</a></div>',
        ),
        ({"html_body": '<p class="btn danger">Styled</p>'}, "Styled", "<p>Styled</p>"),
        ({"html_body": "<script>alert(1)</script>", "body": "Body instead"}, "Body instead", None),
        ({"html_body": "<script>alert(1)</script>"}, None, None),
    ],
)
def test_comment_bodies_as_zendesk_takes_them(
    admin_client: APIClient,
    end_user: User,
    comment: dict[str, Any],
    body: str | None,
    html_body: str | None,
    zendesk: dict[str, Any],
) -> None:
    if body is None:  # HTML with no text once its scripts are gone: no comment
        response = create(admin_client, end_user, comment=comment)
        assert response.status_code == 422, response.json()
        assert "comment" in response.json()["details"]
        assert not Ticket.objects.exists()
        return
    ticket = created(admin_client, end_user, comment=comment)
    assert ticket["description"] == body
    comments = admin_client.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()
    [shown] = comments["comments"]
    assert set(shown) == COMMENT_KEYS
    assert (shown["body"], shown["plain_body"]) == (body, body)
    assert shown["html_body"] == (html_body or f"<p>{body}</p>")
    assert_zendesk_shape(zendesk, "TicketCommentsResponse", comments)


def test_comment_author_visibility_and_audit(
    admin_client: APIClient,
    admin_user: User,
    agent_user: User,
    end_user: User,
    schema: dict[str, Any],
) -> None:
    ticket = created(admin_client, end_user, comment={"body": "Private start", "public": False})
    assert ticket["is_public"] is False
    saved = put(
        admin_client,
        ticket["id"],
        comment={"html_body": "<div>Reply</div>", "author_id": agent_user.pk},
    ).json()
    assert saved["ticket"]["is_public"] is True
    url = f"/api/v2/tickets/{ticket['id']}/comments.json"
    response = admin_client.get(url)
    first, reply = response.json()["comments"]
    # The submitter writes the first comment.
    assert (first["public"], first["author_id"]) == (False, admin_user.pk)
    assert (reply["public"], reply["author_id"], reply["body"]) == (True, agent_user.pk, "Reply")
    assert reply["audit_id"] == saved["audit"]["id"]
    assert first["audit_id"] == TicketAudit.objects.filter(ticket_id=ticket["id"]).earliest("id").pk
    assert reply["via"] == {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
    assert reply["metadata"] == {"system": {}, "custom": {}}
    assert reply["attachments"] == []
    assert reply["type"] == "Comment"
    assert_matches_schema(schema, "get", url, response)


def test_end_users_comment_as_themselves_in_public(
    admin_client: APIClient, end_user_client: APIClient, end_user: User, agent_user: User
) -> None:
    ticket = created(admin_client, end_user)
    reply = put(
        end_user_client,
        ticket["id"],
        comment={"value": "Still broken", "public": False, "author_id": agent_user.pk},
    )
    assert reply.status_code == 200
    comment = TicketComment.objects.filter(ticket_id=ticket["id"]).latest("id")
    assert (comment.body, comment.public, comment.author_id) == ("Still broken", True, end_user.pk)


@pytest.mark.parametrize(
    "comment",
    [
        {"public": False},
        {"body": ""},
        {"html_body": "<p> </p>"},
        {"value": "   "},
        {"body": 5},
        {"html_body": ["x"]},
        {"body": "x", "public": "yes"},
        {"body": "x", "author_id": 999999},
    ],
)
def test_bad_comments_are_422_and_write_nothing(
    admin_client: APIClient, end_user: User, comment: dict[str, Any]
) -> None:
    response = create(admin_client, end_user, comment=comment)
    assert response.status_code == 422, response.json()
    assert response.json()["error"] == "RecordInvalid"
    assert "comment" in response.json()["details"]
    assert not Ticket.objects.exists()
    assert not TicketComment.objects.exists()


# 5. The whole ticket object ------------------------------------------------------------------


def test_a_ticket_has_every_key_zendesk_answers(
    admin_client: APIClient, end_user: User, zendesk: dict[str, Any]
) -> None:
    with time_machine.travel(T0, tick=False):
        ticket = created(admin_client, end_user)
    assert set(ticket) >= TICKET_KEYS
    assert {key: ticket[key] for key in TICKET_KEYS - {"url", "id", "requester_id"}} == {
        "allow_attachments": False,
        "allow_channelback": False,
        "assignee_id": None,
        "brand_id": None,
        "collaborator_ids": [],
        "created_at": "2026-03-02T09:00:00Z",
        "custom_fields": [],
        "custom_status_id": custom_status_default("new").pk,
        "description": "It is on fire.",
        "due_at": None,
        "email_cc_ids": [],
        "external_id": None,
        "fields": [],
        "follower_ids": [],
        "followup_ids": [],
        "forum_topic_id": None,
        "from_messaging_channel": False,
        "generated_timestamp": int(T0.timestamp()),
        "group_id": None,
        "has_incidents": False,
        "is_public": True,
        "organization_id": None,
        "priority": None,
        "problem_id": None,
        "raw_subject": "Printer on fire",
        "recipient": None,
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "status": "new",
        "subject": "Printer on fire",
        "submitter_id": Ticket.objects.get().submitter_id,
        "tags": [],
        "ticket_form_id": None,
        "type": None,
        "updated_at": "2026-03-02T09:00:00Z",
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    }
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        updated = put(admin_client, ticket["id"], priority="low").json()["ticket"]
    assert updated["generated_timestamp"] == int(T0.timestamp()) + 300
    assert_zendesk_shape(zendesk, "TicketResponse", {"ticket": ticket})


def test_keys_slaweb_does_not_keep_are_ignored_on_input(
    admin_client: APIClient, end_user: User
) -> None:
    ticket = created(
        admin_client,
        end_user,
        collaborator_ids=[end_user.pk],
        due_at="2026-04-01T00:00:00Z",
        has_incidents=True,
        satisfaction_rating={"score": "good"},
    )
    assert (ticket["collaborator_ids"], ticket["due_at"], ticket["has_incidents"]) == (
        [],
        None,
        False,
    )


# 6. Sorting -----------------------------------------------------------------------------------


@pytest.fixture
def sortable(admin_client: APIClient, agent_user: User) -> list[dict[str, Any]]:
    """Five tickets with distinct statuses, subjects, names, and creation and update times."""
    ann, bob = UserFactory(name="Ann"), UserFactory(name="Bob")
    other = UserFactory(role="agent", name="Zed")
    alpha, beta = GroupFactory(name="Alpha"), GroupFactory(name="Beta")
    plans = [
        ("delta", bob, "pending", agent_user, alpha, 3),
        ("alpha", ann, "open", other, None, 1),
        ("echo", bob, "new", None, beta, 4),
        ("charlie", ann, "solved", agent_user, beta, 0),
        ("bravo", ann, "hold", other, alpha, 2),
    ]
    tickets = []
    for minute, (subject, requester, state, assignee, group, touched) in enumerate(plans):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            ticket = created(
                admin_client,
                requester,
                subject=subject,
                assignee_id=assignee.pk if assignee else None,
                group_id=group.pk if group else None,
            )
        tickets.append({**ticket, "state": state, "touched": touched})
    for ticket in tickets:
        with time_machine.travel(T0 + timedelta(hours=1, minutes=ticket["touched"]), tick=False):
            assert put(admin_client, ticket["id"], status=ticket["state"]).status_code == 200
    return tickets


def subjects(client: APIClient, query: str) -> list[str]:
    return [t["subject"] for t in listed(client, query)["tickets"]]


def walk(client: APIClient, query: str) -> list[str]:
    """Every page of a cursor list, following `links.next`."""
    seen: list[str] = []
    body = listed(client, query)
    while True:
        seen += [t["subject"] for t in body["tickets"]]
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            return seen
        body = client.get(body["links"]["next"]).json()


BY_SORT_KEY = {
    "id": ["delta", "alpha", "echo", "charlie", "bravo"],
    "created_at": ["delta", "alpha", "echo", "charlie", "bravo"],
    "updated_at": ["charlie", "alpha", "bravo", "delta", "echo"],
    "status": ["echo", "alpha", "delta", "bravo", "charlie"],
    "subject": ["alpha", "bravo", "charlie", "delta", "echo"],
    # Ann's tickets by id, then Bob's.
    "requester": ["alpha", "charlie", "bravo", "delta", "echo"],
    "requester.name": ["alpha", "charlie", "bravo", "delta", "echo"],
    # No assignee first, then the agent (Person n), then Zed.
    "assignee": ["echo", "delta", "charlie", "alpha", "bravo"],
    "assignee.name": ["echo", "delta", "charlie", "alpha", "bravo"],
    "group": ["alpha", "delta", "bravo", "echo", "charlie"],
}


@pytest.mark.parametrize("key", list(BY_SORT_KEY))
def test_sort_by_and_sort_order_on_offset_pages(
    admin_client: APIClient, sortable: list[dict[str, Any]], key: str
) -> None:
    ascending = BY_SORT_KEY[key]
    assert subjects(admin_client, f"sort_by={key}") == ascending
    assert subjects(admin_client, f"sort_by={key}&sort_order=asc") == ascending
    # Ties (the same name) go by id in the same direction, so descending is the reverse.
    descending = subjects(admin_client, f"sort_by={key}&sort_order=desc")
    assert descending == list(reversed(ascending))
    paged = [
        subject
        for page in (1, 2, 3)
        for subject in subjects(admin_client, f"sort_by={key}&per_page=2&page={page}")
    ]
    assert paged == ascending


@pytest.mark.parametrize("key", ["id", "created_at", "updated_at", "status"])
def test_sort_on_cursor_pages(
    admin_client: APIClient, sortable: list[dict[str, Any]], key: str
) -> None:
    ascending = BY_SORT_KEY[key]
    assert walk(admin_client, f"page[size]=2&sort={key}") == ascending
    assert walk(admin_client, f"page[size]=2&sort=-{key}") == list(reversed(ascending))
    # zenpy's mix: a cursor page with sort_by and sort_order.
    assert walk(admin_client, f"page[size]=2&sort_by={key}&sort_order=desc") == list(
        reversed(ascending)
    )
    # Back from the last page.
    last = listed(admin_client, f"page[size]=2&sort=-{key}")
    while last["meta"]["has_more"]:
        last = admin_client.get(last["links"]["next"]).json()
    back = admin_client.get(last["links"]["prev"]).json()
    assert [t["subject"] for t in back["tickets"]] == list(reversed(ascending))[2:4]


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("sort_by=priority", "sort_by is not valid"),
        ("sort_by=id&sort_order=down", "sort_order is not valid: asc or desc"),
        ("sort=subject&page[size]=2", "sort is not valid"),
        ("sort=--id", "sort is not valid"),
        (
            "sort_by=subject&page[size]=2",
            "sort_by subject needs offset pagination (page and per_page)",
        ),
    ],
)
def test_bad_sorts_are_400(
    admin_client: APIClient, end_user: User, query: str, description: str
) -> None:
    created(admin_client, end_user)
    response = admin_client.get(f"/api/v2/tickets.json?{query}")
    assert response.status_code == 400
    assert response.json() == {"error": "InvalidPaginationParameter", "description": description}


# 6. Side-loads --------------------------------------------------------------------------------


def test_users_groups_and_organizations_are_side_loaded(
    admin_client: APIClient, agent_user: User, zendesk: dict[str, Any], schema: dict[str, Any]
) -> None:
    organization = OrganizationFactory()
    customer = UserFactory(role="end-user", organization=organization)
    group = GroupFactory()
    one = created(admin_client, customer, group_id=group.pk, assignee_id=agent_user.pk)
    two = created(admin_client, UserFactory(role="end-user"))
    url = "/api/v2/tickets.json?include=users,groups,organizations,nonsense"
    response = admin_client.get(url)
    body = response.json()
    assert [t["id"] for t in body["tickets"]] == [one["id"], two["id"]]
    admin = Ticket.objects.get(pk=one["id"]).submitter_id
    assert [u["id"] for u in body["users"]] == sorted(
        {customer.pk, agent_user.pk, admin, two["requester_id"]}
    )
    assert [g["id"] for g in body["groups"]] == [group.pk]
    assert [o["id"] for o in body["organizations"]] == [organization.pk]
    assert "slas" not in body["tickets"][0]
    assert_matches_schema(schema, "get", url, response)
    assert_zendesk_shape(zendesk, "TicketsResponse", body)

    shown = admin_client.get(f"/api/v2/tickets/{one['id']}.json?include=groups").json()
    assert [g["id"] for g in shown["groups"]] == [group.pk]
    assert "users" not in shown
    many = admin_client.get(f"/api/v2/tickets/show_many.json?ids={two['id']}&include=users")
    assert [u["id"] for u in many.json()["users"]] == sorted({admin, two["requester_id"]})
    empty = admin_client.get("/api/v2/tickets.json?include=users&external_id=none").json()
    assert (empty["tickets"], empty["users"]) == ([], [])


def test_zenpys_include_none_is_ignored(admin_client: APIClient, end_user: User) -> None:
    created(admin_client, end_user)
    body = listed(admin_client, "page[size]=100&include=None")
    assert set(body) == {"tickets", "meta", "links"}


def test_end_users_get_no_side_loaded_records(
    admin_client: APIClient, end_user_client: APIClient, end_user: User
) -> None:
    created(admin_client, end_user)
    body = listed(end_user_client, "include=users,groups,organizations")
    assert len(body["tickets"]) == 1
    assert not {"users", "groups", "organizations"} & set(body)


def test_side_loads_cost_the_same_queries_whatever_the_page(
    admin_client: APIClient, agent_user: User, django_assert_num_queries: Any
) -> None:
    make_policy("all", filter=EVERYTHING, metrics=[metric("normal")])
    url = "/api/v2/tickets.json?include=slas,users,groups,organizations&sort_by=status"

    def another() -> None:
        created(
            admin_client,
            UserFactory(role="end-user", organization=OrganizationFactory()),
            priority="normal",
            group_id=GroupFactory().pk,
            assignee_id=agent_user.pk,
        )

    another()
    admin_client.get(url)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    # Sign-in, the count, the tickets, their SLA targets, the users, groups, organizations.
    queries_for_one = len(one)
    assert queries_for_one <= 8
    for _ in range(9):
        another()
    with django_assert_num_queries(queries_for_one):
        body = admin_client.get(url).json()
    assert len(body["tickets"]) == 10
    assert (len(body["groups"]), len(body["organizations"])) == (10, 10)
    assert all("slas" in t for t in body["tickets"])


# 7. Idempotency-Key --------------------------------------------------------------------------


def keyed(client: APIClient, key: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v2/tickets.json", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def new_ticket_body(requester: User, subject: str = "Printer on fire") -> dict[str, Any]:
    return {
        "ticket": {"subject": subject, "comment": {"body": "Help"}, "requester_id": requester.pk}
    }


def test_a_repeat_with_the_same_key_and_body_answers_the_first_answer(
    admin_client: APIClient, end_user: User, schema: dict[str, Any]
) -> None:
    first = keyed(admin_client, "abc-123", new_ticket_body(end_user))
    assert first.status_code == 201
    assert first["x-idempotency-lookup"] == "miss"
    # The same body, however ordered and spaced.
    again = admin_client.post(
        "/api/v2/tickets.json",
        f'{{"ticket": {{"requester_id": {end_user.pk}, "comment": {{"body": "Help"}},\n'
        ' "subject": "Printer on fire"}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc-123",
    )
    assert again.status_code == 201
    assert again["x-idempotency-lookup"] == "hit"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    assert TicketAudit.objects.count() == 1
    assert_matches_schema(schema, "post", "/api/v2/tickets.json", again)
    plain = create(admin_client, end_user)
    assert "x-idempotency-lookup" not in plain


def test_the_same_key_with_another_body_is_refused(admin_client: APIClient, end_user: User) -> None:
    keyed(admin_client, "k1", new_ticket_body(end_user))
    response = keyed(admin_client, "k1", new_ticket_body(end_user, subject="Something else"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "IdempotentRequestError",
        "description": "Request parameters don't match the given idempotency key",
    }
    assert Ticket.objects.count() == 1


def test_keys_belong_to_their_user_and_last_two_hours(
    admin_client: APIClient, agent_client: APIClient, end_user: User
) -> None:
    with time_machine.travel(T0, tick=False):
        mine = keyed(admin_client, "same", new_ticket_body(end_user))
        theirs = keyed(agent_client, "same", new_ticket_body(end_user))
    assert (mine["x-idempotency-lookup"], theirs["x-idempotency-lookup"]) == ("miss", "miss")
    assert mine.json()["ticket"]["id"] != theirs.json()["ticket"]["id"]
    with time_machine.travel(T0 + timedelta(hours=2) - timedelta(seconds=1), tick=False):
        assert (
            keyed(admin_client, "same", new_ticket_body(end_user))["x-idempotency-lookup"] == "hit"
        )
    with time_machine.travel(T0 + timedelta(hours=2, seconds=1), tick=False):
        later = keyed(admin_client, "same", new_ticket_body(end_user, subject="New day"))
    assert (later.status_code, later["x-idempotency-lookup"]) == (201, "miss")
    assert Ticket.objects.count() == 3
    assert IdempotentRequest.objects.count() == 2


def test_a_refused_creation_keeps_no_key(admin_client: APIClient, end_user: User) -> None:
    bad = new_ticket_body(end_user)
    bad["ticket"]["priority"] = "critical"
    refused = keyed(admin_client, "retry-me", bad)
    assert refused.status_code == 422
    assert "x-idempotency-lookup" not in refused
    assert not IdempotentRequest.objects.exists()
    fixed = keyed(admin_client, "retry-me", new_ticket_body(end_user))
    assert (fixed.status_code, fixed["x-idempotency-lookup"]) == (201, "miss")


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_bad_keys_are_400(admin_client: APIClient, end_user: User, key: str) -> None:
    response = keyed(admin_client, key, new_ticket_body(end_user))
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"
    assert not Ticket.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_repeats_create_one_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = UserFactory(role="admin", email="race-admin@example.com")
    customer = UserFactory(role="end-user", email="race-customer@example.com")
    clients = [token_client(admin), token_client(admin)]
    create_audited = services.ticket_create_audited

    def slow_create(**kwargs: Any) -> services.TicketSave:
        saved = create_audited(**kwargs)
        time.sleep(0.5)  # the other request arrives while this one holds the key
        return saved

    monkeypatch.setattr(services, "ticket_create_audited", slow_create)
    start = threading.Barrier(2)
    responses: list[Any] = []
    errors: list[BaseException] = []

    def send(client: APIClient) -> None:
        try:
            start.wait()
            responses.append(keyed(client, "race", new_ticket_body(customer)))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(r["x-idempotency-lookup"] for r in responses) == ["hit", "miss"]
    assert responses[0].json() == responses[1].json()
    assert Ticket.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
