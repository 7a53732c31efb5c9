"""The Users API the Zendesk way: users without an email, the profile keys (locale, phone,
verified, tags, external_id...), the `role`/`role[]`/`external_id` filters, show_many, search,
create_or_update and the soft delete.

Every answer is checked against slaweb's own OpenAPI schema, and user objects also against
Zendesk's (`UserForAdmin`, `UserForEndUser`, `UserResponse`, `UsersResponse` in
shared/zendesk-oas-tickets.yaml beside the checkout)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import basic, token_client
from tests.factories import GroupFactory, OrganizationFactory, UserFactory
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import json_schema as _json_schema
from tests.zendesk_oas import zendesk_components
from tickets import services
from tickets.models import ApiToken, Ticket, User
from tickets.models.accounts import OAuthToken

pytestmark = pytest.mark.django_db

USERS = "/api/v2/users.json"
PASSWORD = "correct-horse-battery"

# Keys Zendesk's file types without `nullable` that slaweb answers null: a user without an
# email, group or organization, a locale slaweb has no Zendesk id for, a user that never signed
# in, no phone (and so no shared_phone_number), no photo.
NULL_IN_SLAWEB = (
    "email",
    "default_group_id",
    "organization_id",
    "locale_id",
    "last_login_at",
    "phone",
    "shared_phone_number",
    "photo",
)
# Write-only in Zendesk (it sets the photo from a URL): never answered.
NOT_ANSWERED = {"remote_photo_url"}


# Schemas --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zendesk() -> dict[str, Any]:
    """Zendesk's components, as JSON Schema, with slaweb's documented nulls allowed."""
    components = _json_schema(zendesk_components())
    for name in ("UserForAdmin", "UserForEndUser"):
        properties = components["schemas"][name]["properties"]
        for key in NULL_IN_SLAWEB:
            if key in properties and "null" not in properties[key]["type"]:
                properties[key]["type"] = [properties[key]["type"], "null"]
    return {"components": {"schemas": components["schemas"]}}


def assert_zendesk_user(
    zendesk: dict[str, Any], user: dict[str, Any], *, end_user: bool = False
) -> None:
    """`user` is valid as Zendesk's user for an agent (every key it documents) or, seen by an
    end user, as its end-user object (exactly the keys it documents)."""
    name = "UserForEndUser" if end_user else "UserForAdmin"
    jsonschema.validate(user, {"$ref": f"#/components/schemas/{name}", **zendesk})
    documented = set(zendesk["components"]["schemas"][name]["properties"]) - NOT_ANSWERED
    if end_user:
        assert set(user) == documented
    else:
        assert documented <= set(user), documented - set(user)


def assert_zendesk_body(
    zendesk: dict[str, Any], body: dict[str, Any], *, end_user: bool = False
) -> None:
    name = "UsersResponse" if "users" in body else "UserResponse"
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{name}", **zendesk})
    for user in body["users"] if "users" in body else [body["user"]]:
        assert_zendesk_user(zendesk, user, end_user=end_user)


@pytest.fixture(scope="module")
def slaweb_schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


@pytest.fixture
def call(slaweb_schema: dict[str, Any], zendesk: dict[str, Any]) -> Any:
    """Make a request and check the answer against slaweb's schema and, for users, Zendesk's."""

    def run(client: APIClient, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        response = getattr(client, method)(path, body, format="json", **extra)
        assert_matches_schema(slaweb_schema, method, path, response)
        data = response.json()
        if response.status_code < 300 and ("user" in data or "users" in data):
            viewer = getattr(client, "user", None)
            assert_zendesk_body(zendesk, data, end_user=viewer is not None and not viewer.is_agent)
        return response

    return run


def assert_invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert field in body["details"], body
    assert all({"description", "error"} <= set(item) for item in body["details"][field])


def assert_bad_request(response: Any) -> None:
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error", "description"}


def ids(response: Any) -> list[int]:
    return [user["id"] for user in response.json()["users"]]


# Create ---------------------------------------------------------------------------------------


def test_create_needs_only_a_name(admin_client: APIClient, call: Any) -> None:
    response = call(admin_client, "post", USERS, {"user": {"name": "Walk-in"}})
    assert response.status_code == 201, response.content
    user = response.json()["user"]
    stored = User.objects.get(pk=user["id"])
    assert response["Location"] == f"http://testserver/api/v2/users/{stored.pk}.json"
    assert stored.email is None
    assert not stored.has_usable_password()
    assert user["email"] is None
    assert user["role"] == "end-user"
    assert user["locale"] == "en-US"
    assert user["locale_id"] == 1
    assert user["verified"] is False
    assert user["tags"] == []
    assert user["external_id"] is None
    assert user["phone"] is None
    assert user["shared_phone_number"] is None
    assert user["active"] is True
    assert user["ticket_restriction"] == "requested"
    assert user["restricted_agent"] is True
    assert user["role_type"] is None
    assert user["last_login_at"] is None
    # A second user without an email is no duplicate.
    again = call(admin_client, "post", USERS, {"user": {"name": "Walk-in", "email": ""}})
    assert again.status_code == 201
    assert again.json()["user"]["email"] is None


def test_create_keeps_and_answers_the_profile(admin_client: APIClient, call: Any) -> None:
    body = {
        "user": {
            "name": "Roger Wilco",
            "email": "Roger@Example.org",
            "locale": "de",
            "phone": "+1 (555) 123-4567",
            "shared_phone_number": True,
            "verified": True,
            "tags": ["VIP", "enterprise", "vip"],
            "external_id": "CRM-42",
            "alias": "Rog",
            "details": "12 Main St",
            "notes": "Prefers email",
            "skip_verify_email": True,
        }
    }
    created = call(admin_client, "post", USERS, body)
    assert created.status_code == 201, created.content
    user = created.json()["user"]
    expected = {
        "email": "roger@example.org",
        "locale": "de",
        "locale_id": None,
        "phone": "+1 (555) 123-4567",
        "shared_phone_number": True,
        "verified": True,
        "tags": ["vip", "enterprise"],
        "external_id": "CRM-42",
        "alias": "Rog",
        "details": "12 Main St",
        "notes": "Prefers email",
        "signature": "",
    }
    assert {key: user[key] for key in expected} == expected
    shown = call(admin_client, "get", f"/api/v2/users/{user['id']}.json")
    assert shown.json()["user"] == user


def test_agents_get_role_type_and_no_restriction(admin_client: APIClient, call: Any) -> None:
    group = GroupFactory()
    body = {
        "user": {
            "name": "Agent",
            "email": "new-agent@example.com",
            "role": "agent",
            "default_group_id": group.pk,
            "signature": "Cheers",
        }
    }
    agent = call(admin_client, "post", USERS, body).json()["user"]
    assert (agent["role_type"], agent["ticket_restriction"], agent["restricted_agent"]) == (
        None,
        None,
        False,
    )
    assert agent["signature"] == "Cheers"
    admin = call(
        admin_client, "put", f"/api/v2/users/{agent['id']}.json", {"user": {"role": "admin"}}
    ).json()["user"]
    assert admin["role_type"] == 4


def test_locale_id_1_is_en_us_and_locale_wins(admin_client: APIClient, call: Any) -> None:
    by_id = call(admin_client, "post", USERS, {"user": {"name": "A", "locale_id": 1}})
    assert by_id.json()["user"]["locale"] == "en-US"
    both = call(
        admin_client, "post", USERS, {"user": {"name": "B", "locale": "fr", "locale_id": 1}}
    )
    assert (both.json()["user"]["locale"], both.json()["user"]["locale_id"]) == ("fr", None)


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"name": "A", "role": "admin"}, "email"),
        ({"name": "A", "email": None, "role": "agent"}, "email"),
        ({"name": "A", "email": "admin@EXAMPLE.com"}, "email"),
        ({"name": "A", "locale": "not a locale"}, "locale"),
        ({"name": "A", "locale": 5}, "locale"),
        ({"name": "A", "locale_id": 8}, "locale_id"),
        ({"name": "A", "phone": "call me"}, "phone"),
        ({"name": "A", "phone": "+1"}, "phone"),
        ({"name": "A", "tags": ["two words"]}, "tags"),
        ({"name": "A", "tags": ['quo"te']}, "tags"),
        ({"name": "A", "tags": "vip"}, "tags"),
        ({"name": "A", "verified": "yes"}, "verified"),
        ({"name": "A", "external_id": "taken-ID"}, "external_id"),
        ({"name": "A", "external_id": ["x"]}, "external_id"),
        ({"name": "A", "signature": "Bye"}, "signature"),
        ({"name": "A", "suspended": True}, "suspended"),
        ({"name": "A", "moderator": True}, "moderator"),
        ({"name": "A", "custom_role_id": 7}, "custom_role_id"),
        ({"name": "A", "organization": {"name": "Acme"}}, "organization"),
        ({"name": "A", "identities": [{"type": "email", "value": "x@example.com"}]}, "identities"),
        ({"name": "A", "ticket_restriction": "groups"}, "ticket_restriction"),
        (
            {"name": "A", "role": "agent", "email": "x@example.com", "restricted_agent": True},
            "restricted_agent",
        ),
        ({"name": ""}, "name"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(
    admin_client: APIClient, admin_user: User, call: Any, user: dict[str, Any], field: str
) -> None:
    UserFactory(external_id="TAKEN-id", email="taken@example.com")
    before = User.objects.count()
    assert_invalid(call(admin_client, "post", USERS, {"user": user}), field)
    assert User.objects.count() == before


def test_values_slaweb_answers_may_be_sent_back(admin_client: APIClient, call: Any) -> None:
    """A client that sends back a user it read (the Ruby client saves whole records) is not
    refused for the keys slaweb cannot change."""
    created = call(admin_client, "post", USERS, {"user": {"name": "Round trip"}}).json()["user"]
    sent = {**created, "name": "Round trip 2"}
    updated = call(admin_client, "put", f"/api/v2/users/{created['id']}.json", {"user": sent})
    assert updated.status_code == 200, updated.content
    assert updated.json()["user"]["name"] == "Round trip 2"


def test_external_ids_are_unique_whatever_their_case(admin_client: APIClient, call: Any) -> None:
    first = call(admin_client, "post", USERS, {"user": {"name": "A", "external_id": 1234}})
    assert first.json()["user"]["external_id"] == "1234"
    call(admin_client, "post", USERS, {"user": {"name": "B", "external_id": "Ian1"}})
    before = User.objects.count()
    assert_invalid(
        call(admin_client, "post", USERS, {"user": {"name": "C", "external_id": "IAN1"}}),
        "external_id",
    )
    assert User.objects.count() == before


def test_update_refuses_an_agent_without_email_and_changes_nothing(
    admin_client: APIClient, call: Any
) -> None:
    customer = UserFactory(email=None, name="No mail")
    response = call(
        admin_client,
        "put",
        f"/api/v2/users/{customer.pk}.json",
        {"user": {"role": "agent", "name": "Renamed"}},
    )
    assert_invalid(response, "email")
    customer.refresh_from_db()
    assert (customer.role, customer.name) == ("end-user", "No mail")


def test_update_clears_phone_and_email_of_an_end_user(admin_client: APIClient, call: Any) -> None:
    customer = UserFactory(email="gone@example.com", phone="555 0100", shared_phone_number=True)
    path = f"/api/v2/users/{customer.pk}.json"
    user = call(admin_client, "put", path, {"user": {"phone": None, "email": None}}).json()["user"]
    assert (user["phone"], user["shared_phone_number"], user["email"]) == (None, None, None)


# List filters ---------------------------------------------------------------------------------


@pytest.fixture
def people(admin_user: User, agent_user: User, end_user: User) -> dict[str, User]:
    return {
        "admin": admin_user,
        "agent": agent_user,
        "end-user": end_user,
        "deleted": UserFactory(role="agent", email="deleted@example.com", active=False),
    }


@pytest.mark.parametrize(
    ("query", "roles"),
    [
        ("role=agent", ["agent"]),
        ("role%5B%5D=agent", ["agent"]),
        ("role%5B%5D=agent&role%5B%5D=admin", ["admin", "agent"]),  # zenpy
        ("role%5B%5D=agent%2Cadmin", ["admin", "agent"]),  # node-zendesk
        ("role=end-user,admin", ["admin", "end-user"]),
        ("role=", ["admin", "agent", "end-user"]),
        ("", ["admin", "agent", "end-user"]),
    ],
)
def test_list_filters_by_role_and_leaves_out_deleted_users(
    agent_client: APIClient, people: dict[str, User], call: Any, query: str, roles: list[str]
) -> None:
    response = call(agent_client, "get", f"{USERS}?{query}")
    assert response.status_code == 200, response.content
    assert ids(response) == sorted(people[role].pk for role in roles)


def test_list_refuses_an_unknown_role(agent_client: APIClient, call: Any) -> None:
    assert_bad_request(call(agent_client, "get", f"{USERS}?role%5B%5D=agent&role%5B%5D=owner"))


def test_list_filters_by_external_id_and_permission_set(agent_client: APIClient, call: Any) -> None:
    crm = UserFactory(external_id="CRM-7")
    UserFactory(external_id="CRM-8")
    assert ids(call(agent_client, "get", f"{USERS}?external_id=crm-7")) == [crm.pk]
    assert ids(call(agent_client, "get", f"{USERS}?permission_set=12")) == []
    assert_bad_request(call(agent_client, "get", f"{USERS}?permission_set=admins"))


def test_list_cursor_pages_with_page_size_as_zenpy_asks(agent_client: APIClient, call: Any) -> None:
    for _ in range(3):
        UserFactory(role="end-user")
    first = call(agent_client, "get", f"{USERS}?page%5Bsize%5D=2&role%5B%5D=end-user")
    assert len(first.json()["users"]) == 2
    assert first.json()["meta"]["has_more"] is True
    rest = call(
        agent_client, "get", first.json()["links"]["next"].removeprefix("http://testserver")
    )
    assert len(rest.json()["users"]) == 1


# show_many ------------------------------------------------------------------------------------


def test_show_many_by_ids_in_the_order_asked(
    agent_client: APIClient, people: dict[str, User], call: Any
) -> None:
    wanted = [people["end-user"].pk, people["deleted"].pk, people["admin"].pk, 999999]
    for path in ("/api/v2/users/show_many.json", "/api/v2/users/show_many"):
        response = call(agent_client, "get", f"{path}?ids={','.join(map(str, wanted))}")
        assert response.status_code == 200, response.content
        assert ids(response) == wanted[:3]
        assert [u["active"] for u in response.json()["users"]] == [True, False, True]
    encoded = call(
        agent_client, "get", f"/api/v2/users/show_many.json?ids={wanted[0]}%2C{wanted[2]}"
    )
    assert ids(encoded) == [wanted[0], wanted[2]]


def test_show_many_by_external_ids_whatever_their_case(agent_client: APIClient, call: Any) -> None:
    a = UserFactory(external_id="abc")
    b = UserFactory(external_id="DEF")
    response = call(agent_client, "get", "/api/v2/users/show_many.json?external_ids=def,ABC,nope")
    assert ids(response) == [b.pk, a.pk]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ids=",
        "?ids=1,x",
        "?ids=-1",
        "?ids=1&external_ids=a",
        "?ids=" + ",".join(map(str, range(1, 102))),
    ],
)
def test_show_many_refuses_bad_parameters(agent_client: APIClient, call: Any, query: str) -> None:
    assert_bad_request(call(agent_client, "get", f"/api/v2/users/show_many.json{query}"))


# Search ---------------------------------------------------------------------------------------


@pytest.fixture
def directory(db: None) -> dict[str, User]:
    org = OrganizationFactory(name="Acme Rockets")
    return {
        "jdoe": UserFactory(
            name="John Doe",
            email="jdoe@example.org",
            external_id="EXT-1",
            tags=["vip", "beta"],
            phone="+1 555 0100",
            organization=org,
        ),
        "jane": UserFactory(
            name="Jane Doe", email="jane@example.net", tags=["beta"], notes="Call after 5"
        ),
        "agent": UserFactory(name="Desk Agent", email="desk@example.org", role="agent"),
        "nomail": UserFactory(name="Walk-in Johnny", email=None),
        "gone": UserFactory(name="John Gone", email="gone@example.org", active=False),
    }


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("jdoe", ["jdoe"]),
        ("john", ["jdoe", "nomail"]),
        ("DOE", ["jdoe", "jane"]),
        ("example.net", ["jane"]),
        ("0100", ["jdoe"]),
        ("after", ["jane"]),
        ("email:jdoe@example.org", ["jdoe"]),
        ("email:JDOE@EXAMPLE.ORG", ["jdoe"]),
        ("email:jdoe", []),
        ("email:*@example.org", ["jdoe", "agent"]),
        ("name:jane", ["jane"]),
        ('name:"John Doe"', ["jdoe"]),
        ("role:agent desk", ["agent"]),
        ("role:end-user doe", ["jdoe", "jane"]),
        ("external_id:ext-1", ["jdoe"]),
        ("tags:beta", ["jdoe", "jane"]),
        ("tag:vip", ["jdoe"]),
        ("tags:bet", []),
        ("tags:beta name:jane", ["jane"]),
        ("organization:acme", ["jdoe"]),
        ("type:user jane", ["jane"]),
        ("nobody-matches", []),
    ],
)
def test_search(
    agent_client: APIClient, directory: dict[str, User], call: Any, query: str, found: list[str]
) -> None:
    response = call(agent_client, "get", f"/api/v2/users/search.json?query={quote(query)}")
    assert response.status_code == 200, response.content
    assert ids(response) == sorted(directory[key].pk for key in found)
    assert response.json()["count"] == len(found)


def test_search_by_external_id_and_without_json_suffix(
    agent_client: APIClient, directory: dict[str, User], call: Any
) -> None:
    for path in ("/api/v2/users/search.json", "/api/v2/users/search", "/api/v2/users/search/"):
        response = agent_client.get(f"{path}?external_id=EXT-1")
        assert response.status_code == 200, (path, response.content)
        assert ids(response) == [directory["jdoe"].pk]
    assert ids(call(agent_client, "get", "/api/v2/users/search.json?external_id=ext-*")) == []


@pytest.mark.parametrize("query", ["", "?query=", "?query=a&external_id=b"])
def test_search_needs_query_or_external_id(agent_client: APIClient, call: Any, query: str) -> None:
    assert_bad_request(call(agent_client, "get", f"/api/v2/users/search.json{query}"))


# create_or_update -----------------------------------------------------------------------------

UPSERT = "/api/v2/users/create_or_update.json"


def test_create_or_update_creates_then_updates_by_email(admin_client: APIClient, call: Any) -> None:
    created = call(
        admin_client, "post", UPSERT, {"user": {"name": "Ann", "email": "ann@example.com"}}
    )
    assert created.status_code == 201, created.content
    user = created.json()["user"]
    assert created["Location"] == user["url"]
    updated = call(
        admin_client, "post", UPSERT, {"user": {"email": "ANN@example.com", "phone": "555 0101"}}
    )
    assert updated.status_code == 200, updated.content
    assert updated["Location"] == user["url"]
    assert updated.json()["user"]["id"] == user["id"]
    assert (updated.json()["user"]["name"], updated.json()["user"]["phone"]) == ("Ann", "555 0101")
    assert User.objects.filter(email="ann@example.com").count() == 1


def test_create_or_update_matches_external_id_in_any_case_and_takes_its_case(
    admin_client: APIClient, call: Any
) -> None:
    existing = UserFactory(name="Old", external_id="crm-9", email=None)
    response = call(admin_client, "post", UPSERT, {"user": {"external_id": "CRM-9", "name": "New"}})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == existing.pk
    existing.refresh_from_db()
    assert (existing.name, existing.external_id) == ("New", "CRM-9")


def test_create_or_update_refuses_bad_input_and_writes_nothing(
    admin_client: APIClient, call: Any
) -> None:
    existing = UserFactory(name="Kept", email="kept@example.com")
    before = User.objects.count()
    assert_invalid(
        call(admin_client, "post", UPSERT, {"user": {"email": "new@example.com"}}), "name"
    )
    assert_invalid(
        call(admin_client, "post", UPSERT, {"user": {"email": "kept@example.com", "locale": "?"}}),
        "locale",
    )
    assert_bad_request(call(admin_client, "post", UPSERT, {"name": "unwrapped"}))
    assert User.objects.count() == before
    existing.refresh_from_db()
    assert (existing.name, existing.locale) == ("Kept", "en-US")


# Delete ---------------------------------------------------------------------------------------


def test_delete_is_a_soft_delete_that_ends_sign_in_and_tokens(
    admin_client: APIClient, call: Any
) -> None:
    agent = UserFactory(role="agent", email="leaver@example.com", password=PASSWORD)
    signed_in = token_client(agent)
    _, bearer = services.oauth_token_create(user=agent, scopes=["read"])
    assert signed_in.get("/api/v2/users/me.json").status_code == 200
    path = f"/api/v2/users/{agent.pk}.json"
    # zenpy sends the user as a JSON body with its DELETE.
    response = call(admin_client, "delete", path, {"user": {"id": agent.pk, "name": "x"}})
    assert response.status_code == 200, response.content
    user = response.json()["user"]
    assert (user["id"], user["active"], user["name"]) == (agent.pk, False, agent.name)

    assert signed_in.get("/api/v2/users/me.json").status_code == 401
    password_client = APIClient()
    password_client.credentials(HTTP_AUTHORIZATION=basic(agent.email, PASSWORD))
    assert password_client.get("/api/v2/users/me.json").status_code == 401
    bearer_client = APIClient()
    bearer_client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert bearer_client.get("/api/v2/users/me.json").status_code == 401
    assert not ApiToken.objects.filter(user=agent).exists()
    assert OAuthToken.objects.get(user=agent).revoked_at is not None

    shown = call(admin_client, "get", path)
    assert shown.json()["user"]["active"] is False
    assert agent.pk not in ids(call(admin_client, "get", USERS))
    # Deleting again answers the deleted user again.
    assert call(admin_client, "delete", path).json()["user"]["active"] is False


def test_a_deleted_users_tickets_stay(admin_client: APIClient, call: Any) -> None:
    customer = UserFactory(email=None, name="Requester")
    created = admin_client.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": customer.pk}},
        format="json",
    )
    assert created.status_code == 201, created.content
    call(admin_client, "delete", f"/api/v2/users/{customer.pk}.json")
    assert Ticket.objects.get(pk=created.json()["ticket"]["id"]).requester_id == customer.pk


def test_nobody_deletes_themselves(admin_client: APIClient, admin_user: User, call: Any) -> None:
    UserFactory(role="admin", email="other-admin@example.com")
    response = call(admin_client, "delete", f"/api/v2/users/{admin_user.pk}.json")
    assert_invalid(response, "base")
    assert "yourself" in response.json()["details"]["base"][0]["description"]
    admin_user.refresh_from_db()
    assert admin_user.active


@pytest.mark.parametrize("change", [{"role": "agent"}, {"active": False}])
def test_the_last_admin_stays_an_admin(
    admin_client: APIClient, admin_user: User, call: Any, change: dict[str, Any]
) -> None:
    response = call(admin_client, "put", f"/api/v2/users/{admin_user.pk}.json", {"user": change})
    assert_invalid(response, "base")
    assert "last admin" in response.json()["details"]["base"][0]["description"]
    admin_user.refresh_from_db()
    assert admin_user.is_admin
    assert admin_user.active
    second = UserFactory(role="admin", email="second-admin@example.com")
    assert (
        call(admin_client, "put", f"/api/v2/users/{second.pk}.json", {"user": change}).status_code
        == 200
    )


def test_the_service_refuses_deleting_the_last_admin(admin_user: User) -> None:
    with pytest.raises(services.UserWriteRefused, match="last admin"):
        services.user_delete(user_id=admin_user.pk, by_user_id=None, at=timezone.now())
    admin_user.refresh_from_db()
    assert admin_user.active


def test_delete_of_an_unknown_user_is_404(admin_client: APIClient, call: Any) -> None:
    response = call(admin_client, "delete", "/api/v2/users/999999.json")
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


# Who may do what ------------------------------------------------------------------------------


def test_agents_read_but_do_not_write(agent_client: APIClient, end_user: User, call: Any) -> None:
    assert (
        call(agent_client, "get", f"/api/v2/users/show_many.json?ids={end_user.pk}").status_code
        == 200
    )
    assert call(agent_client, "get", "/api/v2/users/search.json?query=x").status_code == 200
    for method, path, body in [
        ("post", UPSERT, {"user": {"name": "N"}}),
        ("delete", f"/api/v2/users/{end_user.pk}.json", None),
    ]:
        assert call(agent_client, method, path, body).status_code == 403
    end_user.refresh_from_db()
    assert end_user.active
    assert not User.objects.filter(name="N").exists()


def test_end_users_see_only_themselves_and_only_their_own_keys(
    end_user_client: APIClient, end_user: User, agent_user: User, call: Any
) -> None:
    end_user.notes = "Shouted at the agent"
    end_user.tags = ["difficult"]
    end_user.save()
    me = call(end_user_client, "get", "/api/v2/users/me.json")
    assert me.status_code == 200
    assert "notes" not in me.json()["user"]
    assert "tags" not in me.json()["user"]
    assert call(end_user_client, "get", f"/api/v2/users/{end_user.pk}.json").json() == me.json()
    for path in (
        f"/api/v2/users/{agent_user.pk}.json",
        USERS,
        f"/api/v2/users/show_many.json?ids={end_user.pk}",
        f"/api/v2/users/search.json?query={quote(end_user.email or '')}",
    ):
        assert call(end_user_client, "get", path).status_code == 403, path
    assert call(end_user_client, "post", UPSERT, {"user": {"name": "N"}}).status_code == 403
    assert call(end_user_client, "delete", f"/api/v2/users/{end_user.pk}.json").status_code == 403


# Users without an email -----------------------------------------------------------------------


def test_a_user_without_email_requests_tickets_and_signs_in_with_a_bearer_token(
    admin_client: APIClient, agent_user: User, call: Any
) -> None:
    customer = services.user_create(name="Phone caller", phone="555 0199")
    created = admin_client.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "Called", "comment": {"body": "b"}, "requester_id": customer.pk}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["ticket"]["requester_id"] == customer.pk
    # Requesters named by email are still found or created by it.
    by_email = admin_client.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "Mailed",
                "comment": {"body": "b"},
                "requester": {"name": "Mailer", "email": "Mailer@Example.com"},
            }
        },
        format="json",
    )
    assert by_email.status_code == 201, by_email.content
    assert (
        User.objects.get(email="mailer@example.com").pk == by_email.json()["ticket"]["requester_id"]
    )

    _, token = services.oauth_token_create(user=customer, scopes=["read", "write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = customer  # type: ignore[attr-defined]
    me = call(client, "get", "/api/v2/users/me.json")
    assert me.status_code == 200
    assert me.json()["user"]["email"] is None
    tickets = client.get("/api/v2/tickets.json").json()["tickets"]
    assert [t["id"] for t in tickets] == [created.json()["ticket"]["id"]]
    assert str(customer) == "Phone caller"


def test_last_login_at_is_when_a_token_was_last_used(
    admin_client: APIClient, agent_client: APIClient, agent_user: User, call: Any
) -> None:
    agent_client.get("/api/v2/users/me.json")
    shown = call(admin_client, "get", f"/api/v2/users/{agent_user.pk}.json").json()["user"]
    used = ApiToken.objects.get(user=agent_user).last_used_at
    assert used is not None
    assert shown["last_login_at"] == used.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("user", "field", "words"),
    [
        ({"password": "password"}, "password", "too common"),
        ({"password": "short"}, "password", "too short"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a known time zone"),
        ({"role": "end-user", "default_group_id": None}, "default_group_id", "belong to groups"),
    ],
)
def test_the_account_rules_the_admin_pages_share_are_422s(
    admin_client: APIClient, user: dict[str, Any], field: str, words: str
) -> None:
    """The services apply these rules for the API and the admin pages alike."""
    if "default_group_id" in user:
        user = {**user, "default_group_id": GroupFactory().pk}
    body = {"user": {"name": "Rules", "email": "rules@example.com", **user}}
    response = admin_client.post("/api/v2/users.json", body, format="json")
    assert response.status_code == 422, response.json()
    [problem] = response.json()["details"][field]
    assert words in problem["description"]
    assert not User.objects.filter(email="rules@example.com").exists()
