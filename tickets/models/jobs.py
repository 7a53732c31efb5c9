"""Background jobs of the bulk endpoints (Zendesk's job statuses) and their per-item results."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models

from tickets.models.accounts import User


def new_job_status_id() -> str:
    """An opaque id like Zendesk's: 32 hexadecimal characters."""
    return secrets.token_hex(16)


class JobStatus(models.Model):
    """One bulk request, worked through item by item in the background (tickets/jobs.py).

    `items` holds what each item asks for, in request order; an item is done once it has a
    `JobStatusResult`, which is written in the same transaction as the item's own writes, so a
    job that stops (a crash, a deploy) continues where it was and never does an item twice.
    `current_index` and `current_attempts` say which item a run last started and how many runs
    have started it: an item that keeps stopping the job is reported failed instead of retried.
    """

    STATUSES: ClassVar = ["queued", "working", "completed", "failed", "killed"]
    FINISHED: ClassVar = ("completed", "failed", "killed")
    KINDS: ClassVar = [
        ("tickets.create_many", "create many tickets"),
        ("tickets.update_many", "update many tickets"),
        ("imports.tickets.create_many", "import many tickets"),
    ]

    public_id = models.CharField(max_length=32, unique=True, default=new_job_status_id)
    kind = models.CharField(max_length=32, choices=KINDS)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    items = models.JSONField(default=list)
    status = models.CharField(max_length=9, choices=[(s, s) for s in STATUSES], default="queued")
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    message = models.TextField(null=True, blank=True)
    current_index = models.PositiveIntegerField(null=True, blank=True)
    current_attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The finish time in microseconds since 1970, for listing by completion as an integer.
    finished_order = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "job status"
        verbose_name_plural = "job statuses"
        indexes = [models.Index(fields=["status", "updated_at"], name="job_status_stale")]

    def __str__(self) -> str:
        return f"Job {self.public_id}: {self.get_kind_display()}, {self.status}"


class JobStatusResult(models.Model):
    """What became of one item of a job. `ticket_id` is the ticket created or updated (none
    for a create that failed); it is not a foreign key, so it stays as reported if the ticket
    is deleted later."""

    job = models.ForeignKey(JobStatus, on_delete=models.CASCADE, related_name="results")
    index = models.PositiveIntegerField()
    action = models.CharField(max_length=8)  # "create" or "update"
    ticket_id = models.BigIntegerField(null=True, blank=True)
    success = models.BooleanField()
    error = models.CharField(max_length=64, blank=True)
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="job_status_result_once")
        ]
        verbose_name = "job item result"

    def __str__(self) -> str:
        outcome = "ok" if self.success else self.error
        return f"Job {self.job_id} item {self.index}: {outcome}"
