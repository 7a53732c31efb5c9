"""The SLA policy pages in a real browser: the ordered list with drag and keyboard reordering,
and the editor with its condition builder, target grid, impact preview and shadow warning."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies import selectors, services
from policies.models import Policy
from tests.factories import CustomStatusFactory, GroupFactory, TicketFactory, make_policy, metric

EVERYTHING: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
LIST = "/admin/policies/policy/"


def typed(kind: str) -> dict[str, list[dict[str, Any]]]:
    return {"all": [{"field": "type", "operator": "is", "value": kind}], "any": []}


@pytest.fixture
def abc(transactional_db: None) -> list[Policy]:
    return [
        make_policy(name, filter=typed(kind))
        for name, kind in zip(
            ["Alpha", "Bravo", "Charlie"], ["incident", "question", "task"], strict=True
        )
    ]


def titles_in_db() -> list[str]:
    return list(Policy.objects.order_by("position").values_list("title", flat=True))


def titles_on_page(page: Any) -> list[str]:
    return page.locator("#result_list tbody .field-title").all_inner_texts()


def status(page: Any) -> Any:
    return page.locator("#policy-order-status")


def drag(page: Any, source: Any, target: Any) -> None:
    """Drag `source` (a handle) to just above `target`, in small steps as a hand would."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2 - 5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 2, steps=20)
    page.mouse.up()


def confirm_move(page: Any, impact: str = "Moves no open ticket to another policy") -> None:
    """Save a move once its impact is on screen."""
    expect(page.locator("#policy-order-impact")).to_contain_text(impact)
    page.get_by_role("button", name="Save the new order").click()


def wait_for_preview(page: Any) -> None:
    """Until the impact preview shows the draft as it is now."""
    expect(page.locator('#policy-impact[data-state="current"]')).to_be_visible()


def condition_row(page: Any, group: str, index: int) -> Any:
    return page.locator(f'.policy-condition-list[data-group="{group}"] > li').nth(index)


def add_condition(page: Any, group: str, field: str, operator: str) -> Any:
    label = "All" if group == "all" else "Any"
    page.get_by_role("button", name=f"Add an “{label}” condition").click()
    rows = page.locator(f'.policy-condition-list[data-group="{group}"] > li')
    row = rows.nth(rows.count() - 1)
    row.get_by_label("Field").select_option(label=field)
    row.get_by_label("Operator").select_option(label=operator)
    return row


# The list ------------------------------------------------------------------------------------


