"""Who may call what: admins manage, agents work tickets and read, end users see their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from tickets.models import User


def _user(request: Request) -> User | None:
    user = request.user
    return user if user is not None and user.is_authenticated else None


class IsAuthenticatedUser(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return _user(request) is not None


class IsAgent(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        return user is not None and user.is_agent


class IsAdmin(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        return user is not None and user.is_admin


class AgentReadsAdminWrites(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        if user is None:
            return False
        return user.is_agent if request.method in SAFE_METHODS else user.is_admin
