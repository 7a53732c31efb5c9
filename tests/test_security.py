"""Rate limits, sign-in lock-outs and CSRF: the protections a public slaweb relies on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
import time_machine
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import basic, token_client
from tests.factories import UserFactory, make_policy
from tickets import services
from tickets.models import RateLimitCounter, Ticket, User

pytestmark = pytest.mark.django_db

ME = "/api/v2/users/me.json"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def limits(settings: Any) -> Any:
    """Small limits, so a handful of requests reaches them."""
    settings.SLAWEB_RATE_LIMIT_PER_MINUTE = 3
    settings.SLAWEB_SIGN_IN_MAX_FAILURES = 3
    settings.SLAWEB_SIGN_IN_MAX_FAILURES_PER_IP = 5
    settings.SLAWEB_SIGN_IN_WINDOW_SECONDS = 600
    return settings


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def api(header: str, ip: str = "10.0.0.1", **extra: str) -> Any:
    return APIClient().get(ME, HTTP_AUTHORIZATION=header, REMOTE_ADDR=ip, **extra)


def assert_too_many(response: Any, *, at_most: int) -> None:
    assert response.status_code == 429
    assert response.json() == {
        "error": "TooManyRequests",
        "description": f"Rate limited. Retry in {response['Retry-After']} s.",
    }
    assert 1 <= int(response["Retry-After"]) <= at_most


# API rate limit -------------------------------------------------------------------------------


def test_api_answers_carry_zendesk_rate_limit_headers_and_429_past_the_limit(
    limits: Any, admin_client: APIClient, clock: time_machine.Coordinates
) -> None:
    remaining = []
    for _ in range(3):
        response = admin_client.get("/api/v2/slas/policies.json")
        assert response.status_code == 200
        assert response["X-Rate-Limit"] == "3"
        assert response["ratelimit-limit"] == "3"
        assert response["ratelimit-reset"] == "60"
        remaining.append(response["X-Rate-Limit-Remaining"])
    assert remaining == ["2", "1", "0"]

    refused = admin_client.get("/api/v2/slas/policies.json")
    assert_too_many(refused, at_most=60)
    assert refused["X-Rate-Limit-Remaining"] == "0"
    clock.shift(timedelta(seconds=30))
    assert admin_client.get(ME)["Retry-After"] == "30"

    clock.shift(timedelta(seconds=31))
    again = admin_client.get("/api/v2/slas/policies.json")
    assert again.status_code == 200
    assert again["X-Rate-Limit-Remaining"] == "2"


def test_the_limit_is_per_user_and_counts_refused_writes_too(
    limits: Any, admin_client: APIClient, agent_client: APIClient
) -> None:
    for _ in range(3):
        assert agent_client.post("/api/v2/slas/policies.json", {}, format="json").status_code == 403
    assert agent_client.get(ME).status_code == 429
    assert admin_client.get(ME).status_code == 200


def test_browser_sessions_count_against_the_same_limit(limits: Any, admin_user: User) -> None:
    client = APIClient()
    client.force_login(admin_user)
    assert [client.get(ME)["X-Rate-Limit-Remaining"] for _ in range(3)] == ["2", "1", "0"]
    assert client.get(ME).status_code == 429


def test_no_limit_and_no_headers_when_turned_off(settings: Any, admin_client: APIClient) -> None:
    settings.SLAWEB_RATE_LIMIT_PER_MINUTE = 0
    response = admin_client.get(ME)
    assert response.status_code == 200
    assert "X-Rate-Limit" not in response
    assert not RateLimitCounter.objects.exists()


def test_default_limit_is_zendesk_enterprise_plan(admin_client: APIClient) -> None:
    assert admin_client.get(ME)["X-Rate-Limit"] == "700"


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_are_counted_exactly(live_server: Any, settings: Any) -> None:
    settings.SLAWEB_RATE_LIMIT_PER_MINUTE = 10
    user = UserFactory(role="agent", email="busy@example.com")
    header = basic("busy@example.com/token", services.api_token_create(user=user))
    url = f"http://127.0.0.1:{live_server.thread.port}{ME}"

    def call(_: int) -> tuple[int, str]:
        response = requests.get(url, headers={"Authorization": header}, timeout=30)
        return response.status_code, response.headers.get("X-Rate-Limit-Remaining", "")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(24)))
    assert sorted(status for status, _ in results) == [200] * 10 + [429] * 14
    # Each admitted request saw its own count: no two read the same one.
    assert sorted(int(left) for status, left in results if status == 200) == list(range(10))
    assert RateLimitCounter.objects.get(key=f"api:{user.pk}").hits == 24


# Sign-in lock-out: API ------------------------------------------------------------------------


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(role="agent", email="member@example.com", password=PASSWORD)


def test_api_passwords_lock_after_repeated_failures_until_the_window_ends(
    limits: Any, member: User, clock: time_machine.Coordinates
) -> None:
    for _ in range(3):
        assert api(basic("member@example.com", "wrong")).status_code == 401
    # Locked: even the right password is not tried.
    assert_too_many(api(basic("member@example.com", PASSWORD)), at_most=600)
    assert_too_many(api(basic("MEMBER@example.com ", PASSWORD), ip="10.9.9.9"), at_most=600)
    clock.shift(timedelta(seconds=599))
    assert api(basic("member@example.com", PASSWORD)).status_code == 429
    clock.shift(timedelta(seconds=2))
    assert api(basic("member@example.com", PASSWORD)).status_code == 200


def test_a_successful_sign_in_clears_the_accounts_failures(limits: Any, member: User) -> None:
    for _ in range(2):
        assert api(basic("member@example.com", "wrong")).status_code == 401
    assert api(basic("member@example.com", PASSWORD)).status_code == 200
    for _ in range(2):
        assert api(basic("member@example.com", "wrong"), ip="10.0.0.2").status_code == 401
    assert api(basic("member@example.com", PASSWORD), ip="10.0.0.3").status_code == 200


def test_wrong_tokens_never_lock(limits: Any, member: User) -> None:
    """API tokens cannot be guessed, so a wrong one is a plain 401 every time: an integration
    with a stale token reports bad credentials instead of sleeping on a Retry-After."""
    token = services.api_token_create(user=member)
    for _ in range(10):
        assert api(basic("member@example.com/token", "guess")).status_code == 401
    assert not RateLimitCounter.objects.filter(key__startswith="signin-").exists()
    assert api(basic("member@example.com", PASSWORD)).status_code == 200
    assert api(basic("member@example.com/token", token)).status_code == 200


def test_a_valid_token_works_while_the_password_is_locked(limits: Any, member: User) -> None:
    token = services.api_token_create(user=member)
    for _ in range(3):
        assert api(basic("member@example.com", "wrong")).status_code == 401
    assert api(basic("member@example.com", PASSWORD)).status_code == 429
    assert api(basic("member@example.com/token", token)).status_code == 200
    assert api(basic("member@example.com/token", "guess")).status_code == 401


def test_one_address_failing_on_many_accounts_is_locked(limits: Any, member: User) -> None:
    for index in range(5):
        assert api(basic(f"nobody{index}@example.com", "wrong")).status_code == 401
    assert api(basic("member@example.com", PASSWORD)).status_code == 429
    assert api(basic("member@example.com", PASSWORD), ip="10.0.0.99").status_code == 200


def test_forwarded_addresses_count_only_behind_configured_proxies(
    limits: Any, member: User
) -> None:
    for index in range(5):
        forwarded = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{index}"}
        assert api(basic(f"nobody{index}@example.com", "x"), **forwarded).status_code == 401
    # Without trusted proxies the header is the client's own word: all came from 10.0.0.1.
    assert api(basic("member@example.com", PASSWORD)).status_code == 429

    limits.SLAWEB_NUM_PROXIES = 1
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 198.51.100.1"}
    for index in range(5):
        response = api(basic(f"other{index}@example.com", "x"), ip="10.1.1.1", **spoofed)
        assert response.status_code == 401
    assert api(basic("member@example.com", PASSWORD), ip="10.1.1.2", **spoofed).status_code == 429
    elsewhere = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 198.51.100.2"}
    assert api(basic("member@example.com", PASSWORD), ip="10.1.1.2", **elsewhere).status_code == 200


@pytest.mark.parametrize(
    "username", ["x" * 5000 + "@example.com", "tab\tand\u2028line@example.com", "émile@example.com"]
)
def test_odd_usernames_are_counted_without_errors(limits: Any, username: str) -> None:
    assert api(basic(username + "/token", "wrong"), ip="10.0.0.4").status_code == 401
    assert api(basic(username, "wrong"), ip="10.0.0.5").status_code == 401
    assert api(basic(username.upper(), "wrong"), ip="10.0.0.6").status_code == 401
    assert api(basic(username, "wrong"), ip="10.0.0.8").status_code == 401
    assert api(basic(username, "wrong"), ip="10.0.0.7").status_code == 429
    assert all(len(key) <= 255 for key in RateLimitCounter.objects.values_list("key", flat=True))


def test_a_nul_in_the_credentials_is_refused_before_the_database(limits: Any) -> None:
    assert api(basic("nul\x00@example.com/token", "x")).status_code == 401
    assert api(basic("nul@example.com", "x\x00")).status_code == 401


def test_expired_failures_are_cleared_when_new_ones_come(
    limits: Any, clock: time_machine.Coordinates
) -> None:
    api(basic("old@example.com", "wrong"), ip="10.2.0.1")
    clock.shift(timedelta(seconds=1300))
    api(basic("new@example.com", "wrong"), ip="10.2.0.2")
    assert sorted(RateLimitCounter.objects.values_list("key", flat=True)) == [
        "signin-account:new@example.com",
        "signin-ip:10.2.0.2",
    ]


# Sign-in lock-out: the admin sign-in form ----------------------------------------------------


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.3.0.1",
    )


def test_the_sign_in_form_locks_with_a_clear_message(
    limits: Any, clock: time_machine.Coordinates
) -> None:
    UserFactory(role="admin", email="boss@example.com", password=PASSWORD)
    client = Client()
    for _ in range(3):
        response = sign_in(client, "boss@example.com", "wrong")
        assert response.status_code == 200
        assert "Please enter the correct" in response.text
    locked = sign_in(client, "boss@example.com", PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == "600"
    assert "Too many failed sign-ins" in locked.text
    assert "Try again in 10 minutes." in locked.text
    assert "Please enter the correct" not in locked.text
    assert 'name="password"' in locked.text  # the form is still there
    assert "_auth_user_id" not in client.session

    clock.shift(timedelta(seconds=541))
    assert "Try again in 1 minute." in sign_in(client, "boss@example.com", PASSWORD).text
    clock.shift(timedelta(seconds=60))
    signed_in = sign_in(client, "boss@example.com", PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/admin/"


def test_signing_in_on_the_form_clears_the_failures(limits: Any) -> None:
    UserFactory(role="admin", email="boss@example.com", password=PASSWORD)
    for _ in range(2):
        sign_in(Client(), "boss@example.com", "wrong")
    assert sign_in(Client(), "Boss@Example.com", PASSWORD).status_code == 302
    assert not RateLimitCounter.objects.filter(key__startswith="signin-account:").exists()


def test_form_and_api_failures_add_up(limits: Any, member: User) -> None:
    sign_in(Client(), "member@example.com", "wrong")
    api(basic("member@example.com", "wrong"))
    api(basic("member@example.com/token", "wrong"))  # a wrong token does not count
    sign_in(Client(), "member@example.com", "wrong")
    assert sign_in(Client(), "member@example.com", PASSWORD).status_code == 429


# CSRF -----------------------------------------------------------------------------------------


def admin_urls() -> list[str]:
    """Every admin URL, with made-up values for its parameters."""
    urls: list[str] = []

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names = list(pattern.pattern.regex.groupindex)
                for value in ("1", "tickets"):
                    try:
                        urls.append(
                            reverse(f"admin:{pattern.name}", kwargs=dict.fromkeys(names, value))
                        )
                        break
                    except NoReverseMatch:
                        continue

    walk(admin.site.get_urls())
    return sorted(set(urls))


def test_every_admin_form_refuses_a_post_without_a_csrf_token(admin_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    urls = admin_urls()
    assert len(urls) > 40
    assert "/admin/login/" in urls
    assert "/admin/tickets/ticket/add/" in urls
    for url in urls:
        response = client.post(url, {"title": "x", "post": "yes"})
        assert response.status_code == 403, url
        assert "CSRF verification failed" in response.text, url


def test_the_sign_in_form_accepts_its_own_csrf_token() -> None:
    UserFactory(role="admin", email="boss@example.com", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    without = sign_in(client, "boss@example.com", PASSWORD)
    assert without.status_code == 403
    response = client.post(
        "/admin/login/",
        {"username": "boss@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
    )
    assert response.status_code == 302


WRITES = [
    ("post", "/api/v2/slas/policies.json", {"sla_policy": {"title": "t", "filter": {"all": []}}}),
    ("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": []}),
    ("post", "/api/v2/tickets.json", {"ticket": {"subject": "s", "comment": {"body": "b"}}}),
    ("post", "/api/v2/users.json", {"user": {"name": "N", "email": "n@example.com"}}),
    (
        "post",
        "/api/v2/business_hours/schedules.json",
        {"schedule": {"name": "S", "time_zone": "UTC"}},
    ),
    ("delete", "/api/v2/slas/policies/{policy}.json", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_session_api_writes_need_the_csrf_header(
    admin_user: User, method: str, path: str, body: Any
) -> None:
    policy = make_policy("p")
    url = path.format(policy=policy.pk)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get("/admin/")  # sets the CSRF cookie, as the pages do
    before = (Ticket.objects.count(), User.objects.count())

    refused = getattr(client, method)(url, body, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["title"] == "Forbidden"
    assert (Ticket.objects.count(), User.objects.count()) == before

    token = client.cookies["csrftoken"].value
    accepted = getattr(client, method)(url, body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code in (200, 201, 204), accepted.content


def test_token_clients_need_no_csrf_token(admin_user: User) -> None:
    client = token_client(admin_user)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        "/api/v2/users.json", {"user": {"name": "N", "email": "n@example.com"}}, format="json"
    )
    assert response.status_code == 201