def test_a_dragged_policy_stays_in_its_new_place(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    sign_in(make_user("admin"))
    page.goto(LIST)
    rows = page.locator("#result_list tbody tr")
    drag(page, rows.nth(2).locator(".policy-handle"), rows.nth(0))
    expect(status(page)).to_have_text("Move “Charlie” to position 1?")
    assert titles_in_db() == ["Alpha", "Bravo", "Charlie"]  # nothing saved before the answer
    confirm_move(page)
    expect(status(page)).to_have_text("Moved “Charlie” to position 1. Saved.")
    assert titles_on_page(page) == ["Charlie", "Alpha", "Bravo"]
    expect(page.locator("#result_list tbody .field-position")).to_have_text(["1", "2", "3"])
    page.reload()
    assert titles_on_page(page) == ["Charlie", "Alpha", "Bravo"]
    assert titles_in_db() == ["Charlie", "Alpha", "Bravo"]
    assert not page.console_errors


def test_the_up_and_down_buttons_reorder_from_the_keyboard(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    sign_in(make_user("admin"))
    page.goto(LIST)
    up = page.get_by_role("button", name="Move “Charlie” up")
    expect(page.get_by_role("button", name="Move “Alpha” up")).to_be_disabled()
    expect(page.get_by_role("button", name="Move “Charlie” down")).to_be_disabled()
    up.focus()
    page.keyboard.press("Enter")
    # The question takes the focus; answering it gives the focus back to the moved row.
    expect(page.locator("#policy-order-confirm")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save the new order")).to_be_enabled()
    page.get_by_role("button", name="Save the new order").press("Enter")
    expect(status(page)).to_have_text("Moved “Charlie” to position 2. Saved.")
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Save the new order")).to_be_enabled()
    page.get_by_role("button", name="Save the new order").press("Enter")
    expect(status(page)).to_have_text("Moved “Charlie” to position 1. Saved.")
    expect(page.get_by_role("button", name="Move “Charlie” down")).to_be_focused()
    assert titles_in_db() == ["Charlie", "Alpha", "Bravo"]
    page.get_by_role("button", name="Move “Alpha” down").press("Space")
    expect(page.locator("#policy-order-impact")).to_contain_text("Moves no open ticket")
    page.get_by_role("button", name="Cancel").press("Enter")
    expect(status(page)).to_have_text("Nothing moved: the order is as it was.")
    assert titles_on_page(page) == ["Charlie", "Alpha", "Bravo"]
    page.get_by_role("button", name="Move “Alpha” down").press("Space")
    confirm_move(page)
    expect(status(page)).to_have_text("Moved “Alpha” to position 3. Saved.")
    page.reload()
    assert titles_on_page(page) == ["Charlie", "Bravo", "Alpha"]


def test_an_order_changed_by_someone_else_is_not_overwritten(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    alpha, bravo, charlie = abc
    sign_in(make_user("admin"))
    page.goto(LIST)
    # Another admin moves Bravo to the top after this page was loaded.
    services.policy_reorder(policy_ids=[bravo.pk])
    page.get_by_role("button", name="Move “Charlie” up").click()
    confirm_move(page, "open ticket")
    expect(status(page)).to_contain_text("Another admin changed the order in the meantime")
    expect(status(page)).to_contain_text("Reloading")
    expect(page.locator(".messagelist")).to_contain_text(
        "Another admin changed the order of the SLA policies"
    )
    assert titles_on_page(page) == ["Bravo", "Alpha", "Charlie"]
    assert titles_in_db() == ["Bravo", "Alpha", "Charlie"]


def test_a_failed_save_is_shown_and_the_order_put_back(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    sign_in(make_user("admin"))
    page.goto(LIST)
    page.route("**/admin/policies/policy/reorder/", lambda route: route.abort())
    page.get_by_role("button", name="Move “Bravo” up").click()
    confirm_move(page)
    expect(status(page)).to_have_text(
        "The order was not saved: The server could not be reached. The previous order is back."
    )
    assert titles_on_page(page) == ["Alpha", "Bravo", "Charlie"]
    assert titles_in_db() == ["Alpha", "Bravo", "Charlie"]


def test_agents_see_the_order_without_controls(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    sign_in(make_user("agent"))
    page.goto(LIST)
    assert titles_on_page(page) == ["Alpha", "Bravo", "Charlie"]
    expect(page.locator(".policy-handle")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Move"))).to_have_count(0)
    page.get_by_role("link", name="Alpha").click()
    expect(page.locator(".policy-readonly-condition")).to_have_text(["Type (name) is Incident"])
    # A summary of what is set, not a grid of empty boxes.
    expect(page.locator(".policy-summary")).to_contain_text(
        "Normal priority First reply time: 1 hour (calendar hours)"
    )
    expect(page.locator("#policy-editor input")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Add an"))).to_have_count(0)


def test_the_list_works_at_phone_width(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(make_user("admin"))
    page.goto(LIST)
    page.get_by_role("button", name="Move “Bravo” down").click()
    confirm_move(page)
    expect(status(page)).to_have_text("Moved “Bravo” to position 3. Saved.")
    assert titles_in_db() == ["Alpha", "Charlie", "Bravo"]


# The editor ----------------------------------------------------------------------------------


def test_a_policy_built_with_all_and_any_conditions_is_saved_exactly(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    tier2 = GroupFactory(name="Tier 2")
    waiting = CustomStatusFactory(agent_label="Waiting on vendor")
    escalated = CustomStatusFactory(agent_label="Escalated")
    sign_in(make_user("admin"))
    page.goto(f"{LIST}add/")
    page.get_by_label("Title:").fill("Built in the browser")
    add_condition(page, "all", "Type", "Is").get_by_label("Value").select_option(label="Incident")
    tags = add_condition(page, "any", "Tags", "Includes")
    tags.get_by_label("Value").fill("vip gold")
    add_condition(page, "any", "Group", "Is").get_by_label("Value").select_option(label="Tier 2")
    statuses = add_condition(page, "any", "Ticket status", "Includes")
    statuses.get_by_label("Value").select_option(
        label=["Waiting on vendor (open)", "Escalated (open)"]
    )
    page.get_by_label("Urgent, First reply time, hours").fill("1")
    page.get_by_label("Urgent, First reply time, minutes").fill("30")
    page.get_by_label("Urgent priority: business or calendar hours").select_option("business")
    page.get_by_label("Low, Total resolution time, days").fill("3")
    wait_for_preview(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    policy = selectors.policy_get(policy_id=Policy.objects.get(title="Built in the browser").pk)
    assert selectors.policy_filter_dict(policy) == {
        "all": [{"field": "ticket_type_id", "operator": "is", "value": "2"}],
        "any": [
            {"field": "current_tags", "operator": "includes", "value": "vip gold"},
            # Ids as the definitions list them: strings, as in Zendesk's reference.
            {"field": "group_id", "operator": "is", "value": str(tier2.pk)},
            {
                "field": "custom_status_id",
                "operator": "includes",
                "value": [str(waiting.pk), str(escalated.pk)],
            },
        ],
    }
    assert [
        (m.priority, m.metric, m.target_seconds, m.business_hours) for m in policy.metrics.all()
    ] == [
        ("urgent", "first_reply_time", 5400, True),
        ("low", "total_resolution_time", 3 * 86400, False),
    ]
    assert not page.console_errors


def test_editing_keeps_untouched_conditions_and_targets_as_they_were(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    group = GroupFactory(name="Tier 3")
    odd = {
        "all": [{"field": "group_id", "operator": "is", "value": str(group.pk)}],
        "any": [
            {
                "field": "exact_created_at",
                "operator": "greater_than",
                "value": "2024-01-02T03:04:00Z",
            }
        ],
    }
    policy = make_policy(
        "Odd",
        filter=odd,
        metrics=[
            {
                "priority": "high",
                "metric": "first_reply_time",
                "target_seconds": 90,
                "business_hours": False,
            }
        ],
    )
    sign_in(make_user("admin"))
    page.goto(f"{LIST}{policy.pk}/change/")
    expect(page.get_by_label("High, First reply time, minutes")).to_have_value("1")
    expect(page.locator("#target-high-first_reply_time-extra")).to_have_text("and 30 s")
    page.get_by_label("Title:").fill("Odd, renamed")
    wait_for_preview(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    saved = selectors.policy_get(policy_id=policy.pk)
    assert selectors.policy_filter_dict(saved) == odd
    assert [m.target_seconds for m in saved.metrics.all()] == [90]


def test_validation_errors_appear_next_to_their_cell_and_row(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user("admin"))
    page.goto(f"{LIST}add/")
    page.get_by_label("Title:").fill("Broken")
    add_condition(page, "all", "Type", "Is")
    add_condition(page, "all", "Tags", "Includes").get_by_label("Value").fill("   ")
    page.get_by_label("Urgent, Next reply time, days").fill("400")
    cell_errors = page.locator("#target-urgent-next_reply_time-errors")
    row_errors = condition_row(page, "all", 1).locator(".policy-errors")
    # Shown while editing, from the preview's validation...
    expect(cell_errors).to_have_text("Too long: a target can be at most 366 days.")
    expect(row_errors).to_have_text("tags must name at least one tag")
    expect(condition_row(page, "all", 0).locator(".policy-errors")).to_have_text("")
    # ...and after a save attempt, from the form's.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(cell_errors).to_have_text("Too long: a target can be at most 366 days.")
    expect(row_errors).to_have_text("tags must name at least one tag")
    expect(page.get_by_label("Urgent, Next reply time, days")).to_have_value("400")
    expect(page.get_by_label("Urgent, Next reply time, days")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert not Policy.objects.exists()
    # Fixing the row clears its message.
    condition_row(page, "all", 1).get_by_label("Value").fill("vip")
    page.get_by_label("Urgent, Next reply time, days").fill("4")
    expect(row_errors).to_have_text("")
    expect(cell_errors).to_have_text("")
    # A negative number is caught in the page, and the save waits for it to be fixed.
    page.get_by_label("Low, First reply time, hours").fill("-2")
    low_errors = page.locator("#target-low-first_reply_time-errors")
    expect(low_errors).to_have_text("Use numbers of zero or more.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Low, First reply time, hours")).to_be_focused()
    assert not Policy.objects.exists()


def test_the_impact_preview_counts_and_links_the_changed_tickets(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    policy = make_policy("Normal", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    customer = make_user("end-user", email="customer-impact@example.com")
    opened = timezone.now() - timedelta(minutes=30)
    changed = [TicketFactory(requester=customer, now=opened).pk for _ in range(3)]
    TicketFactory(requester=customer, now=opened, priority="low")  # no target before or after
    sign_in(make_user("admin"))
    page.goto(f"{LIST}{policy.pk}/change/")
    impact = page.locator("#policy-impact")
    expect(impact).to_contain_text("Saving changes none of the 4 open tickets.")
    page.get_by_label("Normal, First reply time, hours").fill("")
    page.get_by_label("Normal, First reply time, minutes").fill("10")
    expect(impact).to_contain_text("Saving changes 3 of the 4 open tickets")
    expect(impact.locator('[data-count="policy_changes"] strong')).to_have_text("0")
    expect(impact.locator('[data-count="target_changes"] strong')).to_have_text("3")
    expect(impact.locator('[data-count="newly_breached"] strong')).to_have_text("3")
    link = impact.get_by_role("link", name="See the 3 changed tickets")
    expect(link).to_have_attribute(
        "href", "/admin/tickets/ticket/?id__in=" + ",".join(str(pk) for pk in changed)
    )
    link.click()
    expect(page).to_have_url(re.compile(r"/admin/tickets/ticket/\?id__in="))
    expect(page.locator("#result_list tbody tr:has(td.field-id)")).to_have_count(3)


def test_saving_shows_the_impact_first_when_it_was_not_previewed(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    policy = make_policy("Normal", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    sign_in(make_user("admin"))
    page.goto(f"{LIST}{policy.pk}/change/")
    wait_for_preview(page)
    # Saved at once, before the preview that waits for a pause in typing has run.
    page.get_by_label("Normal, First reply time, minutes").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#policy-confirm")).to_have_text(
        "Review what saving would change, then save again."
    )
    assert selectors.policy_get(policy_id=policy.pk).metrics.get().target_seconds == 3600
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert selectors.policy_get(policy_id=policy.pk).metrics.get().target_seconds == 3900


def test_a_policy_that_can_never_match_is_flagged(page: Any, make_user: Any, sign_in: Any) -> None:
    incidents = {"all": [{"field": "ticket_type_id", "operator": "is", "value": "2"}], "any": []}
    make_policy("Incidents", filter=incidents)
    late = make_policy("Late", filter=EVERYTHING)
    make_policy("Everything else", filter=EVERYTHING)
    sign_in(make_user("admin"))
    page.goto(LIST)
    expect(page.locator("#result_list tbody .field-matching")).to_have_text(
        ["", "", "Never matches: “Late” comes first"]
    )
    page.goto(f"{LIST}{late.pk}/change/")
    shadow = page.locator("#policy-shadow")
    expect(shadow).to_have_text("")
    # Narrowing it to incidents puts it behind "Incidents".
    add_condition(page, "all", "Type", "Is").get_by_label("Value").select_option(label="Incident")
    expect(shadow).to_contain_text("“Late” can never match: “Incidents” (position 1) comes earlier")
    tags = add_condition(page, "any", "Tags", "Includes")
    tags.get_by_label("Value").fill("vip")
    expect(shadow).to_contain_text("can never match")  # still only incidents
    condition_row(page, "all", 0).get_by_role("button", name="Remove condition 1").click()
    expect(shadow).to_have_text("")
    # Once saved, a policy that is shadowed shows the warning as soon as it opens.
    page.goto(f"{LIST}{Policy.objects.get(title='Everything else').pk}/change/")
    expect(shadow).to_have_text(re.compile("“Everything else” can never match: “Late”"))


def test_clone_and_delete_with_confirmation(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy]
) -> None:
    alpha = abc[0]
    sign_in(make_user("admin"))
    page.goto(f"{LIST}{alpha.pk}/change/")
    page.get_by_role("button", name="Clone").click()
    expect(page.locator(".messagelist")).to_contain_text("Cloned “Alpha”")
    expect(page.get_by_label("Title:")).to_have_value("Alpha (copy)")
    copy = Policy.objects.get(title="Alpha (copy)")
    assert copy.position == 4
    assert selectors.policy_filter_dict(copy) == typed("incident")

    page.get_by_role("link", name="Delete").click()
    expect(page.locator("#content")).to_contain_text(
        'Are you sure you want to delete the SLA policy "Alpha (copy)"?'
    )
    assert Policy.objects.filter(pk=copy.pk).exists()
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(page.locator(".messagelist")).to_contain_text("was deleted successfully")
    assert titles_on_page(page) == ["Alpha", "Bravo", "Charlie"]
    assert not Policy.objects.filter(pk=copy.pk).exists()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_editor_fits_the_screen_and_does_not_jump_while_loading(
    page: Any, make_user: Any, sign_in: Any, abc: list[Policy], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(make_user("admin"))
    page.add_init_script(
        "window.__shift = 0; window.__sources = [];"
        "new PerformanceObserver((list) => { for (const e of list.getEntries()) {"
        " if (e.hadRecentInput) continue; window.__shift += e.value;"
        " for (const s of e.sources) window.__sources.push(s.node && s.node.id || s.node"
        " && s.node.className); } })"
        ".observe({type: 'layout-shift', buffered: true});"
    )
    # Two "Any" rows as well, so rows built after the first frame would push everything down.
    services.policy_update(
        policy_id=abc[0].pk,
        data={"filter": {**typed("incident"), "any": [typed("task")["all"][0]] * 2}},
    )
    page.goto(f"{LIST}{abc[0].pk}/change/")
    wait_for_preview(page)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shift") < 0.01, page.evaluate("window.__sources")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # The JSON fields are the fallback without JavaScript, never shown beside the builder.
    expect(page.locator("#id_filter")).to_be_hidden()
    expect(page.get_by_label("Urgent, First reply time, days")).to_be_visible()
