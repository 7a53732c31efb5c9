"""What Django refuses before any view runs still answers API clients in Zendesk's shape."""

from __future__ import annotations

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
