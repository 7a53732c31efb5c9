"""Writes to the account: users, their API tokens, and tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from policies import services as policy_services
from policies.engine.vocabulary import Role
from slaweb.db import retry_on_conflict
from slaweb.timezones import resolve_time_zone
from tickets.inputs import with_custom_status
from tickets.models import (
    OPEN_STATUSES,
    ApiToken,
    AuditEvent,
    ChangeEvent,
    CommentEvent,
    CreateEvent,
    IdempotentRequest,
    Ticket,
    TicketAudit,
    TicketComment,
    User,
)
from tickets.models.accounts import EXTERNAL_ID_MAX_LENGTH, OAuthToken
from tickets.refusals import WriteRefused
from tickets.sla.store import ticket_snapshot
from tickets.sla.ticket_metrics import ticket_states_refresh

# Users ----------------------------------------------------------------------------------------

# What the user services write as given, besides the email and the password.
USER_ATTRIBUTES = (
    "name",
    "role",
    "organization_id",
    "default_group_id",
    "time_zone",
    "user_fields",
    "active",
    "external_id",
    "locale",
    "phone",
    "shared_phone_number",
    "verified",
    "tags",
    "alias",
    "details",
    "notes",
    "signature",
)


class UserWriteRefused(WriteRefused):
    """A user write the account does not allow, with Zendesk's error `code`."""

    def __init__(self, field: str, message: str, code: str = "InvalidValue") -> None:
        super().__init__(field, message)
        self.code = code


def _clean_email(email: str | None) -> str | None:
    """Stored lower-cased; blank is none."""
    return (email or "").strip().lower() or None


def _user_taken(user: User) -> str | None:
    """The unique key (email, external_id) another user already has, or None."""
    others = User.objects.exclude(pk=user.pk)
    if user.email and others.filter(email=user.email).exists():
        return "email"
    if user.external_id and others.filter(external_id__iexact=user.external_id).exists():
        return "external_id"
    return None


def _user_save(user: User) -> None:
    """Save after the account's rules: agents and admins have an email, only they belong to
    a default group, the time zone is a known one (stored by its IANA name), and email and
    external id are unique (also when a concurrent write takes one first)."""
    if user.is_agent and not user.email:
        raise UserWriteRefused("email", "agents and admins need an email address", "BlankValue")
    if user.default_group_id is not None and not user.is_agent:
        raise UserWriteRefused("default_group_id", "only agents and admins belong to groups")
    zone = resolve_time_zone(user.time_zone)
    if zone is None:
        raise UserWriteRefused("time_zone", f"{user.time_zone!r} is not a known time zone")
    user.time_zone = zone
    taken = _user_taken(user)
    if taken is None:
        try:
            with transaction.atomic():
                user.save()
            return
        except IntegrityError:
            taken = _user_taken(user)
            if taken is None:
                raise
    raise UserWriteRefused(taken, "is already being used by another user", "DuplicateValue")


def _password_set(user: User, password: str | None) -> None:
    """Set the password after the password rules (AUTH_PASSWORD_VALIDATORS); none is an
    unusable password (a user who signs in with tokens only)."""
    if password is not None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise UserWriteRefused("password", " ".join(error.messages)) from None
    user.set_password(password)


def _keep_an_admin(user: User) -> None:
    """Refuse when `user` is the account's last active admin: someone must manage it. The
    other admins are locked, so two admins removing each other cannot both succeed."""
    others = User.objects.select_for_update().filter(role=Role.ADMIN, active=True)
    if not list(others.exclude(pk=user.pk).values_list("pk", flat=True)[:1]):
        raise UserWriteRefused(
            "base", "The account's last admin cannot be deleted or lose the admin role", "LastAdmin"
        )


