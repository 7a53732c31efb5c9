"""What Django refuses before any view runs still answers API clients in Zendesk's shape."""

from __future__ import annotations

import base64

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import TicketFactory
from tickets.models import Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_an_api_body_over_the_limit_is_a_json_400_that_writes_nothing(
    admin_client: APIClient,
) -> None:
    ticket = TicketFactory()
    audits = TicketAudit.objects.count()
    body = {"ticket": {"comment": {"body": "x" * 3_000}, "status": "pending"}}
    response = admin_client.put(f"/api/v2/tickets/{ticket.pk}.json", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "RequestTooLarge",
        "description": "The body is over 2,000 bytes",
    }
    assert TicketAudit.objects.count() == audits
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_page_over_the_limit_keeps_the_plain_error_page() -> None:
    response = Client().post("/admin/login/", {"username": "y" * 3_000, "password": "z"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000, DEBUG=True)
def test_the_api_answers_json_in_debug_too(admin_client: APIClient) -> None:
    """`make run` serves with DEBUG on, where Django would show its HTML debug page."""
    ticket = TicketFactory()
    body = {"ticket": {"comment": {"body": "x" * 3_000}}}
    response = admin_client.put(f"/api/v2/tickets/{ticket.pk}.json", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "RequestTooLarge"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/users/search.json?query=%00%C2%A8p",
        "/api/v2/tickets.json?external_id=a%00b",
        "/api/v2/tickets.json?sort%00=id",
        "/api/v2/slas/group_policies/01J%00.json",
    ],
)
def test_a_nul_in_an_api_url_is_a_json_400(admin_client: APIClient, url: str) -> None:
    response = admin_client.get(url)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "BadRequest",
        "description": "The path and query may not contain NUL (%00) characters",
    }


def test_a_nul_in_an_admin_search_is_the_plain_400_page(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get("/admin/tickets/ticket/?q=printer%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# Values longer than anything stored: SQLite refuses LIKE patterns over 50,000 characters, so
# a lookup with one would fail rather than find nothing.
LONG = "a" * 50_001


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v2/users/search.json?query={LONG}",
        f"/api/v2/users.json?external_id={LONG}",
        f"/api/v2/users/show_many.json?external_ids={LONG}",
        "/api/v2/users/search.json?query=" + "b" * 4_095,
    ],
)
def test_a_query_longer_than_a_request_line_is_a_json_400(
    admin_client: APIClient, url: str
) -> None:
    response = admin_client.get(url)
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {
        "error": "BadRequest",
        "description": "The query is over 4,094 characters",
    }


def test_the_longest_query_read_is_still_answered(admin_client: APIClient) -> None:
    query = "b" * (4_094 - len("query="))
    response = admin_client.get(f"/api/v2/users/search.json?{'query=' + query}")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["users"] == []


def test_an_admin_search_longer_than_a_request_line_is_the_plain_400_page(
    admin_user: User,
) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get(f"/admin/tickets/user/?q={LONG}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_sign_in_with_a_name_longer_than_any_address_is_refused(admin_user: User) -> None:
    client = Client()
    response = client.post("/admin/login/", {"username": LONG, "password": "x"})
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_create_or_update_with_an_external_id_over_its_length_is_a_422(
    admin_client: APIClient,
) -> None:
    body = {"user": {"name": "n", "email": "x@example.com", "external_id": LONG}}
    response = admin_client.post("/api/v2/users/create_or_update.json", body, format="json")
    assert response.status_code == 422, response.content[:300]
    assert "external_id" in response.json()["details"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_an_api_sign_in_with_a_name_longer_than_any_address_is_a_401(admin_user: User) -> None:
    credentials = base64.b64encode(f"{LONG}:password".encode()).decode()
    response = APIClient().get("/api/v2/users/me.json", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401, response.content[:300]


@pytest.mark.parametrize("depth", [33, 900, 100_000])
def test_an_api_body_nested_deeper_than_slaweb_reads_is_a_400_that_writes_nothing(
    admin_client: APIClient, depth: int
) -> None:
    """Deeper than the decoder goes (100,000), deep enough to fail storing (900), or merely
    deeper than anything slaweb takes (33)."""
    fields = "[" * (depth - 3) + "]" * (depth - 3)  # inside three objects
    body = '{"user": {"name": "Deep", "user_fields": {"x": ' + fields + "}}}"
    response = admin_client.post("/api/v2/users.json", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested deeper than 32 levels" in response.json()["description"]
    assert not User.objects.filter(name="Deep").exists()


def test_an_api_body_nested_32_levels_is_read(admin_client: APIClient) -> None:
    fields = "[" * 29 + "]" * 29  # inside three objects
    body = '{"user": {"name": "Deep", "user_fields": {"x": ' + fields + "}}}"
    response = admin_client.post("/api/v2/users.json", body, content_type="application/json")
    assert response.status_code in (201, 422), response.content[:300]
    assert "nested" not in response.content.decode()


@override_settings(DEBUG=True, ALLOWED_HOSTS=["testserver"])
def test_a_host_not_allowed_is_a_json_400_for_the_api_in_debug_too(
    admin_client: APIClient,
) -> None:
    response = admin_client.get("/api/v2/tickets.json", HTTP_HOST="evil.example:9999")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "BadRequest", "description": "The request cannot be read"}
