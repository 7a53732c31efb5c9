"""OAuth access tokens: the OAuth Tokens API (`/api/v2/oauth/tokens`), `Authorization: Bearer`
sign-in with its scopes, and sign-in lock-out that belongs to passwords only.

Every answer of the tokens API is checked against slaweb's own OpenAPI schema, and token
objects also against Zendesk's (`OAuthTokenResponse`, `OAuthTokensResponse` in
shared/zendesk-oas-tickets.yaml beside the checkout)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import basic
from tests.factories import UserFactory
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import json_schema as _json_schema
from tests.zendesk_oas import zendesk_components
from tickets import services
from tickets.authentication import LAST_USED_RESOLUTION, scope_resource
from tickets.models import RateLimitCounter, Ticket, User
from tickets.models.accounts import OAuthToken

pytestmark = pytest.mark.django_db

TOKENS = "/api/v2/oauth/tokens.json"
ME = "/api/v2/users/me.json"
PASSWORD = "correct-horse-battery"
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": (
        "The access token provided is expired, revoked, malformed or invalid for other reasons."
    ),
}
FORBIDDEN_TITLE = "Forbidden"
NEW_TICKET = {"ticket": {"subject": "Printer", "comment": {"body": "It is on fire"}}}

# Keys Zendesk's file types without `nullable` that slaweb answers null: it has no OAuth
# clients (client_id when none was sent), no expiry and no refresh tokens, and a token not
# used yet has no used_at.
NULL_IN_SLAWEB = ("client_id", "expires_at", "refresh_token", "refresh_token_expires_at", "used_at")


# Schemas --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zendesk() -> dict[str, Any]:
    """Zendesk's components, as JSON Schema, with slaweb's documented nulls allowed."""
    components = _json_schema(zendesk_components())
    token_object = components["schemas"]["OauthTokenObject"]
    for key in NULL_IN_SLAWEB:
        token_object["properties"][key]["type"] = [token_object["properties"][key]["type"], "null"]
    return {"components": {"schemas": components["schemas"]}}


def assert_zendesk_shape(zendesk: dict[str, Any], name: str, body: dict[str, Any]) -> None:
    """`body` is valid as Zendesk's `name` response, and its token objects have every key
    Zendesk's token object has."""
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{name}", **zendesk})
    documented = set(zendesk["components"]["schemas"]["OauthTokenObject"]["properties"])
    objects = body["tokens"] if "tokens" in body else [body["token"]]
    for token in objects:
        assert documented <= set(token), documented - set(token)
        for key in ("created_at", "used_at"):
            assert token[key] is None or re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token[key]
            )


@pytest.fixture(scope="module")
def slaweb_schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


@pytest.fixture
def check(slaweb_schema: dict[str, Any]) -> Any:
    """Assert an answer is what slaweb's schema documents for `method` on its path."""

    def run(method: str, path: str, response: Any) -> Any:
        assert_matches_schema(slaweb_schema, method, path, response)
        return response

    return run


# Helpers --------------------------------------------------------------------------------------


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def new_token(user: User, scopes: list[str] | None = None) -> str:
    _, token = services.oauth_token_create(user=user, scopes=scopes or ["read", "write"])
    return token


def token_url(token_id: int) -> str:
    return f"/api/v2/oauth/tokens/{token_id}.json"


def assert_forbidden(response: Any) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["error"]["title"] == FORBIDDEN_TITLE


def assert_invalid_token(response: Any) -> None:
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == 'Bearer realm="slaweb", error="invalid_token"'


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


# Create ---------------------------------------------------------------------------------------


def test_create_answers_201_with_the_full_token_shown_only_then(
    admin_client: APIClient, admin_user: User, zendesk: dict[str, Any], check: Any
) -> None:
    body = {"token": {"client_id": 1234, "scopes": ["read", "write", "read"]}}
    created = check("post", TOKENS, admin_client.post(TOKENS, body, format="json"))
    assert created.status_code == 201, created.content
    assert_zendesk_shape(zendesk, "OAuthTokenResponse", created.json())
    token = created.json()["token"]
    stored = OAuthToken.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", token["full_token"])
    assert token == {
        "url": f"http://testserver/api/v2/oauth/tokens/{stored.pk}.json",
        "id": stored.pk,
        "user_id": admin_user.pk,
        "client_id": 1234,
        "token": token["full_token"][:10],
        "refresh_token": None,
        "scopes": ["read", "write"],
        "created_at": token["created_at"],
        "expires_at": None,
        "used_at": None,
        "refresh_token_expires_at": None,
        "full_token": token["full_token"],
    }
    assert created["Location"] == token["url"]
    # Only the hash is kept.
    assert stored.token_hash == OAuthToken.hash(token["full_token"])
    assert token["full_token"] not in {stored.token_hash, stored.prefix}

    shown = check("get", token_url(stored.pk), admin_client.get(token_url(stored.pk)))
    assert shown.status_code == 200
    assert_zendesk_shape(zendesk, "OAuthTokenResponse", shown.json())
    assert "full_token" not in shown.json()["token"]
    assert shown.json()["token"]["token"] == token["full_token"][:10]
    assert bearer_client(token["full_token"]).get(ME).json()["user"]["id"] == admin_user.pk


