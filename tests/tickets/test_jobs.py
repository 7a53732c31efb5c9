"""Bulk ticket endpoints as background jobs, and the Job Statuses API.

`POST /api/v2/tickets/create_many`, `PUT /api/v2/tickets/update_many` (both of Zendesk's forms)
and `POST /api/v2/imports/tickets/create_many` answer a job status at once; the work runs as a
task, item by item, each on its own. Answers are checked against Zendesk's JobStatus schema
(shared/zendesk-oas-tickets.yaml beside the checkout) as well as slaweb's own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import jsonschema
import pytest
from django.db import IntegrityError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import TicketFactory, UserFactory
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import json_schema as _json_schema
from tests.zendesk_oas import zendesk_components
from tickets import jobs
from tickets.models import JobStatus, JobStatusResult, Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db

CREATE_MANY = "/api/v2/tickets/create_many.json"
UPDATE_MANY = "/api/v2/tickets/update_many.json"
IMPORT_MANY = "/api/v2/imports/tickets/create_many.json"
JOB_STATUSES = "/api/v2/job_statuses.json"


# Zendesk's schema -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zendesk() -> dict[str, Any]:
    components = _json_schema(zendesk_components())
    return {"components": {"schemas": components["schemas"]}}


def assert_zendesk_job_status(zendesk: dict[str, Any], body: dict[str, Any], key: str) -> None:
    """`body` is Zendesk's JobStatusResponse (key "job_status") or JobStatusesResponse.

    One departure: Zendesk's FailedResult requires the `id` of the resource, which a create
    that failed does not have. Those results are checked against FailedResult without it."""
    body = copy.deepcopy(body)
    statuses = body[key] if key == "job_statuses" else [body[key]]
    failed_creates = []
    for status in statuses:
        failed_creates += [
            r for r in status["results"] if r.get("action") == "create" and "id" not in r
        ]
        status["results"] = [r for r in status["results"] if r not in failed_creates]
    name = "JobStatusesResponse" if key == "job_statuses" else "JobStatusResponse"
    schemas = zendesk["components"]["schemas"]
    jsonschema.validate(body, {**schemas[name], **zendesk})
    without_id = copy.deepcopy(schemas["FailedResult"])
    without_id["required"].remove("id")
    for result in failed_creates:
        jsonschema.validate(result, {**without_id, **zendesk})


@pytest.fixture
def schema(anonymous_client: APIClient) -> dict[str, Any]:
    """slaweb's own schema."""
    response = anonymous_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


# Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def customer(db: None) -> User:
    return UserFactory(role="end-user", email="customer-jobs@example.com")


def run_jobs(capture: Any, call: Callable[[], Any]) -> Any:
    """Make a request; the tasks it enqueues on commit run (immediate backend) after it."""
    with capture(execute=True):
        return call()


def job_of(client: APIClient, answer: Any) -> dict[str, Any]:
    """The job status as polled after the request's job ran."""
    response = client.get(answer.json()["job_status"]["url"])
    assert response.status_code == 200, response.json()
    return response.json()["job_status"]


def ticket(customer: User, subject: str, **fields: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "requester_id": customer.pk,
        "comment": {"body": f"About {subject}"},
        **fields,
    }


def nothing_queued() -> bool:
    return not JobStatus.objects.exists() and not Ticket.objects.exists()


# create_many -----------------------------------------------------------------------------------


