"""Load a demo account (idempotent) and print the demo sign-ins and fresh API tokens.

The account has brands, groups, people, a business-hours schedule with holidays, several SLA
policies, two group SLA policies (how long Tier 1 and Tier 2 may hold a ticket), custom statuses
and a few hundred tickets with histories over the last two weeks, made through the
same services as the API, so countdowns, breaches and reports have something to show.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from policies import services as policy_services
from policies.inputs import GroupSlaPolicyInputSerializer, PolicyInputSerializer
from policies.models import GroupSlaPolicy, Policy, Schedule
from tickets import services
from tickets.models import (
    ApiToken,
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
from tickets.selectors import policy_input_context

DEMO_PASSWORD = "slaweb-demo"
CURL_PATHS = {
    "admin": "/api/v2/slas/policies.json",
    "agent": "/api/v2/tickets.json?include=slas",
}
PEOPLE = [
    ("Ada Admin", "admin@example.com", "admin"),
    ("Alan Agent", "agent@example.com", "agent"),
    ("Grace Agent", "grace@example.com", "agent"),
    ("Erin End-User", "erin@example.com", "end-user"),
    ("Sam Silver", "sam@silver.example.com", "end-user"),
]


def demo_policies(brand: Brand, silver: Organization) -> list[dict[str, Any]]:
    def targets(
        metric: str, minutes: dict[str, int], business: bool = False
    ) -> list[dict[str, Any]]:
        return [
            {"priority": p, "metric": metric, "target": m, "business_hours": business}
            for p, m in minutes.items()
        ]

    return [
        {
            "title": "Silver Plan",
            "description": "Organizations: Silver Plan",
            "filter": {
                "all": [{"field": "organization_id", "operator": "is", "value": silver.pk}],
                "any": [],
            },
            "policy_metrics": targets("first_reply_time", {"urgent": 30, "high": 60})
            + targets("total_resolution_time", {"urgent": 480, "high": 960}),
        },
        {
            "title": "Incidents",
            "description": "For urgent incidents, we will respond to tickets in 10 minutes",
            "filter": {
                "all": [
                    {"field": "type", "operator": "is", "value": "incident"},
                    {"field": "brand_id", "operator": "is", "value": brand.pk},
                ],
                "any": [],
            },
            "policy_metrics": targets(
                "first_reply_time", {"low": 60, "normal": 30, "high": 20, "urgent": 10}
            )
            + targets(
                "requester_wait_time", {"low": 180, "normal": 160, "high": 140, "urgent": 120}
            ),
        },
        {
            "title": "Everything else",
            "description": None,
            "filter": {"all": [], "any": []},
            "policy_metrics": targets(
                "first_reply_time", {"low": 480, "normal": 240, "high": 120, "urgent": 60}, True
            )
            + targets("next_reply_time", {"low": 480, "normal": 240, "high": 120, "urgent": 60}),
        },
    ]


class Command(BaseCommand):
    help = __doc__

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        brand, _ = Brand.objects.get_or_create(name="Support", defaults={"subdomain": "support"})
        Brand.objects.get_or_create(name="Enterprise", defaults={"subdomain": "enterprise"})
        silver, _ = Organization.objects.get_or_create(
            name="Silver Plan Inc", defaults={"organization_fields": {"plan": "silver"}}
        )
        Organization.objects.get_or_create(
            name="Gold Corp", defaults={"organization_fields": {"plan": "gold"}}
        )
        tier1, _ = Group.objects.get_or_create(name="Tier 1")
        tier2, _ = Group.objects.get_or_create(name="Tier 2")
        TicketForm.objects.get_or_create(name="Default ticket form")
        TicketForm.objects.get_or_create(name="Billing question", defaults={"position": 1})
        product, _ = TicketField.objects.get_or_create(title="Product", defaults={"type": "tagger"})
        for position, name in enumerate(["Web app", "Mobile app", "API"]):
            TicketFieldOption.objects.get_or_create(
                field=product,
                value=name.lower().replace(" ", "_"),
                defaults={"name": name, "position": position},
            )
        CustomField.objects.get_or_create(
            owner="organization",
            key="plan",
            defaults={
                "title": "Plan",
                "type": "dropdown",
                "options": [
                    {"name": "Silver", "value": "silver"},
                    {"name": "Gold", "value": "gold"},
                ],
            },
        )
        CustomField.objects.get_or_create(
            owner="user", key="vip", defaults={"title": "VIP", "type": "checkbox"}
        )
        for category, label in [
            ("new", "New"),
            ("open", "Open"),
            ("pending", "Pending"),
            ("pending", "Waiting on customer's IT"),
            ("hold", "On-hold"),
            ("hold", "Waiting on vendor"),
            ("solved", "Solved"),
        ]:
            CustomStatus.objects.get_or_create(
                status_category=category, agent_label=label, defaults={"end_user_label": label}
            )
        SupportAddress.objects.get_or_create(
            email="support@example.com", defaults={"name": "Support", "brand": brand}
        )

        lines = []
        for name, email, role in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = services.user_create(
                    name=name,
                    email=email,
                    role=role,
                    password=DEMO_PASSWORD if role != "end-user" else None,
                    organization_id=silver.pk if "silver" in email else None,
                    default_group_id=tier1.pk if role != "end-user" else None,
                )
            if role == "end-user":
                continue
            ApiToken.objects.filter(user=user, description="demo").delete()
            token = services.api_token_create(user=user, description="demo")
            lines.append((role, email, token))

        if not Policy.objects.exists():
            for data in demo_policies(brand, silver):
                serializer = PolicyInputSerializer(data=data, context=policy_input_context())
                serializer.is_valid(raise_exception=True)
                policy_services.policy_create(**serializer.validated_data)

        if not Schedule.objects.exists():
            schedule = policy_services.schedule_create(
                name="Support hours", time_zone="America/New_York"
            )
            today = timezone.now().date()
            for name, day in demo_holidays(today):
                policy_services.holiday_create(
                    schedule_id=schedule.pk, name=name, start_date=day, end_date=day
                )
        if not GroupSlaPolicy.objects.exists():
            for data in demo_group_policies(tier1, tier2):
                group_input = GroupSlaPolicyInputSerializer(
                    data=data, context=policy_input_context()
                )
                group_input.is_valid(raise_exception=True)
                policy_services.group_sla_policy_create(**group_input.validated_data)
        if not Ticket.objects.exists():
            demo_tickets(now=timezone.now())

        # The address the server answers on: `make run` sets it from HOST and PORT.
        base_url = settings.SLAWEB_BASE_URL.rstrip("/")
        self.stdout.write(f"\nslaweb demo account is ready: {base_url}/admin/\n")
        for role, email, token in lines:
            self.stdout.write(
                f"  {role:6} sign-in {email} / {DEMO_PASSWORD}   API token: {token}\n"
                f"         curl -u {email}/token:{token} {base_url}{CURL_PATHS[role]}\n"
            )


def demo_group_policies(tier1: Group, tier2: Group) -> list[dict[str, Any]]:
    """Each team's promise of how long it holds a ticket (group ownership time, in seconds)."""

    def targets(hours: dict[str, float]) -> list[dict[str, Any]]:
        return [
            {
                "priority": priority,
                "metric": "group_ownership_time",
                "target": int(value * 3600),
                "business_hours": True,
            }
            for priority, value in hours.items()
        ]

    def holds(group: Group) -> dict[str, Any]:
        return {"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]}

    return [
        {
            "title": "Tier 2 holds escalations",
            "description": "Tier 2 solves or hands on an escalation within 4 business hours.",
            "filter": holds(tier2),
            "policy_metrics": targets({"urgent": 4, "high": 8, "normal": 16, "low": 24}),
        },
        {
            "title": "Tier 1 triages",
            "description": "Tier 1 solves or escalates within a business day.",
            "filter": holds(tier1),
            "policy_metrics": targets({"urgent": 1, "high": 2, "normal": 8, "low": 8}),
        },
    ]


def demo_holidays(today: date) -> list[tuple[str, date]]:
    """A few days off around today, so business-hour deadlines visibly skip them."""
    return [
        ("Company offsite", today - timedelta(days=9)),
        ("Founders day", today + timedelta(days=6)),
        ("New Year's Day", date(today.year + 1, 1, 1)),
    ]


SUBJECTS = [
    "Cannot sign in",
    "Invoice shows the wrong amount",
    "Export to CSV fails",
    "Mobile app crashes on start",
    "How do I add a teammate?",
    "API returns 429",
    "Password reset email never arrives",
    "Dashboard is slow",
    "Feature request: dark mode",
    "Data missing after import",
]


def demo_tickets(*, now: datetime, count: int = 240, seed: int = 7) -> None:
    """Tickets with plausible histories: a customer writes, agents reply, some wait on the
    customer, most get solved, some are still open and some have breached."""
    rng = random.Random(seed)
    customers = list(User.objects.filter(role="end-user"))
    agents = list(User.objects.filter(role__in=["agent", "admin"]))
    brands = list(Brand.objects.all())
    groups = list(Group.objects.all())
    for number in range(count):
        customer = rng.choice(customers)
        # Nearly half arrived in the last working day, so countdowns are running; the rest
        # go back two weeks and are mostly solved.
        recent = rng.random() < 0.45
        minutes = rng.randint(2, 8 * 60) if recent else rng.randint(8 * 60, 14 * 24 * 60)
        created = now - timedelta(minutes=minutes)
        fields = {
            "subject": rng.choice(SUBJECTS),
            "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
            "type": rng.choice(["question", "incident", "incident", "problem", "task"]),
            "requester_id": customer.pk,
            "brand_id": rng.choice(brands).pk,
            "group_id": rng.choice(groups).pk,
            "tags": rng.sample(
                ["vip", "billing", "mobile", "api", "onboarding"], k=rng.randint(0, 2)
            ),
        }
        first = services.NewComment(
            body=f"Ticket {number}: please help.", public=True, author_id=customer.pk
        )
        ticket = services.ticket_create(
            fields=fields, submitter_id=customer.pk, comment=first, now=created
        )
        moment = created
        agent = rng.choice(agents)
        for step in range(rng.randint(0, 2) if recent else rng.randint(2, 5)):
            moment += timedelta(minutes=rng.randint(5, 60 if recent else 20 * 60))
            if moment >= now:
                break
            if step % 2 == 0:
                status = rng.choice(["open", "pending", "pending", "solved"])
                reply = services.NewComment(
                    body="Thanks, we are on it.", public=True, author_id=agent.pk
                )
                services.ticket_update(
                    ticket_id=ticket.pk,
                    fields={"status": status, "assignee_id": agent.pk},
                    author_id=agent.pk,
                    comment=reply,
                    now=moment,
                )
                if status == "solved":
                    break
            else:
                answer = services.NewComment(
                    body="Still happening.", public=True, author_id=customer.pk
                )
                services.ticket_update(
                    ticket_id=ticket.pk,
                    fields={},
                    author_id=customer.pk,
                    comment=answer,
                    now=moment,
                )
