"""The account's admin pages write through the services the API calls: they refuse what the
API refuses, as form errors with what the admin typed kept, and never fail."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from tests.factories import (
    BrandFactory,
    GroupFactory,
    OrganizationFactory,
    TicketFactory,
    TicketFieldFactory,
    UserFactory,
    make_policy,
)
from tickets import account_services
from tickets.models import Brand, Group, Organization, TicketField, User

pytestmark = pytest.mark.django_db
# Deeper than the decoder can go, and merely deeper than slaweb reads.
DEEP = "[" * 5000 + "]" * 5000
NESTED_33 = "{" + '"a": {' * 32 + "}" * 33


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def user_form(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "New Agent",
        "email": "new.agent@example.com",
        "role": "agent",
        "organization": "",
        "default_group": "",
        "time_zone": "UTC",
        "active": "on",
        "user_fields": "{}",
        "password1": "",
        **overrides,
    }


def user_change_form(user: User, **overrides: Any) -> dict[str, Any]:
    stored = {
        "name": user.name,
        "email": user.email or "",
        "role": user.role,
        "time_zone": user.time_zone,
    }
    return user_form(**{**stored, **overrides})


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


# Users ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_organization", [False, True])
def test_the_admin_adds_a_user_through_the_service(
    admin_browser: Client, with_organization: bool
) -> None:
    organization = OrganizationFactory()
    response = admin_browser.post(
        "/admin/tickets/user/add/",
        user_form(
            email="New.Agent@Example.com",
            organization=str(organization.pk) if with_organization else "",
            password1="a long enough secret",
        ),
    )
    assert response.status_code == 302, page_text(response)
    user = User.objects.get(name="New Agent")
    # The service stores emails lower-cased, as the API's users.
    assert user.email == "new.agent@example.com"
    assert user.organization_id == (organization.pk if with_organization else None)
    assert user.check_password("a long enough secret")


def test_the_last_admin_cannot_be_demoted_or_deactivated(
    admin_browser: Client, admin_user: User
) -> None:
    url = f"/admin/tickets/user/{admin_user.pk}/change/"
    for change in ({"role": "end-user"}, {"active": ""}):
        response = admin_browser.post(url, user_change_form(admin_user, **change))
        assert response.status_code == 200
        assert "The account's last admin cannot be deleted or lose the admin role" in page_text(
            response
        )
        admin_user.refresh_from_db()
        assert (admin_user.role, admin_user.active) == ("admin", True)
    UserFactory(role="admin", email="second@example.com")
    response = admin_browser.post(url, user_change_form(admin_user, role="agent"))
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.role == "agent"


def test_an_agent_without_an_email_is_refused_with_the_form_kept(admin_browser: Client) -> None:
    agent = UserFactory(role="agent", email="agent@example.com", name="Agnes")
    response = admin_browser.post(
        f"/admin/tickets/user/{agent.pk}/change/",
        user_change_form(agent, email="", name="Agnes Renamed"),
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "agents and admins need an email address" in text
    assert 'value="Agnes Renamed"' in text  # what the admin typed is still there
    agent.refresh_from_db()
    assert (agent.name, agent.email) == ("Agnes", "agent@example.com")


def test_an_email_taken_in_another_case_is_refused(admin_browser: Client) -> None:
    UserFactory(email="taken@example.com")
    response = admin_browser.post("/admin/tickets/user/add/", user_form(email="Taken@Example.com"))
    assert response.status_code == 200
    assert "is already being used by another user" in page_text(response)
    assert not User.objects.filter(name="New Agent").exists()


@pytest.mark.parametrize("password", ["a", "password", "12345678"])
def test_a_weak_password_is_refused(admin_browser: Client, password: str) -> None:
    agent = UserFactory(role="agent", email="agent@example.com")
    response = admin_browser.post(
        f"/admin/tickets/user/{agent.pk}/change/", user_change_form(agent, password1=password)
    )
    assert response.status_code == 200
    assert 'id="id_password1_error"' in response.content.decode()
    agent.refresh_from_db()
    assert not agent.check_password(password)


def test_time_zones_are_checked_and_stored_as_iana_names(admin_browser: Client) -> None:
    agent = UserFactory(role="agent", email="agent@example.com")
    url = f"/admin/tickets/user/{agent.pk}/change/"
    response = admin_browser.post(url, user_change_form(agent, time_zone="Mars/Olympus"))
    assert response.status_code == 200
    assert "'Mars/Olympus' is not a known time zone" in page_text(response)
    response = admin_browser.post(
        url, user_change_form(agent, time_zone="Eastern Time (US & Canada)")
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.time_zone == "America/New_York"


def test_cleared_json_boxes_mean_none_and_deep_json_is_a_form_error(
    admin_browser: Client,
) -> None:
    agent = UserFactory(role="agent", email="agent@example.com", user_fields={"tier": "gold"})
    url = f"/admin/tickets/user/{agent.pk}/change/"
    for deep in (DEEP, NESTED_33):
        response = admin_browser.post(url, user_change_form(agent, user_fields=deep))
        assert response.status_code == 200
        assert "The JSON is nested deeper than 32 levels." in page_text(response)
    response = admin_browser.post(url, user_change_form(agent, user_fields="[1, 2]"))
    assert response.status_code == 200
    assert "Enter a JSON object, such as {}." in page_text(response)
    response = admin_browser.post(url, user_change_form(agent, user_fields=""))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.user_fields == {}

    organization = OrganizationFactory(organization_fields={"plan": "gold", "seats": 3})
    url = f"/admin/tickets/organization/{organization.pk}/change/"
    form = {"name": organization.name, "external_id": "", "organization_fields": ""}
    assert admin_browser.post(url, form).status_code == 302
    organization.refresh_from_db()
    assert organization.organization_fields == {}
    # The box shows every field, so what it leaves out is gone (the API merges instead).
    organization.organization_fields = {"plan": "gold", "seats": 3}
    organization.save()
    form["organization_fields"] = '{"plan": "silver"}'
    assert admin_browser.post(url, form).status_code == 302
    organization.refresh_from_db()
    assert organization.organization_fields == {"plan": "silver"}


def test_deep_json_in_the_policy_and_backtest_pages_is_a_form_error(
    admin_browser: Client,
) -> None:
    response = admin_browser.post(
        "/admin/policies/policy/add/",
        {
            "title": "Deep",
            "description": "",
            "filter": '{"all": [], "any": []}',
            "policy_metrics": "[]",
            "metric_settings": DEEP,
        },
    )
    assert response.status_code == 200
    assert "The JSON is nested deeper than 32 levels." in page_text(response)
    response = admin_browser.post("/admin/reports/backtest/", {"sla_policies": DEEP, "days": "30"})
    assert response.status_code == 200
    assert "nested deeper than 32 levels" in page_text(response)


def test_users_are_deactivated_not_deleted(admin_browser: Client) -> None:
    agent = UserFactory(role="agent", email="agent@example.com")
    assert admin_browser.get(f"/admin/tickets/user/{agent.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=agent.pk).exists()


# Groups, organizations, brands and ticket fields ------------------------------------------


def test_a_group_in_use_is_not_deleted(admin_browser: Client) -> None:
    group = GroupFactory(name="Billing")
    TicketFactory(group=group)
    url = f"/admin/tickets/group/{group.pk}/delete/"
    page = admin_browser.get(url)
    assert page.status_code == 200
    text = page_text(page)
    assert "The group “Billing” cannot be deleted while it is in use:" in text
    assert "1 ticket assigned to it" in text
    assert admin_browser.post(url, {"post": "yes"}).status_code == 200
    assert Group.objects.filter(pk=group.pk).exists()


def test_a_group_nothing_uses_is_marked_deleted_as_zendesk_does(admin_browser: Client) -> None:
    group = GroupFactory(name="Old team")
    response = admin_browser.post(f"/admin/tickets/group/{group.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert Group.with_deleted.get(pk=group.pk).deleted


def test_an_organization_named_by_a_policy_is_not_deleted(admin_browser: Client) -> None:
    organization = OrganizationFactory(name="Acme")
    make_policy(
        "Acme plan",
        filter={
            "all": [{"field": "organization_id", "operator": "is", "value": str(organization.pk)}]
        },
    )
    url = f"/admin/tickets/organization/{organization.pk}/delete/"
    text = page_text(admin_browser.get(url))
    assert "The organization “Acme” cannot be deleted while it is in use:" in text
    assert "Acme plan" in text
    admin_browser.post(url, {"post": "yes"})
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_the_bulk_delete_deletes_none_while_one_is_in_use(admin_browser: Client) -> None:
    used, unused = BrandFactory(name="Used"), BrandFactory(name="Unused")
    TicketFactory(brand=used)
    selection = {"action": "delete_selected", "_selected_action": [used.pk, unused.pk]}
    page = admin_browser.post("/admin/tickets/brand/", selection)
    assert page.status_code == 200
    assert "cannot be deleted while they are in use" in page_text(page)
    admin_browser.post("/admin/tickets/brand/", {**selection, "post": "yes"})
    assert set(Brand.objects.values_list("name", flat=True)) == {"Used", "Unused"}
    response = admin_browser.post(
        "/admin/tickets/brand/",
        {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert set(Brand.objects.values_list("name", flat=True)) == {"Used"}


def test_a_ticket_field_with_values_on_tickets_is_not_deleted(admin_browser: Client) -> None:
    field = TicketFieldFactory(title="Plan")
    TicketFactory(custom_fields={str(field.pk): "gold"})
    url = f"/admin/tickets/ticketfield/{field.pk}/delete/"
    assert "a value on 1 ticket" in page_text(admin_browser.get(url))
    admin_browser.post(url, {"post": "yes"})
    assert TicketField.objects.filter(pk=field.pk).exists()


def test_a_group_name_taken_is_a_form_error(admin_browser: Client) -> None:
    GroupFactory(name="Billing")
    response = admin_browser.post(
        "/admin/tickets/group/add/", {"name": "Billing", "description": "Second"}
    )
    assert response.status_code == 200
    assert Group.objects.filter(name="Billing").count() == 1


def test_a_hand_made_agent_id_no_column_holds_is_a_form_error(admin_browser: Client) -> None:
    response = admin_browser.post(
        "/admin/tickets/group/add/",
        {"name": "Tier 3", "description": "", "agents": ["99999999999999999999"]},
    )
    assert response.status_code == 200
    assert "Select a valid choice. 99999999999999999999 is not one of the available choices." in (
        page_text(response)
    )
    assert not Group.objects.filter(name="Tier 3").exists()


def options_form(field: TicketField, rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """The ticket field page as submitted: the field and its options inline."""
    form = {
        "title": field.title,
        "position": str(field.position),
        "active": "on",
        "options-TOTAL_FORMS": str(len(rows)),
        "options-INITIAL_FORMS": str(sum(1 for row in rows if "id" in row)),
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            form[f"options-{n}-{key}"] = value
        form[f"options-{n}-field"] = str(field.pk)
    return form


def test_ticket_field_options_a_policy_names_are_kept(admin_browser: Client) -> None:
    field = account_services.ticket_field_create(
        title="Plan",
        type="tagger",
        custom_field_options=[
            {"name": "Gold", "value": "gold"},
            {"name": "Silver", "value": "silver"},
        ],
    )
    gold, silver = field.options.order_by("position")
    make_policy(
        "Named",
        filter={
            "all": [
                {"field": f"ticket_fields_{field.pk}", "operator": "includes", "value": [gold.pk]}
            ]
        },
    )
    url = f"/admin/tickets/ticketfield/{field.pk}/change/"
    rows = [
        {"id": str(gold.pk), "name": "Gold", "value": "gold", "position": "0"},
        {"id": str(silver.pk), "name": "Silver", "value": "silver", "position": "1"},
    ]
    before = list(field.options.values_list("pk", "name", "value"))
    for changed in (
        [{**rows[0], "value": "golden"}, rows[1]],  # retags gold
        [{**rows[0], "DELETE": "on"}, rows[1]],  # drops gold
    ):
        response = admin_browser.post(url, options_form(field, changed, title="Renamed"))
        assert response.status_code == 200, response.content.decode()[:500]
        assert "SLA policy 'Named' names it in a condition" in page_text(response)
        assert list(field.options.values_list("pk", "name", "value")) == before
        assert TicketField.objects.get(pk=field.pk).title == "Plan"
    response = admin_browser.post(url, options_form(field, rows, active=""))
    assert response.status_code == 200
    assert TicketField.objects.get(pk=field.pk).active
    # What the policy does not name changes as asked.
    silver_row = {**rows[1], "name": "Silver plan"}
    new_row = {"name": "Bronze", "value": "bronze", "position": "2"}
    response = admin_browser.post(url, options_form(field, [rows[0], silver_row, new_row]))
    assert response.status_code == 302, page_text(response)[:2000]
    assert list(field.options.order_by("position").values_list("name", "value")) == [
        ("Gold", "gold"),
        ("Silver plan", "silver"),
        ("Bronze", "bronze"),
    ]


def test_a_ticket_field_is_added_with_its_options(admin_browser: Client) -> None:
    blank = TicketField(title="Tier", position=3)
    rows = [
        {"name": "One", "value": "tier_one", "position": "0"},
        {"name": "Two", "value": "tier_two", "position": "1"},
    ]
    response = admin_browser.post(
        "/admin/tickets/ticketfield/add/", {**options_form(blank, rows), "type": "tagger"}
    )
    assert response.status_code == 302, page_text(response)[:2000]
    field = TicketField.objects.get(title="Tier")
    assert (field.type, field.position) == ("tagger", 3)
    assert list(field.options.order_by("position").values_list("value", flat=True)) == [
        "tier_one",
        "tier_two",
    ]


def test_a_bulk_delete_refused_at_the_last_moment_leaves_no_trace(
    admin_browser: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something starts using a brand between the confirmation and the delete: nothing is
    deleted and the history records no deletion."""
    from django.contrib.admin.models import DELETION, LogEntry

    from tickets.admin.accounts import BrandAdmin

    used, unused = BrandFactory(name="Used"), BrandFactory(name="Unused")
    TicketFactory(brand=used)
    monkeypatch.setattr(BrandAdmin, "uses", lambda self, pk: [])  # the page saw no use
    response = admin_browser.post(
        "/admin/tickets/brand/",
        {"action": "delete_selected", "_selected_action": [used.pk, unused.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert "is still in use: 1 ticket in it" in page_text(response)
    assert set(Brand.objects.values_list("name", flat=True)) == {"Used", "Unused"}
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_a_delete_refused_at_the_last_moment_says_why(
    admin_browser: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tickets.admin.accounts import GroupAdmin

    group = GroupFactory(name="Billing")
    TicketFactory(group=group)
    monkeypatch.setattr(GroupAdmin, "uses", lambda self, pk: [])
    url = f"/admin/tickets/group/{group.pk}/delete/"
    response = admin_browser.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Group 'Billing' is still in use: 1 ticket assigned to it" in page_text(response)
    assert Group.objects.filter(pk=group.pk).exists()


def test_a_name_taken_in_a_race_comes_back_on_the_form(
    admin_browser: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form saw the name free; the service finds it taken: the refusal shows beside
    the name, with what was typed."""
    from tickets.account_services import NameTaken

    def taken(**_: Any) -> None:
        raise NameTaken()

    monkeypatch.setattr(account_services, "brand_create", taken)
    response = admin_browser.post(
        "/admin/tickets/brand/add/", {"name": "Acme", "subdomain": "acme", "active": "on"}
    )
    assert response.status_code == 200
    text = page_text(response)
    assert 'id="id_name_error"' in response.content.decode()
    assert "has already been taken" in text
    assert 'value="Acme"' in text
    assert not Brand.objects.exists()


def test_the_pages_refuse_what_the_api_refuses(admin_browser: Client) -> None:
    """The rules live in the services, so a page refuses what the API does."""
    OrganizationFactory(name="Acme")
    BrandFactory(name="Main", subdomain="main")
    group = GroupFactory(name="Billing")
    cases = [
        ("/admin/tickets/organization/add/", {"name": "acme", "organization_fields": ""}, "name"),
        (
            "/admin/tickets/organization/add/",
            {"name": "Globex", "organization_fields": '{"plan": {"nested": 1}}'},
            "organization_fields",
        ),
        ("/admin/tickets/group/add/", {"name": "billing", "description": ""}, "name"),
        ("/admin/tickets/brand/add/", {"name": "Other", "subdomain": "Has_Under"}, "subdomain"),
        ("/admin/tickets/brand/add/", {"name": "Other", "subdomain": "MAIN"}, "subdomain"),
        (
            "/admin/tickets/user/add/",
            user_form(role="end-user", email="", default_group=str(group.pk)),
            "default_group",
        ),
    ]
    for url, form, field in cases:
        response = admin_browser.post(url, form)
        assert response.status_code == 200, (url, form)
        assert f'id="id_{field}_error"' in response.content.decode(), (url, form)
    assert Organization.objects.count() == 1
    assert (Group.objects.count(), Brand.objects.count()) == (1, 1)
    assert not User.objects.filter(name="New Agent").exists()
