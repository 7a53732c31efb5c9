"""API sign-in the Zendesk way: HTTP Basic `{email}/token:{api_token}` or `{email}:{password}`,
and OAuth access tokens as `Authorization: Bearer {token}`."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from tickets import ratelimit
from tickets.models import ApiToken, User
from tickets.models.accounts import OAUTH_SCOPE_RESOURCES, OAuthToken

# last_used_at is informative; writing it on every request would make reads write.
LAST_USED_RESOLUTION = timedelta(minutes=5)

REALM = "slaweb"

# What Zendesk answers for a bearer token it does not take (RFC 6750's error code).
INVALID_TOKEN_BODY = {
    "error": "invalid_token",
    "error_description": (
        "The access token provided is expired, revoked, malformed or invalid for other reasons."
    ),
}


class ZendeskBasicAuthentication(authentication.BaseAuthentication):
    """Each request signs in, with an API token, a password or an OAuth token (Bearer, handed
    to `ZendeskBearerAuthentication`).

    Only passwords lock: failed password sign-ins count per account and client address (see
    `tickets.ratelimit`), and past the limit the answer is a 429 until the window ends, without
    trying the password. Tokens are too long to guess, so a wrong one is a plain 401 every
    time and counts nothing; a valid one still works while the account's password is locked,
    so nobody can lock an integration out by guessing at its account."""

    www_authenticate_realm = REALM

    def authenticate(self, request: Request) -> tuple[User, ApiToken | OAuthToken | None] | None:
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == b"bearer":
            return ZendeskBearerAuthentication().authenticate(request)
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            decoded = base64.b64decode(header[1], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed() from None
        username, sep, secret = decoded.partition(":")
        if not sep or not username or not secret or "\x00" in decoded:
            raise exceptions.AuthenticationFailed()
        http_request = request._request
        if username.endswith("/token"):
            email = username.removesuffix("/token").strip().lower()
            found = self._by_token(email, secret)
            if found is None:
                raise exceptions.AuthenticationFailed()
            _count(http_request, found.user)
            return (found.user, found)
        email = username.strip().lower()
        wait = ratelimit.sign_in_wait(http_request, email)
        if wait:
            raise exceptions.Throttled(wait=wait)
        user = authenticate(http_request, username=email, password=secret)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed()
        ratelimit.sign_in_succeeded(http_request, email)
        _count(http_request, user)
        return (user, None)

    def _by_token(self, email: str, token: str) -> ApiToken | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash(token), user__email=email)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        _record_use(found)
        return found

    def authenticate_header(self, request: Request) -> str:
        if getattr(request._request, "slaweb_oauth_error", None) is not None:
            return ZendeskBearerAuthentication().authenticate_header(request)
        return f'Basic realm="{self.www_authenticate_realm}"'


class ZendeskBearerAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer {token}` with a token from the OAuth Tokens API.

    A token that is unknown, revoked, malformed or whose user is inactive answers 401 with
    Zendesk's OAuth error body (`slaweb_oauth_error` on the request, which
    `tickets.ratelimit.RateLimitMiddleware` writes into the answer) and a `WWW-Authenticate:
    Bearer` challenge. A good one counts against its user's rate limit like any sign-in; one
    whose scopes do not cover the request (a write with a `read` token, another resource's
    scope) answers 403 Forbidden."""

    www_authenticate_realm = REALM

    def authenticate(self, request: Request) -> tuple[User, OAuthToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        http_request = request._request
        found = self._by_token(header[1]) if len(header) == 2 else None
        if found is None:
            http_request.slaweb_oauth_error = INVALID_TOKEN_BODY  # type: ignore[attr-defined]
            raise exceptions.AuthenticationFailed()
        _count(http_request, found.user)
        write = http_request.method not in SAFE_METHODS
        if not found.allows(write=write, resource=scope_resource(http_request.path_info)):
            raise exceptions.PermissionDenied()
        return (found.user, found)

    def _by_token(self, raw: bytes) -> OAuthToken | None:
        try:
            token = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
        found = (
            OAuthToken.objects.select_related("user")
            .filter(token_hash=OAuthToken.hash(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        _record_use(found)
        return found

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}", error="invalid_token"'


def scope_resource(path: str) -> str | None:
    """The OAuth scope resource a request path belongs to, or None when no scope names it
    (only the unprefixed `read` and `write` reach those paths).

    It is the path's first part under /api/v2 (after `imports/` or `incremental/`), when
    Zendesk's scopes name it, and `tickets` for `ticket_*` parts such as
    ticket_metric_events."""
    parts = [part for part in path.removeprefix("/api/v2/").split("/") if part]
    if parts and parts[0] in ("imports", "incremental"):
        parts = parts[1:]
    if not parts:
        return None
    name = parts[0].removesuffix(".json")
    if name in OAUTH_SCOPE_RESOURCES:
        return name
    return "tickets" if name.startswith("ticket_") else None


def _record_use(token: ApiToken | OAuthToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        rows = type(token).objects.filter(pk=token.pk)
        rows.update(last_used_at=now)
        token.last_used_at = now


def _count(request: HttpRequest, user: User) -> None:
    """Count the request against its user's rate limit; past it, a 429."""
    rate = ratelimit.count_api_request(request, user.pk)
    if rate is not None and rate.exceeded:
        raise exceptions.Throttled(wait=rate.reset)


class ZendeskSessionAuthentication(authentication.SessionAuthentication):
    """Browser pages call the API with their session cookie and the CSRF header; their
    requests count against the same per-user limit as API clients'."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        _count(request._request, result[0])
        return result
