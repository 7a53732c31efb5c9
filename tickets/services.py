"""Writes to the account: users and their API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tickets.models import ApiToken, User


@transaction.atomic
def user_create(
    *,
    name: str,
    email: str,
    role: str = "end-user",
    password: str | None = None,
    organization_id: int | None = None,
    default_group_id: int | None = None,
    time_zone: str = "UTC",
    user_fields: dict[str, Any] | None = None,
) -> User:
    user = User.objects.create_user(
        email,
        password,
        name=name,
        role=role,
        organization_id=organization_id,
        default_group_id=default_group_id,
        time_zone=time_zone,
        user_fields=user_fields or {},
    )
    if default_group_id is not None and user.is_agent:
        user.agent_groups.add(default_group_id)
    return user


@transaction.atomic
def user_update(*, user_id: int, data: dict[str, Any]) -> User:
    """Partial update; raises User.DoesNotExist."""
    user = User.objects.select_for_update().get(pk=user_id)
    for attribute in (
        "name",
        "role",
        "organization_id",
        "default_group_id",
        "time_zone",
        "user_fields",
        "active",
    ):
        if attribute in data:
            setattr(user, attribute, data[attribute])
    if "email" in data:
        user.email = data["email"].strip().lower()
    if data.get("password"):
        user.set_password(data["password"])
    user.save()
    if user.default_group_id is not None and user.is_agent:
        user.agent_groups.add(user.default_group_id)
    return user


def api_token_create(*, user: User, description: str = "") -> str:
    """Returns the token itself: shown once, only its hash is kept."""
    token = ApiToken.generate()
    ApiToken.objects.create(
        user=user, description=description, token_hash=ApiToken.hash(token), prefix=token[:6]
    )
    return token


def api_token_revoke(*, token_id: int) -> None:
    ApiToken.objects.filter(pk=token_id).delete()
