"""API sign-in the Zendesk way: HTTP Basic `{email}/token:{api_token}` or `{email}:{password}`."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tickets.models import ApiToken, User

# last_used_at is informative; writing it on every request would make reads write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ZendeskBasicAuthentication(authentication.BaseAuthentication):
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
        if not sep or not username or not secret:
            raise exceptions.AuthenticationFailed()
        if username.endswith("/token"):
            return self._by_token(username.removesuffix("/token"), secret)
        user = authenticate(request._request, username=username.strip().lower(), password=secret)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed()
        return (user, None)

    def _by_token(self, email: str, token: str) -> tuple[User, ApiToken]:
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash(token), user__email=email.strip().lower())
            .first()
        )
        if found is None or not found.user.is_active:
            raise exceptions.AuthenticationFailed()
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return (found.user, found)

    def authenticate_header(self, request: Request) -> str:
        return f'Basic realm="{self.www_authenticate_realm}"'


class ZendeskSessionAuthentication(authentication.SessionAuthentication):
    """Browser pages call the API with their session cookie and the CSRF header."""
