from __future__ import annotations

import base64
import copy
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tickets import services
from tickets.models import User

# CI explores the same examples on every run, so a red build is reproducible; locally each run
# explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


# What every test runs with; fixtures wider than a test apply them with override_settings.
TEST_SETTINGS: dict[str, Any] = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Background tasks run as they are enqueued (on commit); one test drives the real worker.
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "ALLOWED_HOSTS": ["testserver", "localhost", "127.0.0.1", ".example.org", ".example.net"],
}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    for name, value in copy.deepcopy(TEST_SETTINGS).items():
        setattr(settings, name, value)


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def token_client(user: User) -> APIClient:
    client = APIClient()
    token = services.api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=basic(f"{user.email}/token", token))
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(role="admin", email="admin@example.com")


@pytest.fixture
def agent_user(db: None) -> User:
    return UserFactory(role="agent", email="agent@example.com")


@pytest.fixture
def end_user(db: None) -> User:
    return UserFactory(role="end-user", email="customer@example.com")


@pytest.fixture
def admin_client(admin_user: User) -> APIClient:
    return token_client(admin_user)


@pytest.fixture
def agent_client(agent_user: User) -> APIClient:
    return token_client(agent_user)


@pytest.fixture
def end_user_client(end_user: User) -> APIClient:
    return token_client(end_user)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def bad_token_client(admin_user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(f"{admin_user.email}/token", "not-a-token"))
    return client


@pytest.fixture
def client_for(
    admin_client: APIClient,
    agent_client: APIClient,
    end_user_client: APIClient,
    anonymous_client: APIClient,
    bad_token_client: APIClient,
) -> Callable[[str], APIClient]:
    clients = {
        "admin": admin_client,
        "agent": agent_client,
        "end-user": end_user_client,
        "anonymous": anonymous_client,
        "bad-token": bad_token_client,
    }
    return clients.__getitem__