def test_create_takes_the_unwrapped_body_node_zendesk_sends_and_needs_no_client(
    admin_client: APIClient, check: Any
) -> None:
    created = check(
        "post", TOKENS, admin_client.post(TOKENS, {"scopes": ["tickets:read"]}, format="json")
    )
    assert created.status_code == 201, created.content
    assert created.json()["token"]["scopes"] == ["tickets:read"]
    assert created.json()["token"]["client_id"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"token": {}}, 422, "scopes"),
        ({"token": {"client_id": 1}}, 422, "scopes"),
        ({"token": {"scopes": []}}, 422, "scopes"),
        ({"token": {"scopes": "read"}}, 422, "scopes"),
        ({"token": {"scopes": [5]}}, 422, "scopes"),
        ({"token": {"scopes": ["admin"]}}, 422, "scopes"),
        ({"token": {"scopes": ["read", "tickets:delete"]}}, 422, "scopes"),
        ({"token": {"scopes": ["auditlogs:write"]}}, 422, "scopes"),
        ({"token": {"scopes": ["web_widget:read"]}}, 422, "scopes"),
        ({"token": {"scopes": ["slas:read"]}}, 422, "scopes"),
        ({"token": {"scopes": ["x" * 65]}}, 422, "scopes"),
        ({"token": {"scopes": ["read"] * 51}}, 422, "scopes"),
        ({"token": {"scopes": ["read"], "client_id": "abc"}}, 422, "client_id"),
        ({"token": {"scopes": ["read"], "client_id": 0}}, 422, "client_id"),
        ({"token": {"scopes": ["read"], "client_id": True}}, 422, "client_id"),
        ({"token": {"scopes": ["read"], "client_id": 2**63}}, 422, "client_id"),
        ({"token": "read"}, 400, None),
        ({"token": ["read"]}, 400, None),
        (["read"], 400, None),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    admin_client: APIClient, check: Any, body: Any, status: int, field: str | None
) -> None:
    response = check("post", TOKENS, admin_client.post(TOKENS, body, format="json"))
    assert response.status_code == status, response.content
    if field is not None:
        assert response.json()["error"] == "RecordInvalid"
        assert list(response.json()["details"]) == [field]
    else:
        assert response.json()["error"] == "InvalidRequest"
    assert not OAuthToken.objects.exists()


def test_the_scope_error_names_each_bad_scope(admin_client: APIClient) -> None:
    response = admin_client.post(
        TOKENS, {"token": {"scopes": ["read", "tickets:delete", "admin"]}}, format="json"
    )
    descriptions = [item["description"] for item in response.json()["details"]["scopes"]]
    assert len(descriptions) == 2
    assert "'tickets:delete'" in descriptions[0]
    assert "'admin'" in descriptions[1]


def test_only_admins_create(agent_client: APIClient, end_user_client: APIClient) -> None:
    for client in (agent_client, end_user_client):
        assert_forbidden(client.post(TOKENS, {"token": {"scopes": ["read"]}}, format="json"))
    assert not OAuthToken.objects.exists()


# Read -----------------------------------------------------------------------------------------


def test_admins_list_every_token_agents_their_own(
    admin_client: APIClient,
    agent_client: APIClient,
    admin_user: User,
    agent_user: User,
    zendesk: dict[str, Any],
    check: Any,
) -> None:
    mine, _ = services.oauth_token_create(user=agent_user, scopes=["read"])
    theirs, _ = services.oauth_token_create(user=admin_user, scopes=["read"])
    gone, _ = services.oauth_token_create(user=agent_user, scopes=["read"])
    services.oauth_token_revoke(token_id=gone.pk, at=timezone.now())

    everyone = check("get", TOKENS, admin_client.get(TOKENS))
    assert everyone.status_code == 200
    assert_zendesk_shape(zendesk, "OAuthTokensResponse", everyone.json())
    assert [t["id"] for t in everyone.json()["tokens"]] == [mine.pk, theirs.pk]
    assert [t["token"] for t in everyone.json()["tokens"]] == [mine.prefix, theirs.prefix]
    assert all(len(t["token"]) == 10 and "full_token" not in t for t in everyone.json()["tokens"])

    own = check("get", TOKENS, agent_client.get(TOKENS))
    assert [t["id"] for t in own.json()["tokens"]] == [mine.pk]
    assert_zendesk_shape(zendesk, "OAuthTokensResponse", own.json())