@transaction.atomic
def user_create(
    *,
    name: str,
    email: str | None = None,
    role: str = "end-user",
    password: str | None = None,
    organization_id: int | None = None,
    default_group_id: int | None = None,
    time_zone: str = "UTC",
    user_fields: dict[str, Any] | None = None,
    active: bool = True,
    external_id: str | None = None,
    locale: str = "en-US",
    phone: str | None = None,
    shared_phone_number: bool | None = None,
    verified: bool = False,
    tags: list[str] | None = None,
    alias: str = "",
    details: str = "",
    notes: str = "",
    signature: str = "",
) -> User:
    """A new user; only the name is required, as in Zendesk. Raises UserWriteRefused."""
    user = User(
        email=_clean_email(email),
        name=name,
        role=role,
        organization_id=organization_id,
        default_group_id=default_group_id,
        time_zone=time_zone,
        user_fields=user_fields or {},
        active=active,
        external_id=external_id or None,
        locale=locale,
        phone=phone or None,
        shared_phone_number=shared_phone_number if phone else None,
        verified=verified,
        tags=tags or [],
        alias=alias,
        details=details,
        notes=notes,
        signature=signature,
    )
    _password_set(user, password)
    _user_save(user)
    if default_group_id is not None and user.is_agent:
        user.agent_groups.add(default_group_id)
    return user


@retry_on_conflict
@transaction.atomic
def user_update(*, user_id: int, data: dict[str, Any], keep_an_admin: bool = False) -> User:
    """Partial update; raises User.DoesNotExist and UserWriteRefused. With `keep_an_admin`
    (the API's updates), the account's last active admin may not lose the role or be
    deactivated."""
    user = User.objects.select_for_update().get(pk=user_id)
    was_admin = user.is_admin and user.active
    for attribute in USER_ATTRIBUTES:
        if attribute in data:
            setattr(user, attribute, data[attribute])
    if "email" in data:
        user.email = _clean_email(data["email"])
    user.external_id = user.external_id or None
    user.phone = user.phone or None
    if user.phone is None:
        user.shared_phone_number = None
    if data.get("password"):
        _password_set(user, data["password"])
    if keep_an_admin and was_admin and not (user.is_admin and user.active):
        _keep_an_admin(user)
    _user_save(user)
    if user.default_group_id is not None and user.is_agent:
        user.agent_groups.add(user.default_group_id)
    return user


def user_matching(*, email: str | None, external_id: str | None) -> User | None:
    """The user Zendesk's create_or_update updates: the one with this external id (in any
    case), else the one with this email; None when neither is known (nor can be: no stored
    key is longer than its column, and SQLite refuses a LIKE pattern over 50,000 characters)."""
    if external_id and len(external_id) <= EXTERNAL_ID_MAX_LENGTH:
        found = User.objects.filter(external_id__iexact=external_id).first()
        if found is not None:
            return found
    cleaned = _clean_email(email)
    return User.objects.filter(email=cleaned).first() if cleaned else None


@retry_on_conflict
@transaction.atomic
def user_delete(*, user_id: int, by_user_id: int | None, at: datetime) -> User:
    """Zendesk's soft delete: the user stays, inactive (`active` false), with its tickets.
    From then on it cannot sign in, and its API and OAuth tokens are gone or revoked, so
    reactivating it later does not bring them back. Nobody deletes themselves or the
    account's last admin. Raises User.DoesNotExist and UserWriteRefused."""
    user = User.objects.select_for_update().get(pk=user_id)
    if user.pk == by_user_id:
        raise UserWriteRefused("base", "You cannot delete yourself", "CannotDeleteSelf")
    if user.is_admin and user.active:
        _keep_an_admin(user)
    ApiToken.objects.filter(user=user).delete()
    OAuthToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=at)
    if user.active:
        user.active = False
        user.save(update_fields=["active", "updated_at"])
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
    "external_id",
)


@dataclass(frozen=True)
class NewComment:
    body: str  # the text
    public: bool
    author_id: int
    created_at: datetime | None = None
    html_body: str = ""  # the HTML, when the comment was sent as HTML
    author: User | None = None  # the author's row, when the caller has it (the signed-in user)


def new_comment(
    comment: dict[str, Any] | None, *, default_author_id: int, by: User
) -> NewComment | None:
    """A `comment` validated by tickets.inputs.CommentInputSerializer as the comment to write,
    sent by `by`: an agent may name another author and make it an internal note; an end user
    always speaks for themselves, in public."""
    if comment is None:
        return None
    author_id = comment.get("author_id", default_author_id)
    public = comment.get("public", True)
    if not by.is_agent:
        author_id, public = by.pk, True
    return NewComment(
        body=comment["body"],
        public=public,
        author_id=author_id,
        html_body=comment["html_body"],
        author=by if author_id == by.pk else None,
    )


