"""Every endpoint × every kind of caller."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.factories import make_policy

pytestmark = pytest.mark.django_db

ROLES = ["admin", "agent", "end-user", "anonymous", "bad-token"]
FORBIDDEN = {"error": {"title": "Forbidden", "message": pytest.approx(str)}}

# (method, path, body, status for admin, agent, end user)
ENDPOINTS = [
    ("get", "/api/v2/slas/policies.json", None, (200, 403, 403)),
    (
        "post",
        "/api/v2/slas/policies.json",
        {"sla_policy": {"title": "t", "filter": {"all": []}}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/slas/policies/{policy}.json", None, (200, 403, 403)),
    ("put", "/api/v2/slas/policies/{policy}.json", {"sla_policy": {"title": "u"}}, (200, 403, 403)),
    ("delete", "/api/v2/slas/policies/{policy}.json", None, (204, 403, 403)),
    ("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": []}, (200, 403, 403)),
    ("get", "/api/v2/slas/policies/definitions.json", None, (200, 403, 403)),
    ("get", "/api/v2/users.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/users.json",
        {"user": {"name": "N", "email": "n@example.com"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/users/{me}.json", None, (200, 200, 200)),
    ("get", "/api/v2/users/{other}.json", None, (200, 200, 403)),
    ("put", "/api/v2/users/{other}.json", {"user": {"name": "Renamed"}}, (200, 403, 403)),
    ("get", "/api/v2/users/me.json", None, (200, 200, 200)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), ENDPOINTS)
def test_permission_matrix(
    client_for: Callable[[str], APIClient],
    role: str,
    method: str,
    path: str,
    body: dict | None,
    expected: tuple[int, int, int],
    admin_user,
    agent_user,
    end_user,
) -> None:
    policy = make_policy("p")
    client = client_for(role)
    me = {"admin": admin_user, "agent": agent_user, "end-user": end_user}.get(role, end_user)
    other = admin_user if role == "end-user" else end_user
    url = path.format(policy=policy.pk, me=me.pk, other=other.pk)
    response = getattr(client, method)(url, body, format="json")
    if role in ("anonymous", "bad-token"):
        assert response.status_code == 401
        assert response.json() == {"error": "Couldn't authenticate you"}
        assert response["WWW-Authenticate"] == 'Basic realm="slaweb"'
        return
    status = dict(zip(["admin", "agent", "end-user"], expected, strict=True))[role]
    assert response.status_code == status, response.content
    if status == 403:
        error = response.json()["error"]
        assert error["title"] == "Forbidden"
        assert error["message"]
