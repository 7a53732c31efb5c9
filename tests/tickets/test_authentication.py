from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.conftest import basic
from tests.factories import UserFactory
from tickets import services
from tickets.models import ApiToken, User

pytestmark = pytest.mark.django_db
ME = "/api/v2/users/me.json"


def call(header: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(ME).status_code


def test_token_auth_in_zendesk_form() -> None:
    user = UserFactory(role="agent", email="pat@example.com")
    token = services.api_token_create(user=user)
    assert call(basic("pat@example.com/token", token)) == 200
    assert call(basic("PAT@example.com/token", token)) == 200


def test_password_auth() -> None:
    UserFactory(role="agent", email="pw@example.com", password="s3cret-pass")
    assert call(basic("pw@example.com", "s3cret-pass")) == 200
    assert call(basic("pw@example.com", "wrong")) == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic a b c",
        "Basic " + base64.b64encode(b"nobody@example.com/token:abc").decode(),
    ],
)
def test_malformed_or_wrong_credentials_are_401(header: str) -> None:
    UserFactory(role="admin", email="a@example.com")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}
    assert response["WWW-Authenticate"].startswith("Basic")


def test_an_unknown_bearer_token_is_401_the_oauth_way() -> None:
    UserFactory(role="admin", email="a@example.com")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer something")
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"] == 'Bearer realm="slaweb", error="invalid_token"'


def test_token_of_another_user_is_refused() -> None:
    owner = UserFactory(role="admin", email="owner@example.com")
    UserFactory(role="admin", email="thief@example.com")
    token = services.api_token_create(user=owner)
    assert call(basic("thief@example.com/token", token)) == 401


def test_tokens_are_stored_hashed_several_per_user_and_revocable() -> None:
    user = UserFactory(role="admin", email="multi@example.com")
    first = services.api_token_create(user=user, description="ci")
    second = services.api_token_create(user=user, description="laptop")
    stored = list(ApiToken.objects.filter(user=user).values_list("token_hash", flat=True))
    assert first not in stored
    assert second not in stored
    assert ApiToken.hash(first) in stored
    services.api_token_revoke(token_id=ApiToken.objects.get(description="ci").pk)
    assert call(basic("multi@example.com/token", first)) == 401
    assert call(basic("multi@example.com/token", second)) == 200


def test_inactive_users_cannot_sign_in() -> None:
    user = UserFactory(role="admin", email="gone@example.com", password="s3cret-pass")
    token = services.api_token_create(user=user)
    services.user_update(user_id=user.pk, data={"active": False})
    assert call(basic("gone@example.com/token", token)) == 401
    assert call(basic("gone@example.com", "s3cret-pass")) == 401


def test_session_sign_in_works_for_the_browser_with_csrf() -> None:
    UserFactory(role="admin", email="web@example.com", password="s3cret-pass")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="web@example.com", password="s3cret-pass")
    assert client.get(ME).status_code == 200
    response = client.post(
        "/api/v2/slas/policies.json", {"sla_policy": {"title": "t", "filter": {}}}, format="json"
    )
    assert response.status_code == 403  # no CSRF token


def test_create_api_token_command_creates_the_user_and_prints_only_the_token() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token", "New.Admin@example.com", "--role", "admin", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert "\n" not in token
    assert len(token) == 40
    user = User.objects.get(email="new.admin@example.com")
    assert user.role == "admin"
    assert call(basic("new.admin@example.com/token", token)) == 200
    call_command(
        "create_api_token", "new.admin@example.com", "--role", "admin", stdout=out, stderr=err
    )
    assert User.objects.filter(email="new.admin@example.com").count() == 1
    assert ApiToken.objects.filter(user=user).count() == 2


def test_create_api_token_rejects_a_bad_email() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "not-an-email", stdout=io.StringIO(), stderr=io.StringIO())
