"""Rate limits shared by every web process: API requests per user and minute (Zendesk's
`X-Rate-Limit` headers and 429s), and failed password sign-ins per account and per client
address (wrong API and OAuth tokens are not counted: only passwords lock).

Counts live in the database, one `tickets.RateLimitCounter` row per key, and are bumped with a
single `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: atomic on PostgreSQL and SQLite, so
parallel requests in any number of gunicorn workers count exactly. A count runs for a fixed
window from its first hit and then starts again.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from tickets.models import RateLimitCounter

API_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Count:
    hits: int
    expires_at: float

    def retry_after(self, now: float) -> int:
        """Whole seconds until the count starts again (at least 1, as Retry-After needs)."""
        return max(1, math.ceil(self.expires_at - now))


@dataclass(frozen=True)
class ApiRate:
    limit: int
    remaining: int
    reset: int
    exceeded: bool


def _key(kind: str, value: str) -> str:
    # Keys come from request data: long or odd ones are hashed, so any input fits the column.
    if len(value) > 200 or not value.isprintable():
        value = "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return f"{kind}:{value}"


def hit(key: str, window: int, now: float | None = None) -> Count:
    """Count one more hit under `key`; a count past its expiry starts again at 1."""
    now = time.time() if now is None else now
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    key_col, hits_col, expires_col = (
        connection.ops.quote_name(name) for name in ("key", "hits", "expires_at")
    )
    sql = (
        f"INSERT INTO {table} ({key_col}, {hits_col}, {expires_col}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{hits_col} = CASE WHEN {table}.{expires_col} <= %s THEN 1 "
        f"ELSE {table}.{hits_col} + 1 END, "
        f"{expires_col} = CASE WHEN {table}.{expires_col} <= %s THEN excluded.{expires_col} "
        f"ELSE {table}.{expires_col} END "
        f"RETURNING {hits_col}, {expires_col}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, now + window, now, now])
        hits, expires_at = cursor.fetchone()
    return Count(hits=int(hits), expires_at=float(expires_at))


def current(keys: Iterable[str], now: float) -> dict[str, Count]:
    rows = RateLimitCounter.objects.filter(key__in=list(keys), expires_at__gt=now)
    return {row.key: Count(hits=row.hits, expires_at=row.expires_at) for row in rows}


# API requests --------------------------------------------------------------------------------


def count_api_request(request: HttpRequest, user_id: int) -> ApiRate | None:
    """Count an authenticated API request against its user's limit per minute. The answer is
    kept on the request for the response headers; None when no limit is set."""
    limit = settings.SLAWEB_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return None
    now = time.time()
    count = hit(f"api:{user_id}", API_WINDOW_SECONDS, now)
    rate = ApiRate(
        limit=limit,
        remaining=max(0, limit - count.hits),
        reset=count.retry_after(now),
        exceeded=count.hits > limit,
    )
    request.slaweb_api_rate = rate  # type: ignore[attr-defined]
    return rate


# Sign-ins ------------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or with SLAWEB_NUM_PROXIES trusted proxies in front,
    the address the outermost of them saw in X-Forwarded-For."""
    proxies = settings.SLAWEB_NUM_PROXIES
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return str(request.META.get("REMOTE_ADDR", ""))


def _account_key(email: str) -> str:
    return _key("signin-account", email.strip().lower())


def _sign_in_keys(request: HttpRequest | None, email: str) -> dict[str, int]:
    """The counters a sign-in attempt touches, with the failures each one allows."""
    keys: dict[str, int] = {}
    if email:
        keys[_account_key(email)] = settings.SLAWEB_SIGN_IN_MAX_FAILURES
    if request is not None and client_ip(request):
        keys[_key("signin-ip", client_ip(request))] = settings.SLAWEB_SIGN_IN_MAX_FAILURES_PER_IP
    return keys


@dataclass(frozen=True)
class SignInCheck:
    """What one request read about the sign-in it attempts."""

    email: str
    wait: int | None
    account_failures: bool


