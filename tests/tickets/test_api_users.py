from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import GroupFactory, OrganizationFactory, UserFactory
from tickets.models import User

pytestmark = pytest.mark.django_db


def test_me_in_zendesk_shape(agent_client: APIClient, agent_user: User) -> None:
    for path in ("/api/v2/users/me", "/api/v2/users/me.json"):
        user = agent_client.get(path).json()["user"]
        assert user["id"] == agent_user.pk
        assert user["url"] == f"http://testserver/api/v2/users/{agent_user.pk}.json"
        assert user["role"] == "agent"
        assert {"default_group_id", "organization_id", "time_zone", "iana_time_zone"} <= set(user)


def test_create_user_with_rails_time_zone(admin_client: APIClient) -> None:
    org = OrganizationFactory()
    group = GroupFactory()
    body = {
        "user": {
            "name": "Nia",
            "email": "Nia@Example.com",
            "role": "agent",
            "organization_id": org.pk,
            "default_group_id": group.pk,
            "time_zone": "Eastern Time (US & Canada)",
        }
    }
    response = admin_client.post("/api/v2/users.json", body, format="json")
    assert response.status_code == 201
    user = response.json()["user"]
    assert response["Location"].endswith(f"/api/v2/users/{user['id']}.json")
    assert user["email"] == "nia@example.com"
    assert user["time_zone"] == "Eastern Time (US & Canada)"
    assert user["iana_time_zone"] == "America/New_York"
    assert User.objects.get(pk=user["id"]).agent_groups.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"email": "a@example.com"}, "name"),
        ({"name": "A", "role": "agent"}, "email"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "admin@example.com"}, "email"),
        ({"name": "A", "email": "a@example.com", "role": "owner"}, "role"),
        ({"name": "A", "email": "a@example.com", "organization_id": 999999}, "organization_id"),
        ({"name": "A", "email": "a@example.com", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "A", "email": "a@example.com", "time_zone": "../../etc/passwd"}, "time_zone"),
        ({"name": "A", "email": "a@example.com", "default_group_id": 999999}, "default_group_id"),
    ],
)
def test_create_user_validation(admin_client: APIClient, user: dict, field: str) -> None:
    before = User.objects.count()
    response = admin_client.post("/api/v2/users", {"user": user}, format="json")
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert User.objects.count() == before


def test_end_users_cannot_have_a_default_group(admin_client: APIClient) -> None:
    group = GroupFactory()
    body = {"user": {"name": "E", "email": "e@example.com", "default_group_id": group.pk}}
    response = admin_client.post("/api/v2/users", body, format="json")
    assert response.status_code == 422
    assert "default_group_id" in response.json()["details"]


def test_update_user_partially(admin_client: APIClient) -> None:
    user = UserFactory(name="Old", email="old@example.com")
    response = admin_client.put(
        f"/api/v2/users/{user.pk}.json",
        {"user": {"name": "New", "time_zone": "London"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()["user"]
    assert body["name"] == "New"
    assert body["email"] == "old@example.com"
    assert body["iana_time_zone"] == "Europe/London"


def test_list_users_paginates_and_filters_by_role(agent_client: APIClient) -> None:
    for _ in range(3):
        UserFactory(role="end-user")
    body = agent_client.get("/api/v2/users.json?role=end-user&per_page=2").json()
    assert body["count"] == 3
    assert len(body["users"]) == 2
    assert body["next_page"]
    assert all(u["role"] == "end-user" for u in body["users"])


def test_unknown_user_is_404(admin_client: APIClient) -> None:
    response = admin_client.get("/api/v2/users/999999.json")
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_create_an_inactive_user(admin_client: APIClient) -> None:
    """Found by fuzzing: `active` on create used to fail inside the service."""
    body = {"user": {"name": "Gone", "email": "gone@example.com", "active": False}}
    response = admin_client.post("/api/v2/users.json", body, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["active"] is False
