"""Ticket import: historical tickets with their times, comments and, as slaweb's extension,
their whole audit history.

Zendesk's import (`POST /api/v2/imports/tickets`) takes the Tickets API's fields plus
`created_at`, `updated_at`, `solved_at` and `comments`. slaweb also takes `audits` in the shape
of Zendesk's ticket audits, so an imported ticket's SLA is computed from what really happened:

* With `audits`, they are the history. The first audit creates the ticket: its Create events
  give the initial fields, fields it does not mention come from the ticket body. Each later
  audit applies its Change events and at most one Comment, as one save.
* Without, the history is built from `comments`: the creation at `created_at` (carrying the
  first comment when it is that old), one save per later comment, and a save setting the final
  status at `solved_at` (or `updated_at`) when it differs from the initial one.

Either way every save goes through the same `_apply` / `_record_audit` as a live one, at its
historical time, and ONE SLA refresh at the end replays the whole history, so metric events
carry their historical times. The body's fields must be where the history ends.

Validation happens before anything is written; `ticket_import_many` validates every ticket,
then writes them all in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from policies import services as policy_services
from slaweb.api.errors import RecordInvalid
from slaweb.api.timestamps import iso
from tickets import services
from tickets.inputs import (
    CommentInputSerializer,
    TicketInputSerializer,
    initial_status,
    with_custom_status,
)
from tickets.models import Ticket, User
from tickets.sla.ticket_metrics import ticket_states_refresh

MAX_BATCH = 100
MAX_HISTORY = 5000  # Zendesk's limit of comments on one ticket
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**63 - 1
MAX_VIA_ID = 2**31 - 1
DEFAULT_VIA_ID = 5  # API
EVENT_TYPES = ("Create", "Change", "Comment")
# The ticket fields a Create or Change event may name; a custom field is named by its id.
EVENT_FIELDS = services.TICKET_FIELDS
SOLVED = ("solved", "closed")

Details = dict[str, list[dict[str, str]]]


# Plan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportComment:
    body: str
    public: bool
    author_id: int | None  # None: the requester


@dataclass(frozen=True)
class ImportStep:
    """One save to replay: the first creates the ticket."""

    at: datetime
    author_id: int | None  # None: the submitter for the creation, no one (system) after
    via_id: int
    fields: dict[str, Any]
    # Merged into the ticket's custom fields, as Zendesk updates only the fields named.
    custom_fields: dict[str, Any] = field(default_factory=dict)
    comment: ImportComment | None = None


@dataclass(frozen=True)
class ImportPlan:
    """A validated import, ready to write."""

    steps: tuple[ImportStep, ...]
    via_id: int
    submitter_id: int | None  # None: the requester
    requester: dict[str, str] | None  # {name, email} to find or create, when no requester_id
    expected: dict[str, Any]  # the body's fields, which the history must end with
    solved_at: datetime | None
    updated_at: datetime | None


class _Problems:
    """Validation errors as Zendesk's `details`, keyed by the path of the bad value."""

    def __init__(self) -> None:
        self.details: Details = {}

    def add(self, path: str, message: str, error: str = "InvalidValue") -> None:
        self.details.setdefault(path, []).append(
            {"description": f"{path}: {message}", "error": error}
        )

    def drf(self, detail: Any, path: str) -> None:
        for where, message, code in _flatten(detail, path):
            error = "BlankValue" if code in ("blank", "required") else "InvalidValue"
            self.add(where, message, error)

    def __bool__(self) -> bool:
        return bool(self.details)

    def check(self) -> None:
        if self.details:
            raise RecordInvalid(self.details)


