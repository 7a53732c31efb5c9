from __future__ import annotations

from typing import Any

import factory

from policies import services as policy_services
from policies.models import Policy
from tickets.models import (
    Brand,
    CustomField,
    CustomStatus,
    Group,
    Organization,
    SupportAddress,
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
