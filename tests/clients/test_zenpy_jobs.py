"""zenpy (PyPI) against a live slaweb: bulk ticket calls that answer a job status, polled the way
zenpy's own tests poll (`job_status(id=...)` until `progress == total`).

The live server runs with the immediate task backend (tests/conftest.py), so a job has run by
the time its request is answered; the polling loop is the one a zenpy user writes against a
real worker.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from zenpy.lib.api_objects import Comment, JobStatus, JobStatusResult, Ticket

from tests.clients.conftest import Account, ZenpyHarness
from tests.factories import TicketFactory
from tickets import services
from tickets.models import Ticket as TicketRow
from tickets.models import User

pytestmark = pytest.mark.clients


@pytest.fixture
def customer(account: Account) -> User:
    return services.user_create(name="Customer", email="customer-bulk@example.com")


def wait_for(zenpy_api: ZenpyHarness, job: JobStatus, timeout: float = 30.0) -> JobStatus:
    """zenpy's `wait_for_job_status`: poll until progress == total (integers, equal at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        job = zenpy_api.client.job_status(id=job.id)
        assert isinstance(job, JobStatus)
        if job.progress == job.total:
            return job
        assert time.monotonic() < deadline, f"job {job.id} still at {job.progress}/{job.total}"
        time.sleep(0.2)


def test_tickets_create_many_returns_a_job_status_to_poll(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, customer: User
) -> None:
    job = zenpy_api.client.tickets.create(
        [
            Ticket(subject="First", requester_id=customer.pk, comment=Comment(body="One")),
            Ticket(subject="Second", requester_id=customer.pk, comment=Comment(body="Two")),
        ]
    )

    assert isinstance(job, JobStatus)
    sent = zenpy_api.last("POST")
    assert sent.url == f"{server_url}/api/v2/tickets/create_many.json"
    assert [t["subject"] for t in sent.body["tickets"]] == ["First", "Second"]
    assert sent.status == 200
    assert job.url == f"{server_url}/api/v2/job_statuses/{job.id}.json"
    assert isinstance(job.total, int)
    assert job.total == 2

    done = wait_for(zenpy_api, job)
    assert zenpy_api.last("GET").url == f"{server_url}/api/v2/job_statuses/{job.id}.json"
    assert (done.status, done.progress, done.total) == ("completed", 2, 2)
    assert all(isinstance(result, JobStatusResult) for result in done.results)
    assert [(r.index, r.success) for r in done.results] == [(0, True), (1, True)]

    created = [zenpy_api.client.tickets(id=result.id) for result in done.results]
    assert [(t.subject, t.requester_id, t.submitter_id) for t in created] == [
        ("First", customer.pk, account.admin.pk),
        ("Second", customer.pk, account.admin.pk),
    ]
    assert created[1].description == "Two"


def test_a_failed_item_is_reported_and_the_others_are_created(
    zenpy_api: ZenpyHarness, customer: User
) -> None:
    job = zenpy_api.client.tickets.create(
        [
            Ticket(subject="No comment", requester_id=customer.pk),
            Ticket(subject="Fine", requester_id=customer.pk, comment=Comment(body="Hi")),
        ]
    )
    done = wait_for(zenpy_api, job)
    failed, created = done.results
    assert (failed.index, failed.success, failed.error) == (0, False, "RecordInvalid")
    assert failed.details == "Comment: a new ticket needs a comment"
    assert (created.index, created.success) == (1, True)
    assert list(TicketRow.objects.values_list("subject", flat=True)) == ["Fine"]


def test_tickets_update_many_and_show_many_job_statuses(
    zenpy_api: ZenpyHarness, server_url: str, customer: User
) -> None:
    one = TicketFactory(requester=customer, subject="one")
    two = TicketFactory(requester=customer, subject="two")

    job = zenpy_api.client.tickets.update(
        [Ticket(id=one.pk, status="pending"), Ticket(id=two.pk, priority="urgent")]
    )

    assert isinstance(job, JobStatus)
    sent = zenpy_api.last("PUT")
    assert sent.url == f"{server_url}/api/v2/tickets/update_many.json"
    assert sent.body == {
        "tickets": [{"id": one.pk, "status": "pending"}, {"id": two.pk, "priority": "urgent"}]
    }
    done = wait_for(zenpy_api, job)
    assert [(r.id, r.action, r.status, r.success) for r in done.results] == [
        (one.pk, "update", "Updated", True),
        (two.pk, "update", "Updated", True),
    ]
    assert zenpy_api.client.tickets(id=one.pk).status == "pending"
    assert zenpy_api.client.tickets(id=two.pk).priority == "urgent"

    listed: Any = zenpy_api.client.job_status(ids=[done.id])
    assert zenpy_api.last("GET").url.startswith(
        f"{server_url}/api/v2/job_statuses/show_many.json?ids="
    )
    assert [(j.id, j.status) for j in listed["job_statuses"]] == [(done.id, "completed")]


def test_ticket_import_create_many_returns_a_job_status(
    zenpy_api: ZenpyHarness, server_url: str, customer: User
) -> None:
    job = zenpy_api.client.ticket_import.create(
        [
            Ticket(
                subject=f"Old {n}",
                requester_id=customer.pk,
                created_at="2024-01-02T09:00:00Z",
                comments=[
                    Comment(author_id=customer.pk, value="Hello", created_at="2024-01-02T09:00:00Z")
                ],
            )
            for n in (1, 2)
        ]
    )

    assert isinstance(job, JobStatus)
    assert zenpy_api.last("POST").url == f"{server_url}/api/v2/imports/tickets/create_many.json"
    done = wait_for(zenpy_api, job)
    assert done.status == "completed"
    imported = [zenpy_api.client.tickets(id=result.id) for result in done.results]
    assert [(t.subject, t.created_at) for t in imported] == [
        ("Old 1", "2024-01-02T09:00:00Z"),
        ("Old 2", "2024-01-02T09:00:00Z"),
    ]