def test_the_list_pages_and_filters_by_client_id(
    admin_client: APIClient, admin_user: User, check: Any
) -> None:
    tokens = [
        services.oauth_token_create(user=admin_user, scopes=["read"], client_id=client)[0]
        for client in (1, 2, 1)
    ]
    page = check("get", TOKENS, admin_client.get(TOKENS + "?page[size]=2")).json()
    assert [t["id"] for t in page["tokens"]] == [tokens[0].pk, tokens[1].pk]
    assert page["meta"]["has_more"] is True
    filtered = admin_client.get(TOKENS + "?client_id=1").json()
    assert [t["id"] for t in filtered["tokens"]] == [tokens[0].pk, tokens[2].pk]
    bad = check("get", TOKENS, admin_client.get(TOKENS + "?client_id=x"))
    assert bad.status_code == 400
    assert bad.json()["error"] == "InvalidValue"


def test_agents_cannot_see_or_revoke_someone_elses_token(
    agent_client: APIClient, admin_user: User, check: Any
) -> None:
    theirs, full = services.oauth_token_create(user=admin_user, scopes=["read"])
    for method in ("get", "delete"):
        response = check(
            method, token_url(theirs.pk), getattr(agent_client, method)(token_url(theirs.pk))
        )
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert bearer_client(full).get(ME).status_code == 200


@pytest.mark.parametrize("method", ["get", "delete"])
def test_an_unknown_token_id_is_record_not_found(
    admin_client: APIClient, check: Any, method: str
) -> None:
    response = check(method, token_url(999999), getattr(admin_client, method)(token_url(999999)))
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_end_users_are_refused_everywhere(
    end_user_client: APIClient, end_user: User, check: Any
) -> None:
    held, full = services.oauth_token_create(user=end_user, scopes=["read", "write"])
    calls = [
        ("get", TOKENS),
        ("post", TOKENS),
        ("get", token_url(held.pk)),
        ("get", "/api/v2/oauth/tokens/current.json"),
        ("delete", token_url(held.pk)),
    ]
    for client in (end_user_client, bearer_client(full)):
        for method, path in calls:
            body = {"token": {"scopes": ["read"]}} if method == "post" else None
            assert_forbidden(
                check(method, path, getattr(client, method)(path, body, format="json"))
            )
    assert list(OAuthToken.objects.values_list("pk", "revoked_at")) == [(held.pk, None)]


def test_current_is_the_token_the_request_signed_in_with(
    agent_client: APIClient, agent_user: User, zendesk: dict[str, Any], check: Any
) -> None:
    token, full = services.oauth_token_create(user=agent_user, scopes=["read"])
    services.oauth_token_create(user=agent_user, scopes=["read"])
    path = "/api/v2/oauth/tokens/current.json"
    current = check("get", path, bearer_client(full).get(path))
    assert current.status_code == 200
    assert_zendesk_shape(zendesk, "OAuthTokenResponse", current.json())
    assert current.json()["token"]["id"] == token.pk
    assert current.json()["token"]["used_at"] is not None
    # Signed in with an API token, there is no current OAuth token.
    assert check("get", path, agent_client.get(path)).status_code == 404


@pytest.mark.parametrize("suffix", ["", ".json", "/", ".json/"])
def test_every_route_answers_with_and_without_json_and_a_trailing_slash(
    admin_client: APIClient, admin_user: User, suffix: str
) -> None:
    token, full = services.oauth_token_create(user=admin_user, scopes=["read", "write"])
    assert admin_client.get(f"/api/v2/oauth/tokens{suffix}").status_code == 200
    assert bearer_client(full).get(f"/api/v2/oauth/tokens/current{suffix}").status_code == 200
    assert admin_client.get(f"/api/v2/oauth/tokens/{token.pk}{suffix}").status_code == 200
    created = admin_client.post(
        f"/api/v2/oauth/tokens{suffix}", {"token": {"scopes": ["read"]}}, format="json"
    )
    assert created.status_code == 201
    assert admin_client.delete(f"/api/v2/oauth/tokens/{token.pk}{suffix}").status_code == 204


