"""Zendesk's bulk endpoints as background jobs: create_many and update_many of tickets, and the
ticket import's create_many.

The request is checked for its shape only (a list of 1 to 100 objects; for updates, each with
a ticket id) and recorded as a `JobStatus`; a task then works through the items in request
order. As in Zendesk, every item stands on its own: it is validated and written exactly as the
single endpoint would (`TicketInputSerializer` and `services.ticket_create` /
`services.ticket_update` for tickets, `imports.ticket_import` for imports), and one that fails
is reported in the job's results with the error the single endpoint would answer, while the
others go ahead. Zendesk does not document its Ticket Bulk Import as all or nothing (it
answers a job status whose results list "the resources that were successfully and
unsuccessfully ... created"), so imports are per ticket too.

A job survives its worker. Each item's writes, its result row and the job's progress commit
together, so after a crash nothing of the item in hand is written and a new run (the same
task again, see `resume_stale_jobs`) starts at the first item without a result: no item is
done twice. An unexpected error (not a validation error: a database or programming error)
stops the run: the job is `failed`, its message says at which item, and a new run retries
that item. An item that has stopped the job `MAX_ATTEMPTS` times is reported failed
(`InternalError`) instead, and the job goes on with the next one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task
from rest_framework import exceptions

from slaweb.api.errors import BadRequest, RecordInvalid, zendesk_exception_handler
from slaweb.db import retry_on_conflict
from tickets.imports import ticket_import
from tickets.models import JobStatus, JobStatusResult, User
from tickets.ticket_writes import (
    ticket_create_as,
    ticket_update_as,
)

logger = logging.getLogger(__name__)

MAX_ITEMS = 100
MAX_ID = 2**62 - 1
# Zendesk keeps a job status for a day after the job was created.
RETENTION = timedelta(days=1)
# A running job records its progress after every item (well under a minute each); one that
# has not for this long lost its worker.
STALE_AFTER = timedelta(minutes=10)
# Runs that may start one item before it is reported failed instead of tried again.
MAX_ATTEMPTS = 2

CREATE_MANY = "tickets.create_many"
UPDATE_MANY = "tickets.update_many"
IMPORT_MANY = "imports.tickets.create_many"

# What a single endpoint answers as the caller's mistake: these fail the item, not the job.
ITEM_ERRORS = (exceptions.APIException, ObjectDoesNotExist, DjangoPermissionDenied)


# Starting a job -----------------------------------------------------------------------------


def _problem(path: str, description: str) -> dict[str, list[dict[str, str]]]:
    return {path: [{"description": f"{path}: {description}", "error": "InvalidValue"}]}


def _check_items(items: list[Any], key: str) -> None:
    """1 to 100 JSON objects, storable as JSON (no number out of range)."""
    if not 1 <= len(items) <= MAX_ITEMS:
        raise RecordInvalid(_problem(key, f"give 1 to {MAX_ITEMS} tickets, not {len(items)}"))
    details: dict[str, list[dict[str, str]]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            details.update(_problem(f"{key}[{index}]", "must be a ticket object"))
    if details:
        raise RecordInvalid(details)
    try:
        json.dumps(items, allow_nan=False)
    except ValueError:
        raise BadRequest(
            "InvalidJSON", "The request body has a number too large to be a JSON number"
        ) from None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


@transaction.atomic
def _start(*, kind: str, user: User, items: list[dict[str, Any]]) -> JobStatus:
    now = timezone.now()
    # Finished jobs are kept as long as Zendesk keeps them, then go.
    JobStatus.objects.filter(created_at__lt=now - RETENTION, status__in=JobStatus.FINISHED).delete()
    job = JobStatus.objects.create(kind=kind, user=user, items=items, total=len(items))
    job_id = job.pk
    transaction.on_commit(lambda: job_task.enqueue(job_id))
    return job


def ticket_create_many_start(*, user: User, items: list[Any]) -> JobStatus:
    """Queue the creation of up to 100 tickets, each a Tickets API `ticket` object."""
    _check_items(items, "tickets")
    return _start(kind=CREATE_MANY, user=user, items=items)


def ticket_update_many_start(
    *, user: User, items: list[Any] | None = None, ids: list[int] | None = None, ticket: Any = None
) -> JobStatus:
    """Queue up to 100 ticket updates, in either of Zendesk's forms: `items`, each a ticket
    object with its `id` (batch), or the same `ticket` object for each of `ids` (bulk)."""
    if ids is not None:
        if not isinstance(ticket, dict):
            raise RecordInvalid(_problem("ticket", "must be a ticket object"))
        if "id" in ticket:
            raise RecordInvalid(_problem("ticket.id", "name the tickets in ?ids, not here"))
        ids = list(dict.fromkeys(ids))
        if not 1 <= len(ids) <= MAX_ITEMS or not all(_is_id(i) for i in ids):
            raise RecordInvalid(_problem("ids", f"give 1 to {MAX_ITEMS} ticket ids"))
        items = [{**ticket, "id": ticket_id} for ticket_id in ids]
    items = items if items is not None else []
    _check_items(items, "tickets")
    details: dict[str, list[dict[str, str]]] = {}
    for index, item in enumerate(items):
        if not _is_id(item.get("id")):
            details.update(_problem(f"tickets[{index}].id", "must be the id of the ticket"))
    if details:
        raise RecordInvalid(details)
    return _start(kind=UPDATE_MANY, user=user, items=items)


def ticket_import_many_start(*, user: User, items: list[Any]) -> JobStatus:
    """Queue the import of up to 100 tickets, each in the ticket import's shape."""
    _check_items(items, "tickets")
    return _start(kind=IMPORT_MANY, user=user, items=items)


