"""The admin pages read and write policies through the same services and validation as the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from policies.models import Policy
from tests.factories import TicketFactory, UserFactory, make_policy, metric

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def signed_in(role: str) -> Client:
    user = UserFactory(role=role, email=f"{role}-admin-page@example.com")
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def form_data(**overrides: object) -> dict[str, object]:
    data = {
        "title": "From the admin",
        "description": "",
        "position": "",
        "filter": json.dumps({"all": [{"field": "type", "operator": "is", "value": "incident"}]}),
        "policy_metrics": json.dumps(
            [{"priority": "urgent", "metric": "first_reply_time", "target": 10}]
        ),
        "metric_settings": "{}",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_policy_through_the_service() -> None:
    make_policy("existing")
    client = signed_in("admin")
    response = client.post("/admin/policies/policy/add/", form_data(position="1"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Policy.objects.order_by("position").values_list("title", "position")) == [
        ("From the admin", 1),
        ("existing", 2),
    ]
    created = Policy.objects.get(title="From the admin")
    assert created.metrics.get().target_seconds == 600


def test_admin_form_shows_the_api_validation_errors_and_writes_nothing() -> None:
    client = signed_in("admin")
    bad = form_data(filter=json.dumps({"all": [{"field": "nope", "operator": "is", "value": 1}]}))
    response = client.post("/admin/policies/policy/add/", bad)
    assert response.status_code == 200
    assert "&#x27;nope&#x27; is not a valid field" in response.content.decode()
    assert not Policy.objects.exists()


def test_admin_edit_and_delete_keep_positions_whole() -> None:
    a, b, c = make_policy("a"), make_policy("b"), make_policy("c")
    client = signed_in("admin")
    page = client.get(f"/admin/policies/policy/{c.pk}/change/")
    assert page.status_code == 200
    assert "incident" in page.content.decode()
    response = client.post(
        f"/admin/policies/policy/{c.pk}/change/", form_data(title="c", position="1")
    )
    assert response.status_code == 302
    response = client.post(f"/admin/policies/policy/{a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Policy.objects.order_by("position").values_list("title", "position")) == [
        ("c", 1),
        ("b", 2),
    ]
    assert b.pk


def test_clone_action_adds_a_copy_at_the_bottom() -> None:
    a = make_policy("a")
    make_policy("b")
    client = signed_in("admin")
    response = client.post(
        "/admin/policies/policy/",
        {"action": "clone_policies", "_selected_action": [a.pk]},
    )
    assert response.status_code == 302
    copy = Policy.objects.get(title="a (copy)")
    assert copy.position == 3
    assert copy.conditions.count() == 1


def test_agents_read_but_cannot_change_policies() -> None:
    policy = make_policy("read me")
    client = signed_in("agent")
    assert client.get("/admin/policies/policy/").status_code == 200
    assert client.get(f"/admin/policies/policy/{policy.pk}/change/").status_code == 200
    assert client.get("/admin/policies/policy/add/").status_code == 403
    response = client.post(f"/admin/policies/policy/{policy.pk}/change/", form_data())
    assert response.status_code == 403
    assert Policy.objects.get().title == "read me"


def test_end_users_cannot_enter_the_admin() -> None:
    user = UserFactory(role="end-user", email="cust-admin@example.com")
    client = Client()
    client.login(username=user.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "page",
    [
        "/admin/",
        "/admin/tickets/user/",
        "/admin/tickets/user/add/",
        "/admin/tickets/apitoken/add/",
        "/admin/tickets/group/add/",
        "/admin/tickets/organization/",
        "/admin/tickets/brand/",
        "/admin/tickets/ticketform/",
        "/admin/tickets/ticketfield/add/",
        "/admin/tickets/customfield/",
        "/admin/tickets/customstatus/",
        "/admin/tickets/supportaddress/",
        "/admin/policies/policy/",
        "/admin/policies/policy/add/",
        "/admin/tickets/ticket/",
        "/admin/tickets/slarecompute/",
        "/admin/tickets/ticketmetricevent/",
    ],
)
def test_admin_pages_render(page: str) -> None:
    assert signed_in("admin").get(page).status_code == 200


def test_creating_an_api_token_in_the_admin_shows_it_once() -> None:
    client = signed_in("admin")
    owner = UserFactory(role="agent", email="tokens@example.com")
    response = client.post(
        "/admin/tickets/apitoken/add/", {"user": owner.pk, "description": "ci"}, follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("copy it now" in m for m in messages)
    assert owner.api_tokens.count() == 1


def test_root_redirects_to_the_admin() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_pages_carry_slaweb_branding_and_styles() -> None:
    html = signed_in("admin").get("/admin/").content.decode()
    assert "slaweb" in html
    assert "css/slaweb.css" in html


def test_ticket_admin_shows_sla_targets_and_audits() -> None:
    from datetime import UTC, datetime

    make_policy("all", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=60)])
    customer = UserFactory(role="end-user", email="ticket-admin@example.com")
    ticket = TicketFactory(
        requester=customer, subject="Slow", now=datetime(2024, 3, 4, 9, tzinfo=UTC)
    )
    page = signed_in("admin").get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "first_reply_time" in html
    assert signed_in("agent").get("/admin/tickets/ticket/add/").status_code == 403
