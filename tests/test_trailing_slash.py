"""Zendesk answers a path with a trailing slash as it answers the path without one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import TicketFactory, UserFactory


@pytest.mark.django_db
def test_every_kind_of_route_answers_with_a_trailing_slash(admin_client: APIClient) -> None:
    requester = UserFactory(role="end-user")
    ticket = TicketFactory(requester=requester, priority=None, comment_body="Help")
    policy = admin_client.post(
        "/api/v2/slas/policies",
        {"sla_policy": {"title": "All", "filter": {"all": [], "any": []}}},
        format="json",
    ).json()["sla_policy"]
    paths = [
        "/api/v2/tickets",
        f"/api/v2/tickets/{ticket.pk}",
        f"/api/v2/tickets/{ticket.pk}/comments",
        f"/api/v2/tickets/{ticket.pk}/audits",
        "/api/v2/users",
        "/api/v2/users/me",
        "/api/v2/slas/policies",
        f"/api/v2/slas/policies/{policy['id']}",
        "/api/v2/slas/policies/definitions",
        "/api/v2/business_hours/schedules",
        "/api/v2/incremental/ticket_metric_events?start_time=0",
    ]
    for path in paths:
        plain = admin_client.get(path)
        path, _, query = path.partition("?")
        slashed = admin_client.get(f"{path}/" + (f"?{query}" if query else ""))
        assert plain.status_code == 200, path
        assert slashed.status_code == 200, path
        assert slashed.json().keys() == plain.json().keys(), path


@pytest.mark.django_db
def test_a_write_with_a_trailing_slash_is_the_same_write(admin_client: APIClient) -> None:
    response = admin_client.post(
        "/api/v2/slas/policies/",
        {"sla_policy": {"title": "All", "filter": {"all": [], "any": []}}},
        format="json",
    )
    assert response.status_code == 201
    assert admin_client.get("/api/v2/slas/policies").json()["count"] == 1