# Running a job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    action: str  # "create" or "update"
    ticket_id: int | None


def _create(user: User, item: dict[str, Any], now: datetime) -> Outcome:
    return Outcome("create", ticket_create_as(user=user, data=item, now=now).ticket.pk)


def _update(user: User, item: dict[str, Any], now: datetime) -> Outcome:
    data = {key: value for key, value in item.items() if key != "id"}
    saved = ticket_update_as(user=user, ticket_id=item["id"], data=data, now=now)
    return Outcome("update", saved.ticket.pk)


def _import(user: User, item: dict[str, Any], now: datetime) -> Outcome:
    return Outcome("create", ticket_import(data=item, now=now).pk)


HANDLERS: dict[str, Callable[[User, dict[str, Any], datetime], Outcome]] = {
    CREATE_MANY: _create,
    UPDATE_MANY: _update,
    IMPORT_MANY: _import,
}


def _failed(kind: str, item: Any) -> Outcome:
    """The outcome a failed item reports: updates name their ticket, creates have none."""
    if kind == UPDATE_MANY:
        return Outcome("update", item["id"])
    return Outcome("create", None)


def _record(
    job: JobStatus, index: int, outcome: Outcome, *, error: str = "", details: str = ""
) -> None:
    """The item's result and the job's progress; inside the item's transaction."""
    JobStatusResult.objects.create(
        job=job,
        index=index,
        action=outcome.action,
        ticket_id=outcome.ticket_id,
        success=not error,
        error=error[:64],
        details=details,
    )
    JobStatus.objects.filter(pk=job.pk).update(
        progress=F("progress") + 1, updated_at=timezone.now()
    )


def item_error(error: Exception) -> tuple[str, str]:
    """What the single endpoint answers for this error, as (error, details)."""
    response = zendesk_exception_handler(error, {})
    body: dict[str, Any] = response.data if response is not None else {}
    code = body.get("error", type(error).__name__)
    if isinstance(code, dict):  # 403: {"title", "message"}
        return str(code.get("title", "Forbidden")), str(code.get("message", ""))
    problems = body.get("details")
    if isinstance(problems, dict):
        text = "; ".join(p["description"] for found in problems.values() for p in found)
    else:
        text = str(body.get("description", ""))
    return str(code), text


@retry_on_conflict
def _work(job: JobStatus, index: int, item: dict[str, Any]) -> None:
    """One item: its writes, its result and the job's progress commit together."""
    try:
        with transaction.atomic():
            outcome = HANDLERS[job.kind](job.user, item, timezone.now())
            _record(job, index, outcome)
    except ITEM_ERRORS as problem:
        error, details = item_error(problem)
        with transaction.atomic():
            _record(job, index, _failed(job.kind, item), error=error, details=details)


