"""Writes to the account: users, their API tokens, and tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from policies import services as policy_services
from slaweb.db import retry_on_conflict
from tickets.models import (
    OPEN_STATUSES,
    ApiToken,
    ChangeEvent,
    CommentEvent,
    CreateEvent,
    Ticket,
    TicketAudit,
    TicketComment,
    User,
)
from tickets.models.accounts import OAuthToken
from tickets.sla.store import ticket_sla_refresh, ticket_snapshot


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
    active: bool = True,
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
        active=active,
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


# Tickets --------------------------------------------------------------------------------------

TICKET_FIELDS = (
    "subject",
    "description",
    "type",
    "priority",
    "status",
    "custom_status_id",
    "requester_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "brand_id",
    "ticket_form_id",
    "tags",
    "custom_fields",
    "recipient",
)


@dataclass(frozen=True)
class NewComment:
    body: str
    public: bool
    author_id: int
    created_at: datetime | None = None


def _record_audit(
    ticket: Ticket,
    *,
    author_id: int | None,
    at: datetime,
    via_id: int,
    changes: dict[str, tuple[Any, Any]],
    comment: NewComment | None,
    creating: bool,
    revision_id: int | None = None,
) -> TicketAudit:
    saved_comment = None
    if comment is not None:
        saved_comment = TicketComment.objects.create(
            ticket=ticket,
            author_id=comment.author_id,
            body=comment.body,
            public=comment.public,
            via_id=via_id,
            created_at=at,
        )
    has_public = saved_comment is not None and saved_comment.public
    if not has_public:
        has_public = ticket.comments.filter(public=True).exists()
    audit = TicketAudit.objects.create(
        ticket=ticket,
        author_id=author_id,
        created_at=at,
        via_id=via_id,
        revision_id=revision_id or policy_services.policy_revision_current(now=at),
        snapshot=ticket_snapshot(ticket, has_public_comment=has_public),
        comment=saved_comment,
        comment_author_role=(
            User.objects.values_list("role", flat=True).get(pk=comment.author_id) if comment else ""
        ),
    )
    for field, (before, after) in changes.items():
        if creating:
            CreateEvent.objects.create(audit=audit, field_name=field, value=after)
        else:
            ChangeEvent.objects.create(
                audit=audit, field_name=field, value=after, previous_value=before
            )
    if saved_comment is not None:
        CommentEvent.objects.create(audit=audit, comment=saved_comment)
    return audit


def _apply(ticket: Ticket, fields: dict[str, Any], at: datetime) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name in TICKET_FIELDS:
        if name not in fields:
            continue
        before, after = getattr(ticket, name), fields[name]
        if before != after:
            setattr(ticket, name, after)
            changes[name] = (before, after)
    if "status" in changes:
        if ticket.status == "solved" or (ticket.status == "closed" and not ticket.solved_at):
            ticket.solved_at = at
        elif ticket.status in OPEN_STATUSES:
            ticket.solved_at = None
    ticket.updated_at = at
    return changes


@retry_on_conflict
@transaction.atomic
def ticket_create(
    *,
    fields: dict[str, Any],
    submitter_id: int,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> Ticket:
    """A new ticket; the submitter writes the first comment, as in Zendesk."""
    now = now.replace(microsecond=0)  # Zendesk's times, and so the SLA's, are whole seconds
    requester = User.objects.get(pk=fields["requester_id"])
    fields = {**fields}
    fields.setdefault("organization_id", requester.organization_id)
    fields.setdefault("status", "open" if fields.get("assignee_id") else "new")
    if comment is not None and not fields.get("description"):
        fields["description"] = comment.body
    ticket = Ticket(submitter_id=submitter_id, via_id=via_id, created_at=now, updated_at=now)
    return _save(ticket, fields, author_id=submitter_id, comment=comment, now=now, creating=True)


@retry_on_conflict
@transaction.atomic
def ticket_update(
    *,
    ticket_id: int,
    fields: dict[str, Any],
    author_id: int | None,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> Ticket:
    """Change fields and/or add a comment in one audited save. Raises Ticket.DoesNotExist."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    # Whole seconds, and never before the last save (a recompute may have just written one).
    last = ticket.audits.aggregate(last=Max("created_at"))["last"]
    now = max(now.replace(microsecond=0), last) if last else now.replace(microsecond=0)
    # As in Zendesk: an end user's reply to a pending or solved ticket reopens it.
    if (
        comment is not None
        and "status" not in fields
        and ticket.status in ("pending", "solved")
        and User.objects.filter(pk=comment.author_id, role="end-user").exists()
    ):
        fields = {**fields, "status": "open"}
    if "custom_fields" in fields:
        # As in Zendesk, an update touches only the custom fields it names.
        fields = {**fields, "custom_fields": {**ticket.custom_fields, **fields["custom_fields"]}}
    return _save(
        ticket, fields, author_id=author_id, comment=comment, now=now, via_id=via_id, creating=False
    )


def _save(
    ticket: Ticket,
    fields: dict[str, Any],
    *,
    author_id: int | None,
    comment: NewComment | None,
    now: datetime,
    creating: bool,
    via_id: int | None = None,
) -> Ticket:
    """One audited save: apply the fields, write the audit, re-evaluate the SLA."""
    changes = _apply(ticket, fields, now)
    ticket.save()
    _record_audit(
        ticket,
        author_id=author_id,
        at=now,
        via_id=ticket.via_id if via_id is None else via_id,
        changes=changes,
        comment=comment,
        creating=creating,
    )
    ticket_sla_refresh(ticket, now=now)
    return ticket


@transaction.atomic
def ticket_delete(*, ticket_id: int) -> None:
    """The ticket and its audits go; its metric events stay for reporting, as in Zendesk."""
    Ticket.objects.get(pk=ticket_id).delete()


def requester_find_or_create(*, email: str, name: str = "") -> User:
    """Zendesk creates an unknown requester on the fly as an end user."""
    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    return user_create(name=name or email.split("@")[0], email=email, role="end-user")


# OAuth tokens ---------------------------------------------------------------------------------


def oauth_token_create(
    *, user: User, scopes: list[str], client_id: int | None = None
) -> tuple[OAuthToken, str]:
    """A new OAuth access token for `user`, with the token itself: shown once, only its hash
    is kept. Repeated scopes are kept once, in their order."""
    token = OAuthToken.generate()
    created = OAuthToken.objects.create(
        user=user,
        scopes=list(dict.fromkeys(scopes)),
        client_id=client_id,
        token_hash=OAuthToken.hash(token),
        prefix=token[: OAuthToken.PREFIX_LENGTH],
    )
    return created, token


def oauth_token_revoke(*, token_id: int, at: datetime) -> None:
    """From `at` on, the token is refused; its row stays, with when it was last used."""
    OAuthToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=at)
