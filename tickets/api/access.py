"""Who is asking: the account user behind an authenticated API request."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.request import Request

from tickets.models import User


def signed_in(request: Request) -> User:
    """The request's user. The views' permission classes admit only signed-in users, so an
    anonymous one here is refused as Zendesk refuses it, never mistaken for an end user."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
