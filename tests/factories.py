from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import factory

from policies import services as policy_services
from policies.models import Policy
from tickets import services as ticket_services
from tickets.models import (
    Brand,
    CustomField,
    CustomStatus,
    Group,
    Organization,
    SupportAddress,
    Ticket,
    TicketField,
    TicketFieldOption,
    TicketForm,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    role = "end-user"
    password = factory.django.Password("correct horse battery staple")


# Ticket fields TicketFactory also takes as objects, for their `_id`.
RELATED_FIELDS = ("group", "assignee", "organization", "brand", "ticket_form", "custom_status")


class TicketFactory(factory.Factory):
    """A ticket made as production makes one, through `tickets.services.ticket_create`: its
    first comment, its audit and its SLA rows are written as for a ticket from the API.

        TicketFactory(requester=customer, now=T0)
        TicketFactory(priority="urgent", group=billing, assignee=agent, tags=["vip"])
        TicketFactory(status="solved", created_at=T0 - HOUR, comment_body="It broke")

    `now` (or `created_at`) is when it is created; the service truncates it to the second.
    Any other keyword is a ticket field for the service (`status`, `tags`, `group_id`, ...);
    `group`, `assignee`, `organization`, `brand`, `ticket_form` and `custom_status` may be
    given as objects. Without a `status` the service picks one ("new", or "open" with an
    assignee). The first comment is public and written by the submitter (the requester unless
    told otherwise); `comment_body=None` makes a ticket without one.
    """

    class Meta:
        model = Ticket

    requester = factory.SubFactory(UserFactory, role="end-user")
    submitter = factory.SelfAttribute("requester")
    subject = "Printer on fire"
    priority = "normal"
    now = factory.LazyFunction(lambda: datetime.now(UTC))
    comment_body = "help"
    comment_public = True
    comment_author = factory.SelfAttribute("submitter")
    via_id = 5

    @classmethod
    def _build(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        raise TypeError("TicketFactory only creates tickets (through the service)")

    @classmethod
    def _create(
        cls,
        model_class: type[Ticket],
        *,
        requester: User,
        submitter: User,
        now: datetime,
        comment_body: str | None,
        comment_public: bool,
        comment_author: User,
        via_id: int,
        **fields: Any,
    ) -> Ticket:
        now = fields.pop("created_at", now)
        for name in RELATED_FIELDS:
            if name in fields:
                related = fields.pop(name)
                fields[f"{name}_id"] = None if related is None else related.pk
        comment = None
        if comment_body is not None:
            comment = ticket_services.NewComment(
                body=comment_body, public=comment_public, author_id=comment_author.pk
            )
        return ticket_services.ticket_create(
            fields={**fields, "requester_id": requester.pk},
            submitter_id=submitter.pk,
            comment=comment,
            now=now,
            via_id=via_id,
        )


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")


class TicketFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketForm

    name = factory.Sequence(lambda n: f"Form {n}")


class TicketFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketField

    title = factory.Sequence(lambda n: f"Field {n}")
    type = "tagger"


class TicketFieldOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketFieldOption

    field = factory.SubFactory(TicketFieldFactory)
    name = factory.Sequence(lambda n: f"Option {n}")
    value = factory.Sequence(lambda n: f"option_{n}")


class CustomStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomStatus

    status_category = "open"
    agent_label = factory.Sequence(lambda n: f"Status {n}")


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    owner = "user"
    key = factory.Sequence(lambda n: f"field_{n}")
    title = factory.Sequence(lambda n: f"Custom field {n}")
    type = "text"


class SupportAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportAddress

    email = factory.Sequence(lambda n: f"support{n}@example.com")


def metric(
    priority: str = "normal",
    name: str = "first_reply_time",
    minutes: int = 60,
    business_hours: bool = False,
) -> dict[str, Any]:
    return {
        "priority": priority,
        "metric": name,
        "target_seconds": minutes * 60,
        "business_hours": business_hours,
    }


def make_policy(
    title: str = "Policy",
    *,
    filter: dict[str, list[dict[str, Any]]] | None = None,
    metrics: list[dict[str, Any]] | None = None,
    description: str | None = None,
    position: int | None = None,
) -> Policy:
    """Policies are made through the service, so positions stay 1..n as in real use."""
    return policy_services.policy_create(
        title=title,
        description=description,
        filter=filter
        or {"all": [{"field": "type", "operator": "is", "value": "incident"}], "any": []},
        policy_metrics=metrics if metrics is not None else [metric()],
        position=position,
    )