def test_create_many_answers_a_job_and_reports_each_ticket(
    agent_client: APIClient,
    customer: User,
    django_capture_on_commit_callbacks: Any,
    zendesk: dict[str, Any],
    schema: dict[str, Any],
) -> None:
    items = [
        ticket(customer, "First"),
        {"subject": "No comment", "requester_id": customer.pk},
        ticket(customer, "Bad priority", priority="whenever"),
        ticket(customer, "Second", priority="high", tags=["bulk"]),
    ]
    answer = run_jobs(
        django_capture_on_commit_callbacks,
        lambda: agent_client.post(CREATE_MANY, {"tickets": items}, format="json"),
    )
    assert answer.status_code == 200, answer.json()
    queued = answer.json()["job_status"]
    assert (queued["status"], queued["total"], queued["progress"], queued["results"]) == (
        "queued",
        4,
        0,
        [],
    )
    assert queued["message"] is None
    assert len(queued["id"]) == 32
    assert queued["url"] == f"http://testserver/api/v2/job_statuses/{queued['id']}.json"
    assert_zendesk_job_status(zendesk, answer.json(), "job_status")
    assert_matches_schema(schema, "post", CREATE_MANY, answer)

    job = job_of(agent_client, answer)
    assert (job["status"], job["total"], job["progress"]) == ("completed", 4, 4)
    assert job["message"].startswith("Completed at ")
    assert job["message"].endswith(" +0000")
    first, second = Ticket.objects.order_by("id")
    assert (first.subject, second.subject) == ("First", "Second")
    assert job["results"] == [
        {"index": 0, "id": first.pk, "action": "create", "success": True},
        {
            "index": 1,
            "action": "create",
            "success": False,
            "error": "RecordInvalid",
            "details": "Comment: a new ticket needs a comment",
        },
        {
            "index": 2,
            "action": "create",
            "success": False,
            "error": "RecordInvalid",
            "details": 'Priority: "whenever" is not a valid choice.',
        },
        {"index": 3, "id": second.pk, "action": "create", "success": True},
    ]
    # Created exactly as the single endpoint creates: the agent submits, the first comment
    # is the description, with its audit.
    assert (second.submitter_id, second.requester_id) == (agent_client.user.pk, customer.pk)  # type: ignore[attr-defined]
    assert (second.priority, second.tags, second.description) == ("high", ["bulk"], "About Second")
    assert TicketAudit.objects.filter(ticket=second).count() == 1
    polled = agent_client.get(answer.json()["job_status"]["url"])
    assert_zendesk_job_status(zendesk, polled.json(), "job_status")
    assert_matches_schema(schema, "get", polled.request["PATH_INFO"], polled)


def test_create_many_finds_or_creates_requesters_like_the_single_endpoint(
    agent_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    items = [
        {
            "subject": "a",
            "requester": {"email": "New@Example.org", "name": "New"},
            "comment": {"body": "x"},
        },
        {"subject": "b", "requester": {"email": "new@example.org"}, "description": "from desc"},
    ]
    answer = run_jobs(
        django_capture_on_commit_callbacks,
        lambda: agent_client.post(CREATE_MANY, {"tickets": items}, format="json"),
    )
    job = job_of(agent_client, answer)
    assert [r["success"] for r in job["results"]] == [True, True]
    a, b = Ticket.objects.order_by("id")
    assert a.requester_id == b.requester_id == User.objects.get(email="new@example.org").pk
    assert b.comments.get().body == "from desc"


# update_many -----------------------------------------------------------------------------------


def test_update_many_batch_form_reports_each_update(
    agent_client: APIClient,
    customer: User,
    django_capture_on_commit_callbacks: Any,
    zendesk: dict[str, Any],
    schema: dict[str, Any],
) -> None:
    one = TicketFactory(requester=customer, subject="one", tags=["old"])
    two = TicketFactory(requester=customer, subject="two")
    closed = TicketFactory(requester=customer, subject="closed", status="closed")
    items = [
        {"id": one.pk, "status": "pending", "additional_tags": ["new"], "remove_tags": ["old"]},
        {"id": two.pk, "priority": "urgent", "comment": {"body": "On it", "public": False}},
        {"id": 987654321, "status": "open"},
        {"id": closed.pk, "status": "open"},
        {"id": two.pk, "priority": "someday"},
    ]
    answer = run_jobs(
        django_capture_on_commit_callbacks,
        lambda: agent_client.put(UPDATE_MANY, {"tickets": items}, format="json"),
    )
    assert answer.status_code == 200, answer.json()
    assert_matches_schema(schema, "put", UPDATE_MANY, answer)
    job = job_of(agent_client, answer)
    assert (job["status"], job["total"], job["progress"]) == ("completed", 5, 5)
    assert job["results"] == [
        {"id": one.pk, "action": "update", "success": True, "status": "Updated"},
        {"id": two.pk, "action": "update", "success": True, "status": "Updated"},
        {
            "id": 987654321,
            "action": "update",
            "success": False,
            "error": "RecordNotFound",
            "details": "Not found",
        },
        {
            "id": closed.pk,
            "action": "update",
            "success": False,
            "error": "RecordInvalid",
            "details": "Status: closed prevents ticket update",
        },
        {
            "id": two.pk,
            "action": "update",
            "success": False,
            "error": "RecordInvalid",
            "details": 'Priority: "someday" is not a valid choice.',
        },
    ]
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.tags) == ("pending", ["new"])
    assert two.priority == "urgent"
    note = two.comments.order_by("id").last()
    assert note is not None
    assert (note.body, note.public, note.author_id) == ("On it", False, agent_client.user.pk)  # type: ignore[attr-defined]
    assert_zendesk_job_status(zendesk, {"job_status": job}, "job_status")