def sign_in_wait(request: HttpRequest, email: str) -> int | None:
    """Seconds the caller must wait before trying to sign in as `email` again, or None.

    The answer is remembered on the request, so several checks in one request read once."""
    checked: SignInCheck | None = getattr(request, "slaweb_sign_in", None)
    if checked is not None and checked.email == email:
        return checked.wait
    now = time.time()
    keys = _sign_in_keys(request, email)
    counts = current(keys, now)
    waits = [
        counts[key].retry_after(now)
        for key, allowed in keys.items()
        if key in counts and counts[key].hits >= allowed
    ]
    checked = SignInCheck(
        email=email,
        wait=max(waits) if waits else None,
        account_failures=bool(email) and _account_key(email) in counts,
    )
    request.slaweb_sign_in = checked  # type: ignore[attr-defined]
    return checked.wait


def sign_in_failed(request: HttpRequest | None, email: str) -> None:
    if request is not None and getattr(request, "slaweb_sign_in_refused", False):
        return  # refused while locked: the lock runs to its end, not longer
    window = settings.SLAWEB_SIGN_IN_WINDOW_SECONDS
    now = time.time()
    for key in _sign_in_keys(request, email):
        hit(key, window, now)
    # Failures are rare and their keys come from strangers: drop long-expired counts here.
    RateLimitCounter.objects.filter(expires_at__lt=now - window).delete()
    if request is not None:
        request.__dict__.pop("slaweb_sign_in", None)  # what it read is stale now


def sign_in_succeeded(request: HttpRequest | None, email: str) -> None:
    """A good sign-in clears its account's failures (those of its address keep running)."""
    checked: SignInCheck | None = getattr(request, "slaweb_sign_in", None)
    if checked is not None and checked.email == email and not checked.account_failures:
        return  # this request already read that there are none
    RateLimitCounter.objects.filter(key=_account_key(email)).delete()


@receiver(user_login_failed, dispatch_uid="tickets.ratelimit.failed")
def _record_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any
) -> None:
    sign_in_failed(request if isinstance(request, HttpRequest) else None, _username(credentials))


@receiver(user_logged_in, dispatch_uid="tickets.ratelimit.succeeded")
def _clear_failures(sender: Any, request: Any, user: Any, **_: Any) -> None:
    sign_in_succeeded(request if isinstance(request, HttpRequest) else None, user.get_username())


def _username(credentials: dict[str, Any]) -> str:
    value = credentials.get("username") or credentials.get("email") or ""
    return value if isinstance(value, str) else ""


class SignInLockBackend:
    """First of the authentication backends: while an account or address is locked, every
    password check through `django.contrib.auth.authenticate` fails without being tried.

    It has no `get_user`, so it is never the backend a session is signed in with."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        if sign_in_wait(request, _username(credentials)):
            request.slaweb_sign_in_refused = True  # type: ignore[attr-defined]
            raise PermissionDenied
        return None


# Middleware ----------------------------------------------------------------------------------


class RateLimitMiddleware:
    """Adds the rate-limit headers to API answers, gives a refused OAuth token's 401 the body
    OAuth clients parse, and turns a locked admin sign-in into a 429 page that says why,
    before the password is checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Left by tickets.authentication for a bearer token it refused: the API's error
        # handler answers every 401 with the Basic body, an OAuth client expects this one.
        oauth_error: dict[str, str] | None = getattr(request, "slaweb_oauth_error", None)
        if oauth_error is not None and response.status_code == 401:
            response.content = json.dumps(oauth_error, separators=(",", ":")).encode()
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        rate: ApiRate | None = getattr(request, "slaweb_api_rate", None)
        if rate is not None:
            response["X-Rate-Limit"] = str(rate.limit)
            response["X-Rate-Limit-Remaining"] = str(rate.remaining)
            response["ratelimit-limit"] = str(rate.limit)
            response["ratelimit-remaining"] = str(rate.remaining)
            response["ratelimit-reset"] = str(rate.reset)
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name != "admin:login":
            return None
        username = request.POST.get("username", "")
        wait = sign_in_wait(request, username)
        if not wait:
            return None
        # The sign-in page again, with an empty form and the reason; the password is not tried.
        page_request = copy.copy(request)
        page_request.method = "GET"
        minutes = math.ceil(wait / 60)
        response = admin.site.login(page_request, extra_context={"sign_in_locked_minutes": minutes})
        response.render()  # type: ignore[attr-defined]
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response
