"""A ticket written as a user writes it through the Tickets API: validated with the API's
input, with its rules for who may set what (end users request their own tickets and may only
comment on them; an agent's requester may be found or created by email; the submitter writes
the first comment). One path for the single endpoints and the bulk jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from rest_framework import exceptions, serializers

from slaweb.api.errors import Conflict, RecordInvalid
from slaweb.api.fields import StrictBooleanField, StrictCharField
from slaweb.api.timestamps import iso
from tickets import services
from tickets.inputs import TicketInputSerializer, with_custom_status
from tickets.models import User


def ticket_create_as(*, user: User, data: Any, now: datetime) -> services.TicketSave:
    """A ticket from a Tickets API `ticket` object, created as `user` creates one with
    POST /api/v2/tickets: end users request their own tickets, an agent's requester may be
    found or created by email, the submitter writes the first comment (or the description).
    Raises the validation errors that endpoint answers; writes nothing then."""
    if not isinstance(data, dict):
        raise RecordInvalid(
            {"base": [{"description": "base: a ticket must be a JSON object", "error": "Invalid"}]}
        )
    serializer = TicketInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    fields = with_custom_status(dict(serializer.validated_data))
    with transaction.atomic():
        requester = fields.pop("requester", None)
        if not user.is_agent:
            fields["requester_id"] = user.pk
            fields.pop("submitter_id", None)
        elif requester is not None and "requester_id" not in fields:
            fields["requester_id"] = services.requester_find_or_create(**requester).pk
        fields.setdefault("requester_id", user.pk)
        submitter = fields.pop("submitter_id", user.pk)
        comment = services.new_comment(
            fields.pop("comment", None), default_author_id=submitter, by=user
        )
        if comment is None and fields.get("description"):
            comment = services.NewComment(fields["description"], True, submitter)
        if comment is None:
            raise RecordInvalid(
                {
                    "comment": [
                        {
                            "description": "Comment: a new ticket needs a comment",
                            "error": "BlankValue",
                        }
                    ]
                }
            )
        return services.ticket_create_audited(
            fields=fields, submitter_id=submitter, comment=comment, now=now
        )


class TicketUpdateInputSerializer(TicketInputSerializer):
    """A ticket update (one, or an item of update_many): the Tickets API's fields, the tags
    to add and to remove (Zendesk's `additional_tags` and `remove_tags`), and Zendesk's
    protection against update collisions: with `safe_update`, the update applies only if
    the ticket was last updated at `updated_stamp`."""

    additional_tags = serializers.ListField(child=StrictCharField(max_length=80), required=False)
    remove_tags = serializers.ListField(child=StrictCharField(max_length=80), required=False)
    safe_update = StrictBooleanField(
        required=False, help_text="Refuse the update (409) unless updated_stamp is current"
    )
    updated_stamp = serializers.DateTimeField(
        required=False, help_text="The ticket's updated_at as last read; needed by safe_update"
    )

    def validate_additional_tags(self, tags: list[str]) -> list[str]:
        return self.validate_tags(tags)

    def validate_remove_tags(self, tags: list[str]) -> list[str]:
        return self.validate_tags(tags)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("safe_update") and "updated_stamp" not in attrs:
            raise serializers.ValidationError(
                {"updated_stamp": ["is required when safe_update is true"]}
            )
        return attrs


def ticket_update_as(
    *,
    user: User,
    ticket_id: int,
    data: Any,
    now: datetime,
) -> services.TicketSave:
    """A Tickets API update of one ticket as `user` makes it with PUT /api/v2/tickets/{id}:
    end users see only their tickets and may only comment, a closed ticket takes no update.
    Raises what that endpoint answers (Ticket.DoesNotExist is its 404); writes nothing then."""
    if not isinstance(data, dict):
        raise RecordInvalid(
            {"base": [{"description": "base: a ticket must be a JSON object", "error": "Invalid"}]}
        )
    with transaction.atomic():
        # Locked before anything the save depends on is read, and read once.
        ticket = services.ticket_for_update(
            ticket_id, requester_id=None if user.is_agent else user.pk
        )
        serializer = TicketUpdateInputSerializer(data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if ticket.status == "closed":
            raise RecordInvalid(
                {
                    "status": [
                        {
                            "description": "Status: closed prevents ticket update",
                            "error": "InvalidValue",
                        }
                    ]
                }
            )
        stamp = fields.pop("updated_stamp", None)
        # To the second, as updated_at is kept and answered (two updates within one second
        # share a stamp, as in Zendesk).
        if fields.pop("safe_update", False) and stamp.replace(microsecond=0) != ticket.updated_at:
            raise Conflict(
                "UpdateConflict",
                "Safe Update prevented the update due to outdated ticket data: the ticket was "
                f"updated at {iso(ticket.updated_at)}. Fetch it again and retry.",
            )
        if not user.is_agent and set(fields) - {"comment"}:
            raise exceptions.PermissionDenied("End users may only add comments")
        added = fields.pop("additional_tags", [])
        removed = set(fields.pop("remove_tags", []))
        if added or removed:
            base = fields.get("tags", ticket.tags)
            fields["tags"] = [tag for tag in dict.fromkeys([*base, *added]) if tag not in removed]
        requester = fields.pop("requester", None)
        if requester is not None and "requester_id" not in fields:
            fields["requester_id"] = services.requester_find_or_create(**requester).pk
        fields.pop("submitter_id", None)
        comment = services.new_comment(
            fields.pop("comment", None), default_author_id=user.pk, by=user
        )
        return services.ticket_update_locked(
            ticket, fields=fields, author_id=user.pk, comment=comment, now=now
        )