def test_update_many_bulk_form_makes_the_same_change_to_each(
    agent_client: APIClient,
    customer: User,
    django_capture_on_commit_callbacks: Any,
    zendesk: dict[str, Any],
) -> None:
    one = TicketFactory(requester=customer, subject="one", tags=["old", "keep"])
    two = TicketFactory(requester=customer, subject="two")
    answer = run_jobs(
        django_capture_on_commit_callbacks,
        lambda: agent_client.put(
            f"/api/v2/tickets/update_many.json?ids={one.pk},{two.pk}",
            {"ticket": {"status": "solved", "additional_tags": ["done"], "remove_tags": ["old"]}},
            format="json",
        ),
    )
    assert answer.status_code == 200, answer.json()
    job = job_of(agent_client, answer)
    assert job["results"] == [
        {"id": one.pk, "action": "update", "success": True, "status": "Updated"},
        {"id": two.pk, "action": "update", "success": True, "status": "Updated"},
    ]
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.tags) == ("solved", ["keep", "done"])
    assert (two.status, two.tags) == ("solved", ["done"])
    assert one.solved_at is not None
    assert_zendesk_job_status(zendesk, {"job_status": job}, "job_status")


# Requests refused up front ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "code"),
    [
        ("post", CREATE_MANY, {}, 400),
        ("post", CREATE_MANY, [], 400),
        ("post", CREATE_MANY, {"ticket": {}}, 400),
        ("post", CREATE_MANY, {"tickets": {}}, 400),
        ("post", CREATE_MANY, {"tickets": []}, 422),
        ("post", CREATE_MANY, {"tickets": ["x", {}]}, 422),
        ("post", CREATE_MANY, {"tickets": [{"subject": "s"}] * 101}, 422),
        ("put", UPDATE_MANY, {"tickets": [{"status": "open"}]}, 422),
        ("put", UPDATE_MANY, {"tickets": [{"id": "1", "status": "open"}]}, 422),
        ("put", UPDATE_MANY, {"tickets": [{"id": True}]}, 422),
        ("put", UPDATE_MANY, {"tickets": [{"id": n} for n in range(1, 102)]}, 422),
        ("put", UPDATE_MANY + "?ids=1,2", {"tickets": [{"id": 1}]}, 400),
        ("put", UPDATE_MANY + "?ids=1,x", {"ticket": {"status": "open"}}, 400),
        ("put", UPDATE_MANY + "?ids=", {"ticket": {"status": "open"}}, 400),
        ("put", UPDATE_MANY + "?ids=0", {"ticket": {"status": "open"}}, 422),
        ("put", UPDATE_MANY + "?ids=1", {}, 400),
        ("put", UPDATE_MANY + "?ids=1", {"ticket": {"id": 2}}, 422),
        ("put", UPDATE_MANY + "?ids=" + ",".join(map(str, range(1, 102))), {"ticket": {}}, 400),
    ],
)
def test_bad_requests_are_refused_and_queue_nothing(
    admin_client: APIClient,
    django_capture_on_commit_callbacks: Any,
    method: str,
    url: str,
    body: Any,
    code: int,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = getattr(admin_client, method)(url, body, format="json")
    assert response.status_code == code, response.json()
    error = response.json()
    assert set(error) == (
        {"error", "description"} if code == 400 else {"error", "description", "details"}
    )
    assert nothing_queued()
    assert callbacks == []


def test_a_number_too_large_for_json_is_refused(admin_client: APIClient) -> None:
    response = admin_client.post(
        CREATE_MANY,
        '{"tickets": [{"subject": "s", "custom_fields": [{"id": 1, "value": 1e400}]}]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidJSON"
    assert nothing_queued()


# Permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "code"),
    [("admin", 200), ("agent", 200), ("end-user", 403), ("anonymous", 401), ("bad-token", 401)],
)
def test_agents_create_and_update_many_and_read_job_statuses(
    client_for: Callable[[str], APIClient],
    customer: User,
    django_capture_on_commit_callbacks: Any,
    role: str,
    code: int,
) -> None:
    mine = TicketFactory(requester=customer)
    job = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "x")])
    client = client_for(role)
    calls = [
        ("post", CREATE_MANY, {"tickets": [ticket(customer, "s")]}),
        ("put", UPDATE_MANY, {"tickets": [{"id": mine.pk, "status": "open"}]}),
        ("put", f"{UPDATE_MANY}?ids={mine.pk}", {"ticket": {"status": "open"}}),
        ("get", JOB_STATUSES, None),
        ("get", f"/api/v2/job_statuses/{job.public_id}.json", None),
        ("get", f"/api/v2/job_statuses/show_many.json?ids={job.public_id}", None),
    ]
    for method, url, body in calls:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(url, body, format="json")
        assert response.status_code == code, (url, response.content)
    if code != 200:
        assert JobStatus.objects.count() == 1  # only the one made above
        assert Ticket.objects.count() == 1