@dataclass(frozen=True)
class TicketSave:
    """A ticket after one audited save, and the audit that records the save with its events
    (the comment's first, then the fields' in the order written), as written."""

    ticket: Ticket
    audit: TicketAudit
    events: tuple[AuditEvent, ...] | None = None  # None: not at hand
    changed: frozenset[str] = frozenset()  # the fields the save changed


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
    """The audit of one save, with its events and the comment."""
    return _audit_write(
        ticket,
        author_id=author_id,
        at=at,
        via_id=via_id,
        changes=changes,
        comment=comment,
        creating=creating,
        revision_id=revision_id,
        comment_author_role=None,
    )[0]


def _audit_write(
    ticket: Ticket,
    *,
    author_id: int | None,
    at: datetime,
    via_id: int,
    changes: dict[str, tuple[Any, Any]],
    comment: NewComment | None,
    creating: bool,
    revision_id: int | None,
    comment_author_role: str | None,
) -> tuple[TicketAudit, tuple[AuditEvent, ...]]:
    """`_record_audit`, with the events as written (the fields', then the comment's);
    `comment_author_role` is the comment author's role when the caller has read it (else it
    is read here)."""
    saved_comment = None
    if comment is not None:
        saved_comment = TicketComment.objects.create(
            ticket=ticket,
            author_id=comment.author_id,
            body=comment.body,
            html_body=comment.html_body,
            public=comment.public,
            via_id=via_id,
            created_at=at,
        )
    has_public = ticket.is_public or (saved_comment is not None and saved_comment.public)
    if not has_public:
        has_public = ticket.comments.filter(public=True).exists()
    if has_public and not ticket.is_public:
        ticket.is_public = True
        Ticket.objects.filter(pk=ticket.pk).update(is_public=True)
    if comment is not None and comment_author_role is None:
        comment_author_role = User.objects.values_list("role", flat=True).get(pk=comment.author_id)
    audit = TicketAudit.objects.create(
        ticket=ticket,
        author_id=author_id,
        created_at=at,
        via_id=via_id,
        revision_id=revision_id or policy_services.policy_revision_current(now=at),
        snapshot=ticket_snapshot(ticket, has_public_comment=has_public),
        comment=saved_comment,
        comment_author_role=comment_author_role or "",
    )
    events: list[AuditEvent] = []
    for field, (before, after) in changes.items():
        if creating:
            events.append(CreateEvent(audit=audit, field_name=field, value=after))
        else:
            events.append(
                ChangeEvent(audit=audit, field_name=field, value=after, previous_value=before)
            )
    if saved_comment is not None:
        events.append(CommentEvent(audit=audit, comment=saved_comment))
    _events_insert(events)
    return audit, tuple(events)


def _events_insert(events: list[AuditEvent]) -> None:
    """Write an audit's events, in this order, as `save()` writes each (a base row with its
    class's content type, then its class's own row), in one INSERT for the base rows and one
    per class (Django's bulk_create refuses models with a parent)."""
    if len(events) < 2:
        for event in events:
            event.save()
        return
    kinds = {type(event) for event in events}
    types = {
        kind: ContentType.objects.get_for_model(kind, for_concrete_model=False) for kind in kinds
    }
    bases = AuditEvent.objects.bulk_create(
        AuditEvent(audit=event.audit, polymorphic_ctype=types[type(event)]) for event in events
    )
    for event, base in zip(events, bases, strict=True):
        event.pk = event.id = base.pk  # the child's own key, and its base's
        event.polymorphic_ctype = types[type(event)]
        event._state.adding = False
    for kind in sorted(kinds, key=lambda kind: kind.__name__):
        rows = [event for event in events if type(event) is kind]
        # What a child's save() runs for its own table (Model._do_insert), for all of them.
        kind._base_manager._insert(  # type: ignore[attr-defined]
            rows, fields=kind._meta.local_concrete_fields
        )