def _flatten(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """A DRF error tree as (path, message, code): `custom_fields[0].id`, and so on."""
    if isinstance(node, dict):
        for name, child in node.items():
            if name == "non_field_errors":
                sub = path or "base"
            elif isinstance(name, int) or str(name).isdigit():
                sub = f"{path}[{name}]"
            else:
                sub = f"{path}.{name}" if path else str(name)
            yield from _flatten(child, sub)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _flatten(child, f"{path}[{index}]" if isinstance(child, dict) else path)
    else:
        yield path or "base", str(node), str(getattr(node, "code", "invalid"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Parser:
    """Reads one ticket of an import into an `ImportPlan`, collecting every problem."""

    def __init__(self, data: dict[str, Any], now: datetime) -> None:
        self.data = data
        self.now = now
        self.problems = _Problems()
        self.user_refs: list[tuple[str, int]] = []  # checked together at the end

    # Scalars ----------------------------------------------------------------------------------

    def time(self, value: Any, path: str) -> datetime | None:
        """An ISO 8601 time, in the past, in whole seconds; None when absent or bad."""
        if value is None:
            return None
        parsed = None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            self.problems.add(path, f"{value!r} is not an ISO 8601 time")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # Zendesk's times are UTC
        try:
            parsed = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            self.problems.add(path, f"{value!r} is out of range")
            return None
        if parsed < EARLIEST:
            self.problems.add(path, "is before 1970")
            return None
        if parsed > self.now:
            self.problems.add(path, "is in the future")
            return None
        return parsed.replace(microsecond=0)

    def user(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if not _is_int(value) or not 1 <= value <= MAX_ID:
            self.problems.add(path, "must be a user id")
            return None
        self.user_refs.append((path, value))
        return int(value)

    def via(self, value: Any, path: str, default: int) -> int:
        if value is None:
            return default
        if not _is_int(value) or not 0 <= value <= MAX_VIA_ID:
            self.problems.add(path, "must be a channel id (an integer, e.g. 4 for email)")
            return default
        return int(value)

    def check_users(self) -> None:
        if not self.user_refs:
            return
        known = set(
            User.objects.filter(pk__in={pk for _, pk in self.user_refs}).values_list(
                "pk", flat=True
            )
        )
        for path, pk in self.user_refs:
            if pk not in known:
                self.problems.add(path, f"user {pk} does not exist")

    def field_value(
        self, name: str, value: Any, path: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A Create/Change event's value, validated as the Tickets API validates the field.

        Returns (ticket fields, custom field patch)."""
        if name.isdigit():
            data: dict[str, Any] = {"custom_fields": [{"id": int(name), "value": value}]}
        else:
            data = {name: value}
        serializer = TicketInputSerializer(data=data, partial=True)
        if not serializer.is_valid():
            for child in serializer.errors.values():
                self.problems.drf(child, path)
            return {}, {}
        values = dict(serializer.validated_data)
        patch = values.pop("custom_fields", {})
        return values, patch

    # The ticket ------------------------------------------------------------------------------

    def plan(self) -> ImportPlan | None:
        data = self.data
        if "comment" in data:
            self.problems.add("comment", "imports take `comments`, a list of comments")
        body = TicketInputSerializer(data={k: v for k, v in data.items() if k != "comment"})
        fields: dict[str, Any] = {}
        body_valid = body.is_valid()
        if body_valid:
            fields = dict(body.validated_data)
        else:
            self.problems.drf(body.errors, "")
        requester = fields.pop("requester", None)
        if requester is not None and "requester_id" in fields:
            requester = None  # as in the Tickets API, the id wins
        submitter_id = fields.pop("submitter_id", None)
        custom_fields = fields.pop("custom_fields", {})
        via_id = self.via(data.get("via_id"), "via_id", DEFAULT_VIA_ID)
        created_at = self.time(data.get("created_at"), "created_at")
        updated_at = self.time(data.get("updated_at"), "updated_at")
        solved_at = self.time(data.get("solved_at"), "solved_at")
        expected = {**fields, **({"custom_fields": custom_fields} if custom_fields else {})}
        if "custom_status_id" in expected and expected["custom_status_id"] is None:
            del expected["custom_status_id"]  # null: the category's default, whichever it is

        if "audits" in data and "comments" in data:
            self.problems.add("audits", "give either `audits` or `comments`, not both")
            steps: list[ImportStep] = []
        elif "audits" in data:
            steps, submitter_id = self.audit_steps(
                fields, custom_fields, created_at, via_id, submitter_id
            )
        else:
            steps, submitter_id = self.comment_steps(
                fields, custom_fields, created_at, updated_at, solved_at, via_id, submitter_id
            )
        if steps:
            first_fields = steps[0].fields
            if body_valid and "requester_id" not in first_fields and requester is None:
                self.problems.add(
                    "requester_id", "an imported ticket needs a requester", "BlankValue"
                )
            last = max(step.at for step in steps)
            if updated_at is not None and updated_at < last:
                self.problems.add("updated_at", f"is before the last save, at {iso(last)}")
            if solved_at is not None and solved_at < steps[0].at:
                self.problems.add("solved_at", "is before created_at")
        elif not self.problems:
            self.problems.add("base", "nothing to import")
        self.check_users()
        if self.problems or not steps:
            return None
        return ImportPlan(
            steps=tuple(steps),
            via_id=steps[0].via_id,
            submitter_id=submitter_id,
            requester=requester,
            expected=expected,
            solved_at=solved_at,
            updated_at=updated_at,
        )

    def creation_comment(
        self, fields: dict[str, Any], comment: ImportComment | None, submitter_id: int | None
    ) -> ImportComment | None:
        """As in the Tickets API: the description is the first comment, and vice versa."""
        if comment is not None:
            fields.setdefault("description", comment.body)
            return comment
        if fields.get("description"):
            return ImportComment(fields["description"], True, submitter_id)
        return None

    # History from audits ---------------------------------------------------------------------

    def audit_steps(
        self,
        body: dict[str, Any],
        body_custom: dict[str, Any],
        created_at: datetime | None,
        via_id: int,
        submitter_id: int | None,
    ) -> tuple[list[ImportStep], int | None]:
        audits = self.data["audits"]
        if not isinstance(audits, list) or not audits:
            self.problems.add("audits", "must be a non-empty list of audits")
            return [], submitter_id
        if len(audits) > MAX_HISTORY:
            self.problems.add("audits", f"at most {MAX_HISTORY} audits per ticket")
            return [], submitter_id
        steps: list[ImportStep] = []
        previous: datetime | None = None
        for index, audit in enumerate(audits):
            path = f"audits[{index}]"
            if not isinstance(audit, dict):
                self.problems.add(path, "must be an object")
                continue
            at = self.time(audit.get("created_at"), f"{path}.created_at")
            if index == 0:
                if at is None and audit.get("created_at") is None:
                    at = created_at or self.now.replace(microsecond=0)
                elif at is not None and created_at is not None and at != created_at:
                    self.problems.add(
                        f"{path}.created_at",
                        f"the first audit creates the ticket: it must be at created_at "
                        f"({iso(created_at)})",
                    )
            elif at is None and audit.get("created_at") is None:
                self.problems.add(f"{path}.created_at", "is required", "BlankValue")
            if at is not None and previous is not None and at < previous:
                self.problems.add(
                    f"{path}.created_at",
                    f"audits must be in chronological order: this one is before the one "
                    f"at {iso(previous)}",
                )
            previous = at if at is not None else previous
            step = self.audit(audit, path, index, via_id)
            if step is not None and at is not None:
                steps.append(replace(step, at=at))

        if self.problems or not steps:
            return [], submitter_id
        first = steps[0]
        if submitter_id is None:
            submitter_id = first.author_id
            if submitter_id is None and first.comment is not None:
                submitter_id = first.comment.author_id
        fields = {**body, **first.fields}
        if "status" in first.fields and "custom_status_id" not in first.fields:
            fields.pop("custom_status_id", None)  # the body's is where the history ends
        fields.setdefault("status", initial_status(fields))
        comment = self.creation_comment(fields, first.comment, submitter_id)
        if comment is None:
            self.problems.add(
                "audits[0].events",
                "a new ticket needs a comment: add a Comment event or give a description",
                "BlankValue",
            )
        steps[0] = replace(
            first,
            fields=fields,
            custom_fields={**body_custom, **first.custom_fields},
            comment=comment,
        )
        return steps, submitter_id

    def audit(self, audit: dict[str, Any], path: str, index: int, via_id: int) -> ImportStep | None:
        """One audit's events as a step (its time is set by the caller)."""
        author_id = self.user(audit.get("author_id"), f"{path}.author_id")
        via = self.via(audit.get("via_id"), f"{path}.via_id", via_id)
        events = audit.get("events")
        if not isinstance(events, list):
            self.problems.add(f"{path}.events", "must be a list of events", "BlankValue")
            return None
        if not events and index > 0:
            self.problems.add(f"{path}.events", "an audit needs at least one event", "BlankValue")
            return None
        fields: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        comment: ImportComment | None = None
        named: set[str] = set()
        for number, event in enumerate(events):
            where = f"{path}.events[{number}]"
            if not isinstance(event, dict):
                self.problems.add(where, "must be an object")
                continue
            kind = event.get("type")
            if kind == "Comment":
                if comment is not None:
                    self.problems.add(where, "an audit carries at most one Comment event")
                    continue
                comment = self.comment_event(event, where, author_id)
            elif kind in ("Create", "Change"):
                if kind == "Create" and index > 0:
                    self.problems.add(
                        f"{where}.type", "Create events belong to the first audit; use Change"
                    )
                    continue
                if kind == "Change" and index == 0:
                    self.problems.add(
                        f"{where}.type", "the first audit creates the ticket; use Create events"
                    )
                    continue
                name = event.get("field_name")
                if not isinstance(name, str) or not (name in EVENT_FIELDS or name.isdigit()):
                    self.problems.add(
                        f"{where}.field_name",
                        f"{name!r} is not a ticket field: use one of {', '.join(EVENT_FIELDS)}, "
                        "or a custom field's id",
                    )
                    continue
                if name in named:
                    self.problems.add(f"{where}.field_name", f"{name} is set twice in one audit")
                    continue
                named.add(name)
                if "value" not in event:
                    self.problems.add(f"{where}.value", "is required", "BlankValue")
                    continue
                values, patch = self.field_value(name, event["value"], f"{where}.value")
                if name == "custom_status_id" and "status" in fields:
                    # The audit's own status stays, so a disagreement shows in either order.
                    values.pop("status", None)
                fields.update(values)
                custom.update(patch)
            else:
                self.problems.add(
                    f"{where}.type", f"{kind!r} is not one of {', '.join(EVENT_TYPES)}"
                )
        if author_id is None and comment is not None:
            author_id = comment.author_id
        return ImportStep(
            at=EARLIEST,
            author_id=author_id,
            via_id=via,
            fields=fields,
            custom_fields=custom,
            comment=comment,
        )

    def comment_event(
        self, event: dict[str, Any], path: str, default_author: int | None
    ) -> ImportComment | None:
        data = {k: event[k] for k in ("body", "public", "author_id") if k in event}
        serializer = CommentInputSerializer(data=data)
        if not serializer.is_valid():
            self.problems.drf(serializer.errors, path)
            return None
        values = serializer.validated_data
        return ImportComment(
            body=values["body"],
            public=values["public"],
            author_id=values.get("author_id", default_author),
        )

    # History from comments -------------------------------------------------------------------

    def comment_steps(
        self,
        body: dict[str, Any],
        body_custom: dict[str, Any],
        created_at: datetime | None,
        updated_at: datetime | None,
        solved_at: datetime | None,
        via_id: int,
        submitter_id: int | None,
    ) -> tuple[list[ImportStep], int | None]:
        raw = self.data.get("comments", [])
        if not isinstance(raw, list):
            self.problems.add("comments", "must be a list of comments")
            return [], submitter_id
        if len(raw) > MAX_HISTORY:
            self.problems.add("comments", f"at most {MAX_HISTORY} comments per ticket")
            return [], submitter_id
        comments: list[tuple[datetime | None, ImportComment]] = []
        for index, item in enumerate(raw):
            path = f"comments[{index}]"
            if not isinstance(item, dict):
                self.problems.add(path, "must be an object")
                continue
            text = next((item[k] for k in ("value", "body", "html_body") if k in item), None)
            data = {"body": text, "public": item.get("public", True)}
            if "author_id" in item:
                data["author_id"] = item["author_id"]
            serializer = CommentInputSerializer(data=data)
            if not serializer.is_valid():
                self.problems.drf(serializer.errors, path)
                continue
            at = self.time(item.get("created_at"), f"{path}.created_at")
            if at is None and item.get("created_at") is not None:
                continue
            values = serializer.validated_data
            comment = ImportComment(values["body"], values["public"], values.get("author_id"))
            comments.append((at, comment))
        if self.problems:
            return [], submitter_id

        start = created_at or next((at for at, _ in comments if at is not None), None)
        start = start or self.now.replace(microsecond=0)
        timed: list[tuple[datetime, ImportComment]] = []
        previous = start
        for index, (at, comment) in enumerate(comments):
            # A comment without a time is as old as the one before it (or the ticket).
            moment = at or previous
            if moment < start:
                self.problems.add(
                    f"comments[{index}].created_at", f"is before created_at ({iso(start)})"
                )
            elif moment < previous:
                self.problems.add(
                    f"comments[{index}].created_at",
                    f"comments must be in chronological order: this one is before the one "
                    f"at {iso(previous)}",
                )
            previous = max(previous, moment)
            timed.append((moment, comment))
        if self.problems:
            return [], submitter_id

        final = body.get("status")
        assigned = bool(body.get("assignee_id"))
        initial = "new" if final == "new" or not assigned else "open"
        fields = {**body, "status": initial}
        if final is not None and final != initial:
            fields.pop("custom_status_id", None)
        first = timed[0][1] if timed and timed[0][0] == start else None
        if first is not None:
            timed = timed[1:]
            if submitter_id is None:
                submitter_id = first.author_id
        opening = self.creation_comment(fields, first, submitter_id)
        if opening is None and not timed:
            self.problems.add(
                "comments", "a new ticket needs a comment or a description", "BlankValue"
            )
            return [], submitter_id
        steps = [
            ImportStep(
                start, None, via_id, fields, custom_fields=dict(body_custom), comment=opening
            )
        ]
        steps += [ImportStep(at, c.author_id, via_id, {}, comment=c) for at, c in timed]

        if final is not None and final != initial:
            last = steps[-1].at
            status_fields = {"status": final}
            if "custom_status_id" in body:
                status_fields["custom_status_id"] = body["custom_status_id"]
            author = body.get("assignee_id")
            if final in SOLVED:
                solve_at = solved_at or updated_at or last
                solved = (
                    {**status_fields, "status": "solved"} if final == "closed" else status_fields
                )
                _insert(steps, ImportStep(solve_at, author, via_id, solved))
                if final == "closed":
                    close_at = updated_at or max(last, solve_at)
                    if close_at < solve_at:
                        self.problems.add("updated_at", "a closed ticket is closed after solved_at")
                    else:
                        _insert(steps, ImportStep(close_at, author, via_id, status_fields))
            else:
                _insert(steps, ImportStep(updated_at or last, author, via_id, status_fields))
        return steps, submitter_id


def _insert(steps: list[ImportStep], step: ImportStep) -> None:
    """Place a status change in time order, in the save at that instant when it has none."""
    position = len(steps)
    while position > 1 and steps[position - 1].at > step.at:
        position -= 1
    before = steps[position - 1]
    if before.at == step.at and "status" not in before.fields:
        steps[position - 1] = replace(before, fields={**before.fields, **step.fields})
    else:
        steps.insert(position, replace(step, at=max(step.at, before.at)))


def ticket_import_plan(*, data: Any, now: datetime) -> ImportPlan:
    """Validate one ticket of an import; raises RecordInvalid, writes nothing."""
    if not isinstance(data, dict):
        raise RecordInvalid(
            {"base": [{"description": "base: a ticket must be a JSON object", "error": "Invalid"}]}
        )
    parser = _Parser(data, now)
    plan = parser.plan()
    parser.problems.check()
    assert plan is not None  # no plan comes only with problems
    return plan


# Writing ---------------------------------------------------------------------------------------


@transaction.atomic
def ticket_import_write(plan: ImportPlan, *, now: datetime) -> Ticket:
    """Replay the plan's saves, then compute the SLA once over the whole history."""
    first = plan.steps[0]
    fields = dict(first.fields)
    expected = dict(plan.expected)
    if "requester_id" not in fields and plan.requester is not None:
        requester_id = services.requester_find_or_create(
            name=plan.requester.get("name", ""), email=plan.requester["email"]
        ).pk
        fields["requester_id"] = requester_id
        expected.setdefault("requester_id", requester_id)
    requester = User.objects.get(pk=fields["requester_id"])
    fields.setdefault("organization_id", requester.organization_id)
    if first.custom_fields:
        fields["custom_fields"] = dict(first.custom_fields)
    submitter_id = plan.submitter_id or requester.pk
    revision_id = policy_services.policy_revision_current(now=now)

    ticket = Ticket(
        submitter_id=submitter_id, via_id=plan.via_id, created_at=first.at, updated_at=first.at
    )
    for index, step in enumerate(plan.steps):
        if index > 0:
            fields = dict(step.fields)
            if step.custom_fields:
                fields["custom_fields"] = {**ticket.custom_fields, **step.custom_fields}
            fields = with_custom_status(
                fields, status=ticket.status, custom_status_id=ticket.custom_status_id, history=True
            )
        else:
            fields = with_custom_status(fields, history=True)
        changes = services._apply(ticket, fields, step.at)
        ticket.save()
        author_id = step.author_id
        if author_id is None and index == 0:
            author_id = submitter_id
        comment = None
        if step.comment is not None:
            comment = services.NewComment(
                body=step.comment.body,
                public=step.comment.public,
                author_id=step.comment.author_id or author_id or ticket.requester_id,
                created_at=step.at,
            )
            author_id = author_id or comment.author_id
        services._record_audit(
            ticket,
            author_id=author_id,
            at=step.at,
            via_id=step.via_id,
            changes=changes,
            comment=comment,
            creating=index == 0,
            revision_id=revision_id,
        )
    if plan.updated_at is not None and plan.updated_at != ticket.updated_at:
        ticket.updated_at = plan.updated_at
        ticket.save(update_fields=["updated_at"])
    _check_outcome(ticket, expected, plan.solved_at)
    # A history written at once.
    ticket_states_refresh(ticket, now=now, whole=True)
    return ticket


def _check_outcome(ticket: Ticket, expected: dict[str, Any], solved_at: datetime | None) -> None:
    """The body's fields are the ticket as it is now: the history must end there."""
    problems = _Problems()
    for name, want in expected.items():
        got = getattr(ticket, name)
        if name == "tags":
            same = set(got) == set(want)
        elif name == "custom_fields":
            same = all(got.get(key) == value for key, value in want.items())
        else:
            same = got == want
        if not same:
            problems.add(name, f"is {want!r}, but the history ends with {got!r}")
    if solved_at is not None and ticket.solved_at != solved_at:
        got = iso(ticket.solved_at) if ticket.solved_at else None
        problems.add("solved_at", f"is {iso(solved_at)}, but the history has it solved at {got}")
    problems.check()


def ticket_import(*, data: dict[str, Any], now: datetime) -> Ticket:
    """Import one ticket with its history; raises RecordInvalid and writes nothing if invalid."""
    return ticket_import_write(ticket_import_plan(data=data, now=now), now=now)


def _prefixed(details: Details, index: int) -> Details:
    out: Details = {}
    for key, problems in details.items():
        out[f"tickets[{index}].{key}"] = [
            {**problem, "description": f"tickets[{index}].{problem['description']}"}
            for problem in problems
        ]
    return out


def ticket_import_many(*, items: list[Any], now: datetime) -> list[Ticket]:
    """Import up to 100 tickets, all or nothing: every ticket is validated before any is
    written, and the writes share one transaction."""
    if not 1 <= len(items) <= MAX_BATCH:
        raise RecordInvalid(
            {
                "tickets": [
                    {
                        "description": f"tickets: give 1 to {MAX_BATCH} tickets, not {len(items)}",
                        "error": "InvalidValue",
                    }
                ]
            }
        )
    details: Details = {}
    plans = []
    for index, item in enumerate(items):
        try:
            plans.append(ticket_import_plan(data=item, now=now))
        except RecordInvalid as invalid:
            details.update(_prefixed(invalid.details, index))
    if details:
        raise RecordInvalid(details)
    with transaction.atomic():
        tickets = []
        for index, plan in enumerate(plans):
            try:
                tickets.append(ticket_import_write(plan, now=now))
            except RecordInvalid as invalid:
                raise RecordInvalid(_prefixed(invalid.details, index)) from None
    return tickets