# Job statuses ----------------------------------------------------------------------------------


def test_show_list_and_show_many(
    agent_client: APIClient,
    customer: User,
    django_capture_on_commit_callbacks: Any,
    zendesk: dict[str, Any],
    schema: dict[str, Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "a")])
    with django_capture_on_commit_callbacks(execute=True):
        second = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "b")])
    waiting = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "c")])
    # The first finished last: completion comes before creation in Zendesk's order.
    JobStatus.objects.filter(pk=first.pk).update(
        finished_order=JobStatus.objects.get(pk=second.pk).finished_order + 1
    )
    old = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "d")])
    JobStatus.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=1, seconds=1)
    )

    listed = agent_client.get(JOB_STATUSES)
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()["job_statuses"]] == [
        waiting.public_id,
        first.public_id,
        second.public_id,
    ]
    assert listed.json()["count"] == 3
    assert_matches_schema(schema, "get", JOB_STATUSES, listed)
    assert_zendesk_job_status(zendesk, listed.json(), "job_statuses")

    page = agent_client.get(JOB_STATUSES + "?page[size]=2")
    assert [j["id"] for j in page.json()["job_statuses"]] == [waiting.public_id, first.public_id]
    assert page.json()["meta"]["has_more"] is True
    rest = agent_client.get(page.json()["links"]["next"])
    assert [j["id"] for j in rest.json()["job_statuses"]] == [second.public_id]
    assert rest.json()["meta"]["has_more"] is False

    many = agent_client.get(
        f"/api/v2/job_statuses/show_many.json?ids={second.public_id},nope,{waiting.public_id},{old.public_id}"
    )
    assert many.status_code == 200
    assert [(j["id"], j["status"]) for j in many.json()["job_statuses"]] == [
        (second.public_id, "completed"),
        (waiting.public_id, "queued"),
    ]
    assert_matches_schema(schema, "get", "/api/v2/job_statuses/show_many.json", many)
    assert_zendesk_job_status(zendesk, many.json(), "job_statuses")

    shown = agent_client.get(f"/api/v2/job_statuses/{first.public_id}")
    assert shown.status_code == 200
    assert shown.json()["job_status"]["results"] == [
        {"index": 0, "id": Ticket.objects.get(subject="a").pk, "action": "create", "success": True}
    ]
    for gone in (old.public_id, "0123abc"):
        missing = agent_client.get(f"/api/v2/job_statuses/{gone}.json")
        assert missing.status_code == 404
        assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
        assert_matches_schema(schema, "get", f"/api/v2/job_statuses/{gone}.json", missing)
    assert agent_client.get("/api/v2/job_statuses/show_many.json").status_code == 400


def test_finished_jobs_go_a_day_after_they_were_created(customer: User) -> None:
    done = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "a")])
    jobs.job_run(job_id=done.pk)
    waiting = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "b")])
    JobStatus.objects.update(created_at=timezone.now() - timedelta(days=2))
    jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "c")])
    assert not JobStatus.objects.filter(pk=done.pk).exists()
    assert JobStatus.objects.filter(pk=waiting.pk).exists()  # unfinished: kept to be resumed


# Crashes ---------------------------------------------------------------------------------------


def refuse_subject(subject: str) -> Callable[[], None]:
    """A real database failure for tickets with this subject (a trigger); returns its undo."""
    if connection.vendor == "postgresql":
        statements = [
            "CREATE FUNCTION refuse_subject() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.subject = '{subject}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_subject BEFORE INSERT ON tickets_ticket "
            "FOR EACH ROW EXECUTE FUNCTION refuse_subject()",
        ]
        undo = ["DROP TRIGGER refuse_subject ON tickets_ticket", "DROP FUNCTION refuse_subject()"]
    else:
        statements = [
            "CREATE TRIGGER refuse_subject BEFORE INSERT ON tickets_ticket "
            f"WHEN NEW.subject = '{subject}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        undo = ["DROP TRIGGER refuse_subject"]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)

    def drop() -> None:
        with connection.cursor() as cursor:
            for statement in undo:
                cursor.execute(statement)

    return drop


def subjects() -> list[str]:
    return list(Ticket.objects.order_by("id").values_list("subject", flat=True))


def test_a_job_stopped_mid_way_continues_without_repeating_an_item(customer: User) -> None:
    items = [ticket(customer, name) for name in ("one", "two", "boom", "four")]
    job = jobs.ticket_create_many_start(user=customer, items=items)
    allow = refuse_subject("boom")

    with pytest.raises(Exception, match="refused"):
        jobs.job_task.call(job.pk)  # the database refuses item 2: the run stops there
    job.refresh_from_db()
    assert (job.status, job.progress, job.total) == ("failed", 2, 4)
    assert "item 2 stopped the job" in job.message
    assert "Nothing of it was written; 2 of 4 items are done" in job.message
    assert job.message.endswith("Running the job again retries it.")
    assert list(job.results.values_list("index", "success")) == [(0, True), (1, True)]
    assert subjects() == ["one", "two"]

    allow()  # the database is well again; the job is run again
    jobs.job_task.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.total) == ("completed", 4, 4)
    assert job.message.startswith("Completed at ")
    assert subjects() == ["one", "two", "boom", "four"]  # items 0 and 1 not done again
    assert list(job.results.values_list("index", "ticket_id")) == [
        (index, pk)
        for index, pk in enumerate(Ticket.objects.order_by("id").values_list("pk", flat=True))
    ]