# Revoke ---------------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_with_zendesks_oauth_error(agent_user: User, check: Any) -> None:
    token, full = services.oauth_token_create(user=agent_user, scopes=["read", "write"])
    client = bearer_client(full)
    assert client.get(ME).status_code == 200
    revoked = check("delete", token_url(token.pk), client.delete(token_url(token.pk)))
    assert revoked.status_code == 204
    assert revoked.content == b""

    assert_invalid_token(client.get(ME))
    assert_invalid_token(client.post("/api/v2/tickets.json", NEW_TICKET, format="json"))
    path = "/api/v2/oauth/tokens/current.json"
    assert_invalid_token(check("get", path, client.get(path)))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Bearer", "Bearer a b", "bearer " + "0" * 64, "Bearer caf\u00e9"],
)
def test_a_malformed_or_unknown_bearer_token_is_401(admin_user: User, header: str) -> None:
    new_token(admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_invalid_token(client.get(ME))
    assert_invalid_token(client.get(TOKENS))


def test_the_token_of_an_inactive_user_is_refused(agent_user: User) -> None:
    full = new_token(agent_user)
    services.user_update(user_id=agent_user.pk, data={"active": False})
    assert_invalid_token(bearer_client(full).get(ME))


def test_a_bearer_token_in_basic_auth_is_the_basic_401(admin_user: User) -> None:
    full = new_token(admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(f"{admin_user.email}/token", full))
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}
    assert response["WWW-Authenticate"] == 'Basic realm="slaweb"'


# Scopes ---------------------------------------------------------------------------------------


def test_a_read_token_reads_and_is_forbidden_to_write(admin_user: User) -> None:
    token, full = services.oauth_token_create(user=admin_user, scopes=["read"])
    client = bearer_client(full)
    assert client.get("/api/v2/tickets.json").status_code == 200
    assert client.get("/api/v2/slas/policies.json").status_code == 200
    assert client.get(token_url(token.pk)).status_code == 200
    assert_forbidden(client.post("/api/v2/tickets.json", NEW_TICKET, format="json"))
    user_body = {"user": {"name": "N", "email": "n@example.com"}}
    assert_forbidden(client.post("/api/v2/users.json", user_body, format="json"))
    assert_forbidden(client.delete(token_url(token.pk)))
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="n@example.com").exists()
    assert client.get(ME).status_code == 200  # still in force


def test_a_write_token_writes_and_is_forbidden_to_read(admin_user: User) -> None:
    client = bearer_client(new_token(admin_user, ["write"]))
    assert client.post("/api/v2/tickets.json", NEW_TICKET, format="json").status_code == 201
    assert_forbidden(client.get("/api/v2/tickets.json"))


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["tickets:read"], {"get tickets"}),
        (["tickets:write"], {"post tickets"}),
        (["tickets"], {"get tickets", "post tickets"}),
        (["tickets:read", "tickets:write"], {"get tickets", "post tickets"}),
        (["users:read"], {"get users"}),
        (["organizations:write", "read"], {"get tickets", "get users", "get policies"}),
        (["impersonate"], set()),
        (["read", "write"], {"get tickets", "post tickets", "get users", "get policies"}),
    ],
)
def test_resource_scopes_reach_their_resource_only(
    admin_user: User, scopes: list[str], allowed: set[str]
) -> None:
    client = bearer_client(new_token(admin_user, scopes))
    calls = {
        "get tickets": lambda: client.get("/api/v2/tickets.json"),
        "post tickets": lambda: client.post("/api/v2/tickets.json", NEW_TICKET, format="json"),
        "get users": lambda: client.get(ME),
        "get policies": lambda: client.get("/api/v2/slas/policies.json"),
    }
    answered = {name: call().status_code for name, call in calls.items()}
    assert {name for name, status in answered.items() if status in (200, 201)} == allowed
    assert {status for name, status in answered.items() if name not in allowed} <= {403}


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/api/v2/tickets.json", "tickets"),
        ("/api/v2/tickets/5/comments.json", "tickets"),
        ("/api/v2/imports/tickets/create_many", "tickets"),
        ("/api/v2/incremental/ticket_metric_events.json", "tickets"),
        ("/api/v2/ticket_metrics/3", "tickets"),
        ("/api/v2/users/me.json", "users"),
        ("/api/v2/organizations", "organizations"),
        ("/api/v2/slas/policies.json", None),
        ("/api/v2/business_hours/schedules", None),
        ("/api/v2/oauth/tokens/current.json", None),
        ("/api/v2/incremental", None),
    ],
)
def test_scope_resource_of_a_path(path: str, resource: str | None) -> None:
    assert scope_resource(path) == resource


