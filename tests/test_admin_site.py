"""The admin site as support people meet it: sections of work with human names, agents kept to
their own tokens and away from the internals, and a 403 page that keeps the navigation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from slaweb.views import permission_denied
from tickets import services
from tickets.models import ApiToken, User

BANNED = ["Sla ", "Api ", "Tasks Database Backend", "Select sla ", "Tickets and account"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section_names(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/section/[\w-]+/" class="section"[^>]*>([^<]+)</a>', html)


def test_home_groups_pages_into_sections_of_support_work(admin_user: User) -> None:
    html = signed_in(admin_user).get("/admin/").content.decode()
    assert section_names(html) == [
        "Work",
        "Service levels",
        "Alerts",
        "Reports",
        "People",
        "Settings",
        "System",
    ]
    for name in ["Agent home", "SLA policies", "Business hours", "Delivery log", "API tokens"]:
        assert f">{name}</a>" in html
    assert '<a href="/admin/reports/">SLA reports</a>' in html
    assert ">Background tasks</a>" in html
    assert '<a href="/admin/reports/history-rewrite/">Rewrite SLA history</a>' in html
    # Every registered page is in a named section: none fell through to "More".
    assert "More" not in section_names(html)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/tickets/slanotification/",
        "/admin/tickets/slarecompute/",
        "/admin/tickets/apitoken/",
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/policies/policy/",
        "/admin/tickets/",
    ],
)
def test_pages_speak_support_not_django(admin_user: User, url: str) -> None:
    response = signed_in(admin_user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for banned in BANNED:
        assert banned not in html, (url, banned)


def test_the_policy_list_breadcrumb_names_the_section_once(admin_user: User) -> None:
    html = signed_in(admin_user).get("/admin/policies/policy/").content.decode()
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S)
    assert crumbs is not None
    text = re.sub(r"<[^>]+>|\s+", " ", crumbs.group(1))
    assert "SLA policies › SLA policies" not in text.replace("&rsaquo;", "›")
    assert "Service levels" in text


def test_a_section_page_lists_its_pages(admin_user: User) -> None:
    response = signed_in(admin_user).get("/admin/section/alerts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ">Notification rules</a>" in html
    assert ">Delivery log</a>" in html
    assert ">Agent home</a>" not in html.split('id="content"')[1]
    assert signed_in(admin_user).get("/admin/section/nothing/").status_code == 404


def test_agents_see_only_their_own_tokens(admin_user: User, agent_user: User) -> None:
    services.api_token_create(user=agent_user, description="mine")
    services.api_token_create(user=admin_user, description="the admin's")
    theirs = ApiToken.objects.get(user=admin_user)
    mine = ApiToken.objects.get(user=agent_user)
    agent = signed_in(agent_user)

    listing = agent.get("/admin/tickets/apitoken/").content.decode()
    assert "mine" in listing
    assert "the admin&#x27;s" not in listing
    assert "the admin's" not in listing
    assert theirs.prefix not in listing

    assert agent.get(f"/admin/tickets/apitoken/{mine.pk}/change/").status_code == 200
    assert agent.get(f"/admin/tickets/apitoken/{theirs.pk}/change/").status_code == 403
    assert agent.get(f"/admin/tickets/apitoken/{theirs.pk}/delete/").status_code == 403
    assert agent.get(f"/admin/tickets/apitoken/{theirs.pk}/history/").status_code == 403

    # Admins manage everyone's.
    everyone = signed_in(admin_user).get("/admin/tickets/apitoken/").content.decode()
    assert mine.prefix in everyone
    assert theirs.prefix in everyone


@pytest.mark.parametrize(
    "url",
    [
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/tickets/slarecompute/",
        "/admin/tickets/ticketmetricevent/",
    ],
)
def test_internals_are_for_admins_only(admin_user: User, agent_user: User, url: str) -> None:
    assert signed_in(admin_user).get(url).status_code == 200
    assert signed_in(agent_user).get(url).status_code == 403


def test_agents_home_leaves_out_the_internals(agent_user: User) -> None:
    html = signed_in(agent_user).get("/admin/").content.decode()
    assert "System" not in section_names(html)
    hidden_pages = [
        "Background tasks",
        "SLA recomputes",
        "SLA metric events",
        "Backtest",
        "Rewrite",
    ]
    for hidden in hidden_pages:
        assert hidden not in html
    assert ">Agent home</a>" in html
    assert ">API tokens</a>" in html
    assert signed_in(agent_user).get("/admin/django_tasks_database/").status_code == 404


def test_forbidden_page_keeps_the_navigation_and_a_way_back(agent_user: User) -> None:
    response = signed_in(agent_user).get(
        "/admin/django_tasks_database/dbtaskresult/",
        HTTP_REFERER="http://testserver/admin/tickets/ticket/",
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert '<nav class="sticky" id="nav-sidebar"' in html  # the admin's sidebar
    assert 'id="site-name"' in html  # the header
    assert '<a href="/admin/tickets/ticket/" class="button" data-back>' in html
    assert '<a href="/admin/" class="button" data-home>' in html
    assert ">Agent home</a>" in html
    assert "403 Forbidden" not in html


def test_forbidden_page_never_links_back_to_another_site(agent_user: User) -> None:
    response = signed_in(agent_user).get(
        "/admin/tickets/slarecompute/", HTTP_REFERER="https://evil.example.net/admin/"
    )
    assert response.status_code == 403
    assert "evil.example.net" not in response.content.decode()
    assert "data-back" not in response.content.decode()


def test_an_agent_adding_a_policy_gets_the_friendly_page(agent_user: User) -> None:
    response = signed_in(agent_user).get("/admin/policies/policy/add/")
    assert response.status_code == 403
    assert 'id="nav-sidebar"' in response.content.decode()


def test_outside_the_admin_a_403_stays_plain(agent_user: User) -> None:
    # The API answers in JSON as before; the friendly page is for the admin site only.
    response = signed_in(agent_user).post(
        "/api/v2/slas/policies.json", {}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")


def test_the_backtest_sends_an_agent_to_the_friendly_page(agent_user: User) -> None:
    response = signed_in(agent_user).get("/admin/reports/backtest/")
    assert response.status_code == 403
    assert 'id="nav-sidebar"' in response.content.decode()


def test_a_403_outside_the_admin_frame_is_the_plain_page(db: None) -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert b"<h1>403 Forbidden</h1>" in response.content
    assert b"nav-sidebar" not in response.content