def test_an_item_that_keeps_stopping_the_job_is_reported_failed(customer: User) -> None:
    items = [ticket(customer, name) for name in ("one", "boom", "three")]
    job = jobs.ticket_create_many_start(user=customer, items=items)
    refuse_subject("boom")
    for _ in range(jobs.MAX_ATTEMPTS):
        with pytest.raises(Exception, match="refused"):
            jobs.job_run(job_id=job.pk)
        assert JobStatus.objects.get(pk=job.pk).status == "failed"
    assert JobStatus.objects.get(pk=job.pk).message.endswith(
        "Running the job again reports it failed and goes on with the next."
    )
    job = jobs.job_run(job_id=job.pk)
    assert (job.status, job.progress, job.total) == ("completed", 3, 3)
    failed = job.results.get(index=1)
    assert (failed.success, failed.error, failed.ticket_id) == (False, "InternalError", None)
    assert "nothing of it was written" in failed.details
    assert subjects() == ["one", "three"]


def test_a_job_whose_worker_died_is_resumed_and_never_run_twice_at_once(customer: User) -> None:
    items = [ticket(customer, name) for name in ("one", "two", "three")]
    job = jobs.ticket_create_many_start(user=customer, items=items)
    # A worker took the job, did item 0, started item 1 and was killed: item 1's transaction
    # never committed, so only item 0 is there.
    jobs.job_run(job_id=job.pk)
    JobStatusResult.objects.filter(job=job, index__gt=0).delete()
    Ticket.objects.exclude(subject="one").delete()
    JobStatus.objects.filter(pk=job.pk).update(
        status="working", progress=1, current_index=1, current_attempts=1, updated_at=timezone.now()
    )
    assert jobs.resume_stale_jobs() == []
    assert jobs.job_run(job_id=job.pk).status == "working"  # its worker may still be at it
    assert subjects() == ["one"]

    JobStatus.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - jobs.STALE_AFTER - timedelta(seconds=1)
    )
    assert jobs.resume_stale_jobs() == [job.pk]  # the immediate backend runs it at once
    job.refresh_from_db()
    assert (job.status, job.progress) == ("completed", 3)
    assert subjects() == ["one", "two", "three"]


def test_a_completed_job_is_not_run_again(customer: User) -> None:
    job = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "one")])
    jobs.job_run(job_id=job.pk)
    finished = JobStatus.objects.get(pk=job.pk)
    assert jobs.job_run(job_id=job.pk).finished_at == finished.finished_at
    assert subjects() == ["one"]


def test_results_are_written_with_their_items(customer: User) -> None:
    """A result row exists only for an item whose writes committed: the database refuses a
    second result for an item, and the ticket created with it is rolled back."""
    job = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "one")])
    JobStatusResult.objects.create(job=job, index=0, action="create", success=True, ticket_id=None)
    JobStatus.objects.filter(pk=job.pk).update(current_index=None)
    # As if a second worker raced the first on item 0 after the first recorded it.
    with pytest.raises(IntegrityError):
        jobs._work(JobStatus.objects.select_related("user").get(pk=job.pk), 0, job.items[0])
    assert subjects() == []


def test_times_in_messages_are_zendesks(customer: User) -> None:
    job = jobs.ticket_create_many_start(user=customer, items=[ticket(customer, "one")])
    job = jobs.job_run(job_id=job.pk)
    assert job.finished_at is not None
    stamp = job.finished_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert job.message == f"Completed at {stamp} +0000"
