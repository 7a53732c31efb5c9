"""The objectives form says what is wrong beside the field, never a database constraint name."""

from __future__ import annotations

import re

from django.test import Client

from tests.factories import UserFactory, make_policy
from tickets.models import ServiceLevelObjective

ADD = "/admin/tickets/servicelevelobjective/add/"


def test_a_target_rate_out_of_range_is_an_error_beside_the_field(db: None) -> None:
    client = Client()
    client.force_login(UserFactory(role="admin", email="lead@example.com"))
    policy = make_policy("P")
    page = client.post(
        ADD,
        {
            "title": "Replies",
            "policy": policy.pk,
            "metric": "",
            "priority": "",
            "target_rate": "100",
            "window_days": "30",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Constraint" not in html
    assert "slo_target_rate_range" not in html
    row = re.search(r'<div class="form-row[^"]*field-target_rate.*?</div>\s*</div>', html, re.S)
    assert row is not None
    assert "errorlist" in row.group(0)
    assert not ServiceLevelObjective.objects.exists()


def test_an_objective_on_a_group_sla_policy_is_made_on_the_form(db: None) -> None:
    from policies import services as policy_services
    from tests.factories import GroupFactory

    client = Client()
    client.force_login(UserFactory(role="admin", email="lead@example.com"))
    tier2 = GroupFactory(name="Tier 2")
    group_policy = policy_services.group_sla_policy_create(
        title="Tier 2 holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [tier2.pk]}]},
        policy_metrics=[{"priority": "urgent", "target_seconds": 14400, "business_hours": True}],
    )
    both = client.post(
        ADD,
        {
            "title": "Escalations held in time",
            "policy": make_policy("P").pk,
            "group_policy": group_policy.pk,
            "metric": "",
            "priority": "",
            "target_rate": "95",
            "window_days": "30",
        },
    )
    assert both.status_code == 200  # one policy or the other, said in words
    assert "errorlist" in both.content.decode()
    assert not ServiceLevelObjective.objects.exists()

    made = client.post(
        ADD,
        {
            "title": "Escalations held in time",
            "policy": "",
            "group_policy": group_policy.pk,
            "metric": "group_ownership_time",
            "priority": "urgent",
            "target_rate": "95",
            "window_days": "30",
        },
    )
    assert made.status_code == 302
    objective = ServiceLevelObjective.objects.get()
    assert (objective.policy_id, objective.group_policy_id) == (None, group_policy.pk)
    assert objective.metric == "group_ownership_time"


def test_no_policy_chosen_is_said_in_the_form_s_words(db: None) -> None:
    client = Client()
    client.force_login(UserFactory(role="admin", email="lead@example.com"))
    for rate in ("95", "99.555"):  # alone, and beside another field's error
        page = client.post(
            ADD,
            {
                "title": "Replies",
                "policy": "",
                "group_policy": "",
                "metric": "",
                "priority": "",
                "target_rate": rate,
                "window_days": "30",
            },
        )
        assert page.status_code == 200
        html = page.content.decode()
        assert "Choose an SLA policy or a group SLA policy: one of them, not both." in html
        assert "slo_one_policy" not in html
        assert "group_sla_policy_id" not in html
    assert not ServiceLevelObjective.objects.exists()
