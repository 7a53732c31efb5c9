"""API sign-in the Zendesk way: HTTP Basic `{email}/token:{api_token}` or `{email}:{password}`."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tickets import ratelimit
from tickets.models import ApiToken, User

# last_used_at is informative; writing it on every request would make reads write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ZendeskBasicAuthentication(authentication.BaseAuthentication):
    """Each request signs in. Failures count per account and client address (see
    `slaweb.ratelimit`): past the limit the answer is a 429 until the window ends, and a
    password is not even tried. A valid API token still works then, so nobody can lock an
    integration out by guessing at its account."""

    www_authenticate_realm = "slaweb"

    def authenticate(self, request: Request) -> tuple[User, ApiToken | None] | None:
        header = authentication.get_authorization_header(request).split()
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
                self._refuse_if_locked(http_request, email)
                user_login_failed.send(
                    sender=__name__, credentials={"username": email}, request=http_request
                )
                raise exceptions.AuthenticationFailed()
            return self._counted(http_request, found.user, found)
        email = username.strip().lower()
        self._refuse_if_locked(http_request, email)
        user = authenticate(http_request, username=email, password=secret)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed()
        ratelimit.sign_in_succeeded(http_request, email)
        return self._counted(http_request, user, None)

    def _by_token(self, email: str, token: str) -> ApiToken | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash(token), user__email=email)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found

    @staticmethod
    def _refuse_if_locked(request: HttpRequest, email: str) -> None:
        wait = ratelimit.sign_in_wait(request, email)
        if wait:
            raise exceptions.Throttled(wait=wait)

    @staticmethod
    def _counted(
        request: HttpRequest, user: User, token: ApiToken | None
    ) -> tuple[User, ApiToken | None]:
        rate = ratelimit.count_api_request(request, user.pk)
        if rate is not None and rate.exceeded:
            raise exceptions.Throttled(wait=rate.reset)
        return (user, token)

    def authenticate_header(self, request: Request) -> str:
        return f'Basic realm="{self.www_authenticate_realm}"'


class ZendeskSessionAuthentication(authentication.SessionAuthentication):
    """Browser pages call the API with their session cookie and the CSRF header; their
    requests count against the same per-user limit as API clients'."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        rate = ratelimit.count_api_request(request._request, result[0].pk)
        if rate is not None and rate.exceeded:
            raise exceptions.Throttled(wait=rate.reset)
        return result
