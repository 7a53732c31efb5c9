"""Ticket creations sent with an `Idempotency-Key` header, and what they answered."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from tickets.models.accounts import User


class IdempotentRequest(models.Model):
    """One user's key for one ticket creation: the request's digest and the answer to replay.

    The row is written in the creation's own transaction, so a concurrent repeat waits on the
    unique key until the first one commits (and then replays its answer) or rolls back (and
    then creates the ticket itself). A key is remembered for `LIFETIME`, as in Zendesk.
    """

    LIFETIME = timedelta(hours=2)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the request body in a canonical JSON form.
    request_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    # The answer; null only inside the transaction that is making it.
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key"),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="idempotent_request_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"