def _zendesk_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def _finish(job: JobStatus, status: str, message: str, now: datetime) -> None:
    JobStatus.objects.filter(pk=job.pk).update(
        status=status,
        message=message,
        finished_at=now,
        finished_order=int(now.timestamp() * 1_000_000),
        updated_at=now,
    )


def job_run(*, job_id: int) -> JobStatus:
    """Work through a job's items from the first without a result; safe to call again after
    a crash or a failure. Only a queued or failed job, or a working one whose worker has gone
    quiet, is taken: two runs never work one job at the same time."""
    now = timezone.now()
    claimed = (
        JobStatus.objects.filter(pk=job_id)
        .filter(
            Q(status__in=("queued", "failed"))
            | Q(status="working", updated_at__lt=now - STALE_AFTER)
        )
        .update(
            status="working", message=None, finished_at=None, finished_order=None, updated_at=now
        )
    )
    job = JobStatus.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    done = set(job.results.values_list("index", flat=True))
    for index, item in enumerate(job.items):
        if index in done:
            continue
        attempts = job.current_attempts + 1 if job.current_index == index else 1
        job.current_index, job.current_attempts = index, attempts
        if attempts > MAX_ATTEMPTS:
            with transaction.atomic():
                _record(
                    job,
                    index,
                    _failed(job.kind, item),
                    error="InternalError",
                    details=f"This item stopped the job {MAX_ATTEMPTS} times and was not "
                    "applied; nothing of it was written.",
                )
            continue
        JobStatus.objects.filter(pk=job.pk).update(
            current_index=index, current_attempts=attempts, updated_at=timezone.now()
        )
        try:
            _work(job, index, item)
        except Exception as error:
            _stop(job, index, error)
            raise
    now = timezone.now()
    _finish(job, "completed", f"Completed at {_zendesk_time(now)}", now)
    job.refresh_from_db()
    return job


def _stop(job: JobStatus, index: int, error: Exception) -> None:
    """An unexpected error stopped the run at item `index`: say so on the job."""
    try:
        done = job.results.count()
        now = timezone.now()
        again = (
            "retries it"
            if job.current_attempts < MAX_ATTEMPTS
            else "reports it failed and goes on with the next"
        )
        message = (
            f"Failed at {_zendesk_time(now)}: item {index} stopped the job with an "
            f"internal error ({type(error).__name__}). Nothing of it was written; {done} of "
            f"{job.total} items are done. Running the job again {again}."
        )
        _finish(job, "failed", message, now)
    except DatabaseError:
        logger.exception("job %s: could not record that item %s stopped it", job.pk, index)


@task()
def job_task(job_id: int) -> None:
    job_run(job_id=job_id)


def resume_stale_jobs() -> list[int]:
    """Enqueue again the jobs whose worker died (or whose task was never enqueued)."""
    stale = list(
        JobStatus.objects.filter(
            status__in=("queued", "working"), updated_at__lt=timezone.now() - STALE_AFTER
        ).values_list("pk", flat=True)
    )
    for job_id in stale:
        job_task.enqueue(job_id)
    return stale


# Reading jobs -------------------------------------------------------------------------------

TOP = 2**62 - 1


def recent_jobs(now: datetime) -> QuerySet[JobStatus]:
    """The jobs still shown (created in the last day), with their results, and two integer
    keys for Zendesk's order, ascending: unfinished jobs first, then by completion and by
    creation, the latest first."""
    return (
        JobStatus.objects.filter(created_at__gte=now - RETENTION)
        .prefetch_related("results")
        .annotate(
            # 64-bit keys: as plain integers PostgreSQL's lookups would treat a cursor beyond
            # 32 bits as out of range and match nothing.
            finish_rank=Coalesce(
                Value(TOP, output_field=BigIntegerField()) - F("finished_order"),
                Value(0, output_field=BigIntegerField()),
                output_field=BigIntegerField(),
            ),
            creation_rank=ExpressionWrapper(
                Value(TOP, output_field=BigIntegerField()) - F("id"),
                output_field=BigIntegerField(),
            ),
        )
    )
