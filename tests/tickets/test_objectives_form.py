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