def _with_people(ticket: Ticket, known: dict[int, User]) -> None:
    """Give the ticket its requester and submitter rows (the audit's snapshot reads them) from
    `known`, reading the ones it lacks in one query."""
    missing = {ticket.requester_id, ticket.submitter_id} - known.keys()
    if missing:
        known.update(User.objects.in_bulk(missing))
    if ticket.requester_id in known:
        ticket.requester = known[ticket.requester_id]
    if ticket.submitter_id in known:
        ticket.submitter = known[ticket.submitter_id]


def _author_role(comment: NewComment | None, known: dict[int, User]) -> str | None:
    """The comment author's role from `known` (None: no comment, or an author not read)."""
    if comment is None:
        return None
    author = known.get(comment.author_id)
    return None if author is None else author.role


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


def ticket_create(
    *,
    fields: dict[str, Any],
    submitter_id: int,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> Ticket:
    """A new ticket; the submitter writes the first comment, as in Zendesk."""
    return ticket_create_audited(
        fields=fields, submitter_id=submitter_id, comment=comment, now=now, via_id=via_id
    ).ticket


@retry_on_conflict
@transaction.atomic
def ticket_create_audited(
    *,
    fields: dict[str, Any],
    submitter_id: int,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> TicketSave:
    """`ticket_create`, with the audit of the creation."""
    now = now.replace(microsecond=0)  # Zendesk's times, and so the SLA's, are whole seconds
    requester = User.objects.get(pk=fields["requester_id"])
    fields = {**fields}
    fields.setdefault("organization_id", requester.organization_id)
    fields = with_custom_status(fields)  # every new ticket has a status and a custom status
    if comment is not None and not fields.get("description"):
        fields["description"] = comment.body
    ticket = Ticket(submitter_id=submitter_id, via_id=via_id, created_at=now, updated_at=now)
    people = {requester.pk: requester}
    if comment is not None and comment.author is not None:
        people[comment.author.pk] = comment.author
    return _save(
        ticket,
        fields,
        author_id=submitter_id,
        comment=comment,
        now=now,
        creating=True,
        people=people,
    )


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
    return ticket_update_audited(
        ticket_id=ticket_id,
        fields=fields,
        author_id=author_id,
        comment=comment,
        now=now,
        via_id=via_id,
    ).ticket


def ticket_for_update(ticket_id: int, *, requester_id: int | None = None) -> Ticket:
    """The ticket, row-locked until the transaction ends, for `ticket_update_locked`; with
    `requester_id`, only if that user requested it. Raises Ticket.DoesNotExist.

    The whole row, the carried SLA state included: the SLA store continues from it, and the
    save's own UPDATE writes only the columns a save changes."""
    tickets = Ticket.objects.select_for_update()
    if requester_id is not None:
        tickets = tickets.filter(requester_id=requester_id)
    return tickets.get(pk=ticket_id)


@retry_on_conflict
@transaction.atomic
def ticket_update_audited(
    *,
    ticket_id: int,
    fields: dict[str, Any],
    author_id: int | None,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> TicketSave:
    """`ticket_update`, with the audit of the save."""
    return ticket_update_locked(
        ticket_for_update(ticket_id),
        fields=fields,
        author_id=author_id,
        comment=comment,
        now=now,
        via_id=via_id,
    )


def ticket_update_locked(
    ticket: Ticket,
    *,
    fields: dict[str, Any],
    author_id: int | None,
    comment: NewComment | None,
    now: datetime,
    via_id: int = 5,
) -> TicketSave:
    """`ticket_update_audited` of a ticket `ticket_for_update` read in the caller's
    transaction (which commits or rolls back the save with whatever else it wrote)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a locked ticket is saved inside the transaction that locked it")
    # Whole seconds, and never before the last save (a recompute may have just written one).
    # A statement of its own after the lock: it sees every audit committed before the lock.
    last = ticket.audits.aggregate(last=Max("created_at"))["last"]
    now = max(now.replace(microsecond=0), last) if last else now.replace(microsecond=0)
    # The requester, the submitter and the comment's author, in one query.
    people = (
        {} if comment is None or comment.author is None else {comment.author_id: comment.author}
    )
    wanted = {ticket.requester_id, ticket.submitter_id}
    if comment is not None:
        wanted.add(comment.author_id)
    people.update(User.objects.in_bulk(wanted - people.keys()))
    # As in Zendesk: an end user's reply to a pending or solved ticket reopens it.
    if (
        comment is not None
        and "status" not in fields
        and ticket.status in ("pending", "solved")
        and _author_role(comment, people) == "end-user"
    ):
        fields = {**fields, "status": "open"}
    # A status alone brings its category's default custom status (a reply's reopening too),
    # whoever saves: the API, the admin, an import or a rule.
    fields = with_custom_status(
        fields, status=ticket.status, custom_status_id=ticket.custom_status_id
    )
    if "custom_fields" in fields:
        # As in Zendesk, an update touches only the custom fields it names.
        fields = {**fields, "custom_fields": {**ticket.custom_fields, **fields["custom_fields"]}}
    return _save(
        ticket,
        fields,
        author_id=author_id,
        comment=comment,
        now=now,
        via_id=via_id,
        creating=False,
        people=people,
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
    people: dict[int, User],
) -> TicketSave:
    """One audited save: apply the fields, write the audit, re-evaluate the SLA. `people`:
    users already read, by id (the requester, the submitter, the comment's author)."""
    changes = _apply(ticket, fields, now)
    if comment is not None and comment.public:
        ticket.is_public = True
    if creating:
        ticket.save()
    else:
        ticket.save(update_fields=[*changes, "updated_at", "solved_at", "is_public"])
    _with_people(ticket, people)
    audit, events = _audit_write(
        ticket,
        author_id=author_id,
        at=now,
        via_id=ticket.via_id if via_id is None else via_id,
        changes=changes,
        comment=comment,
        creating=creating,
        revision_id=None,
        comment_author_role=_author_role(comment, people),
    )
    ticket_states_refresh(ticket, now=now)
    return TicketSave(ticket, audit, events, frozenset(changes))


class IdempotencyKeyReused(Exception):
    """The idempotency key came with another request before: its body was different."""


@dataclass(frozen=True)
class IdempotentAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool  # a repeat's: the first request's answer, and nothing was done again


def idempotent_answer(
    *,
    user_id: int,
    key: str,
    digest: str,
    now: datetime,
    answer: Callable[[], tuple[int, dict[str, Any]]],
) -> IdempotentAnswer:
    """Do a request sent with an idempotency key once, as Zendesk does ticket creations: the
    first time, `answer()` runs (and writes) and its status and body are kept with the key; a
    repeat within `IdempotentRequest.LIFETIME` gets them back and runs nothing. `digest` is the
    request's: a repeat with another raises IdempotencyKeyReused.

    The key's row is written in the transaction `answer()` writes in: a concurrent repeat waits
    on the unique key until that commits (then replays its answer) or rolls back (then answers
    itself). An `answer()` that raises keeps nothing, so a refused request can be sent again.
    """
    with transaction.atomic():
        IdempotentRequest.objects.filter(
            user_id=user_id, created_at__lt=now - IdempotentRequest.LIFETIME
        ).delete()
        kept, claimed = IdempotentRequest.objects.select_for_update().get_or_create(
            user_id=user_id, key=key, defaults={"request_digest": digest, "created_at": now}
        )
        if not claimed:
            if kept.request_digest != digest:
                raise IdempotencyKeyReused(key)
            if kept.status_code is None or kept.response_body is None:
                raise AssertionError("a committed idempotent request always has its answer")
            return IdempotentAnswer(kept.status_code, kept.response_body, replayed=True)
        status, body = answer()
        kept.status_code, kept.response_body = status, body
        kept.save(update_fields=["status_code", "response_body"])
        return IdempotentAnswer(status, body, replayed=False)


@transaction.atomic
def ticket_delete(*, ticket_id: int) -> None:
    """The ticket and its audits go; its metric events stay for reporting, as in Zendesk."""
    Ticket.objects.get(pk=ticket_id).delete()


def requester_find_or_create(*, email: str, name: str = "") -> User:
    """Zendesk creates an unknown requester on the fly as an end user. Users without an email
    are never found this way: they are named by `requester_id`."""
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