# Last use and rate limit ----------------------------------------------------------------------


def test_last_use_is_recorded_to_within_the_resolution(
    admin_user: User, clock: time_machine.Coordinates
) -> None:
    token, full = services.oauth_token_create(user=admin_user, scopes=["read"])
    client = bearer_client(full)
    assert token.last_used_at is None
    start = timezone.now()
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == start
    clock.shift(LAST_USED_RESOLUTION)
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == start  # not written again within the resolution
    clock.shift(timedelta(seconds=1))
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == start + LAST_USED_RESOLUTION + timedelta(seconds=1)
    shown = client.get(token_url(token.pk)).json()["token"]
    assert shown["used_at"] == token.last_used_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_bearer_requests_count_against_the_users_rate_limit(
    settings: Any, admin_client: APIClient, admin_user: User
) -> None:
    settings.SLAWEB_RATE_LIMIT_PER_MINUTE = 4
    bearer = bearer_client(new_token(admin_user, ["read"]))
    remaining = [
        bearer.get(ME)["X-Rate-Limit-Remaining"],
        admin_client.get(ME)["X-Rate-Limit-Remaining"],
        bearer.get(ME)["X-Rate-Limit-Remaining"],
    ]
    assert remaining == ["3", "2", "1"]
    # A write the scopes refuse is still a request.
    refused = bearer.post("/api/v2/tickets.json", NEW_TICKET, format="json")
    assert refused.status_code == 403
    assert refused["X-Rate-Limit-Remaining"] == "0"
    for client in (bearer, admin_client):
        limited = client.get(ME)
        assert limited.status_code == 429
        assert int(limited["Retry-After"]) >= 1
        assert limited.json()["error"] == "TooManyRequests"
    assert RateLimitCounter.objects.get(key=f"api:{admin_user.pk}").hits == 6


# Lock-out belongs to passwords -----------------------------------------------------------------


def test_wrong_tokens_stay_401_while_wrong_passwords_lock(settings: Any) -> None:
    settings.SLAWEB_SIGN_IN_MAX_FAILURES = 3
    settings.SLAWEB_SIGN_IN_MAX_FAILURES_PER_IP = 5
    member = UserFactory(role="agent", email="member@example.com", password=PASSWORD)
    api_token = services.api_token_create(user=member)
    oauth_token = new_token(member)

    def call(header: str) -> Any:
        return APIClient().get(ME, HTTP_AUTHORIZATION=header, REMOTE_ADDR="10.0.0.1")

    for _ in range(30):
        wrong_api_token = call(basic("member@example.com/token", "guess"))
        assert wrong_api_token.status_code == 401
        assert wrong_api_token.json() == {"error": "Couldn't authenticate you"}
        assert_invalid_token(call("Bearer guess"))
    assert not RateLimitCounter.objects.filter(key__startswith="signin-").exists()
    assert call(basic("member@example.com", PASSWORD)).status_code == 200

    for _ in range(3):
        assert call(basic("member@example.com", "wrong")).status_code == 401
    locked = call(basic("member@example.com", PASSWORD))
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= settings.SLAWEB_SIGN_IN_WINDOW_SECONDS
    # The tokens are not passwords: they still work, and a wrong one is still a 401.
    assert call(basic("member@example.com/token", api_token)).status_code == 200
    assert call(f"Bearer {oauth_token}").status_code == 200
    assert call(basic("member@example.com/token", "guess")).status_code == 401
    assert_invalid_token(call("Bearer guess"))


# Schema ---------------------------------------------------------------------------------------


def test_the_schema_documents_the_bearer_scheme(slaweb_schema: dict[str, Any]) -> None:
    schemes = slaweb_schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An OAuth access token from `POST /api/v2/oauth/tokens`",
    }
    assert schemes["basicAuth"]["scheme"] == "basic"
    security = slaweb_schema["paths"]["/api/v2/tickets"]["get"]["security"]
    assert {"bearerAuth": []} in security
    assert {"basicAuth": []} in security


def test_the_zendesk_schema_conversion_keeps_zendesks_types(zendesk: dict[str, Any]) -> None:
    """The check above can fail: a token object with a wrong type is not valid."""
    object_schema = copy.deepcopy(zendesk)
    wrong = {"token": {"id": "1", "scopes": "read", "used_at": None}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            wrong, {"$ref": "#/components/schemas/OAuthTokenResponse", **object_schema}
        )
