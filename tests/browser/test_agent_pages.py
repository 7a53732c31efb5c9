"""The agent queue and the ticket page in a real browser: live countdowns, replies, filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from policies.engine.metrics import remaining_display
from tests.browser.screens import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    save_screenshot,
    table_overflow,
)
from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.models import Ticket, TicketSlaTarget, User

EVERYTHING = {"all": [], "any": []}
QUEUE = "/admin/tickets/ticket/"


def reply_elsewhere(ticket: Ticket, author: User) -> None:
    """A public reply saved outside the page (the API's code path), as another tab would, in
    the same second as the ticket's last save: the page must notice it all the same."""
    ticket.refresh_from_db()
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={},
        author_id=author.pk,
        comment=services.NewComment(body="Hello", public=True, author_id=author.pk),
        now=ticket.updated_at,
    )


def ticket_page(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def queue_ids(page: Any) -> list[int]:
    return [int(text) for text in page.locator("#result_list td.field-id").all_inner_texts()]


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("agent", name="Agent Smith")


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user("end-user", name="Carla Customer")


def target_row(page: Any, metric_name: str) -> Any:
    return page.locator(f'table.ticket-targets tr[data-metric="{metric_name}"]')


def test_countdown_ticks_and_turns_red_at_breach_without_a_reload(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("One minute", filter=EVERYTHING, metrics=[metric("normal", minutes=1)])
    sign_in(agent)
    # A one-minute first reply target with 4 to 5 seconds left (the service keeps whole
    # seconds): the page shows it amber within a second here, then the test waits for the
    # breach in real time.
    ticket = TicketFactory(requester=customer, now=datetime.now(UTC) - timedelta(seconds=55))
    page.goto(QUEUE)
    badge = page.locator(f'.sla-badge[data-ticket="{ticket.pk}"]')
    text = badge.locator(".sla-badge__text")
    expect(text).to_have_text("0m")
    expect(badge).to_have_class(re.compile(r"\bsla-badge--amber\b"))
    width = text.bounding_box()["width"]
    page.evaluate("window.stillTheSamePage = true")

    expect(badge).to_have_class(re.compile(r"\bsla-badge--red\b"), timeout=20_000)
    expect(text).to_have_text("-0m")
    assert page.evaluate("window.stillTheSamePage") is True
    # Fixed width: the badge did not grow when the sign appeared.
    assert text.bounding_box()["width"] == width
    assert TicketSlaTarget.objects.get(ticket=ticket).breach_at < datetime.now(UTC)
    assert page.console_errors == []


def test_the_page_rounds_exactly_as_the_engine(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    sign_in(agent)
    page.goto(QUEUE)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    cases = [0, 29, 30, 31, 89 * 60 + 30, 90 * 60, 90 * 60 + 1, 91 * 60, 36 * 3600 + 1800]
    cases += [36 * 3600 + 1801, 3 * 86400 + 43200, 3 * 86400 + 43201, 200 * 86400 + 5]
    for seconds in cases + [-s for s in cases if s] + [-1, -90 * 60 - 1]:
        breach = now + timedelta(seconds=seconds)
        unit, value = remaining_display(breach, now)
        result = page.evaluate(
            "([breach, now]) => window.slawebCountdown.remaining(Date.parse(breach), now)",
            [breach.isoformat(), now.timestamp() * 1000],
        )
        assert (result["unit"], result["value"]) == (unit[0], value), seconds


def test_public_reply_fulfils_first_reply(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(requester=customer)
    sign_in(agent)
    page.goto(ticket_page(ticket))
    row = target_row(page, "first_reply_time")
    expect(row.locator("[data-stage-cell]")).to_have_text("Active")
    expect(row.locator(".sla-badge__text")).to_have_text(re.compile(r"^(60|59)m$"))

    page.get_by_role("textbox", name="Reply").fill("We are looking at it.")
    page.get_by_label("Public reply").check()
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Ticket #{ticket.pk} saved.")
    expect(row.locator("[data-stage-cell]")).to_have_text("Fulfilled")
    expect(row.locator(".sla-badge")).to_have_count(0)
    expect(page.locator(".ticket-comment").last).to_contain_text("public reply")
    target = TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")
    assert (target.stage, target.fulfilled_at is not None) == ("achieved", True)


def test_leaving_a_drafted_reply_asks_first_and_saving_does_not(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    ticket = TicketFactory(requester=customer)
    sign_in(agent)
    page.goto(ticket_page(ticket))
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.get_by_role("textbox", name="Reply").fill("Half a reply")
    page.get_by_role("link", name="Agent home").first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page.get_by_role("textbox", name="Reply")).to_have_value("Half a reply")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Ticket #{ticket.pk} saved.")
    assert asked == ["beforeunload"]  # saving is leaving on purpose


def test_private_note_does_not_fulfil_first_reply(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(requester=customer)
    sign_in(agent)
    page.goto(ticket_page(ticket))
    page.get_by_role("textbox", name="Reply").fill("Note to self")
    page.get_by_label("Private note").check()
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text("saved")
    expect(page.locator(".ticket-comment").last).to_contain_text("private note")
    row = target_row(page, "first_reply_time")
    expect(row.locator("[data-stage-cell]")).to_have_text("Active")
    expect(row.locator(".sla-badge")).to_have_count(1)
    target = TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")
    assert (target.stage, target.fulfilled_at) == ("active", None)


def test_pending_pauses_the_waiting_metrics(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy(
        "Everyone",
        filter=EVERYTHING,
        metrics=[
            metric("normal", "first_reply_time", 60),
            metric("normal", "requester_wait_time", 240),
        ],
    )
    ticket = TicketFactory(requester=customer)
    sign_in(agent)
    page.goto(ticket_page(ticket))
    wait = target_row(page, "requester_wait_time").locator(".sla-badge")
    expect(wait).not_to_have_class(re.compile(r"sla-badge--paused"))
    expect(wait.locator(".sla-badge__icon")).to_be_hidden()

    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text("saved")
    expect(target_row(page, "requester_wait_time").locator("[data-stage-cell]")).to_have_text(
        "Paused"
    )
    expect(wait).to_have_class(re.compile(r"\bsla-badge--paused\b"))
    expect(wait).to_have_class(re.compile(r"\bsla-badge--green\b"))
    expect(wait.locator(".sla-badge__icon")).to_be_visible()
    expect(wait.locator(".sla-badge__text")).to_have_text("paused")
    # First reply does not pause on pending: it keeps counting.
    reply = target_row(page, "first_reply_time").locator(".sla-badge")
    expect(reply).not_to_have_class(re.compile(r"sla-badge--paused"))
    expect(page.locator('.ticket-facts dd[data-field="status"]')).to_have_text("Pending")
    stages = dict(TicketSlaTarget.objects.filter(ticket=ticket).values_list("metric", "stage"))
    assert stages == {"first_reply_time": "active", "requester_wait_time": "paused"}


def test_queue_orders_by_next_breach_and_filters(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    make_policy(
        "VIP",
        filter={"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}]},
        metrics=[metric("normal", minutes=600)],
        position=1,
    )
    other = UserFactory(role="agent", email="other-agent@example.com", name="Olga Other")
    group = GroupFactory(name="Billing")
    now = datetime.now(UTC)
    late = TicketFactory(requester=customer, now=now - timedelta(hours=2), subject="late")
    soon = TicketFactory(
        requester=customer, now=now - timedelta(minutes=50), subject="soon", group_id=group.pk
    )
    later = TicketFactory(requester=customer, now=now - timedelta(minutes=10), subject="later")
    vip = TicketFactory(requester=customer, subject="vip", tags=["vip"], assignee_id=other.pk)
    urgent = TicketFactory(requester=customer, subject="urgent", priority="urgent")
    TicketFactory(requester=customer, subject="done", status="solved")

    sign_in(agent)
    page.goto(QUEUE)
    expect(page.get_by_role("heading", name="What to work on next")).to_be_visible()
    # Breaching next, soonest first; then the breached; then nothing running (no urgent target).
    assert queue_ids(page) == [soon.pk, later.pk, vip.pk, late.pk, urgent.pk]
    expect(page.locator("#result_list th.sorted")).to_have_class(re.compile(r"\bcolumn-sla\b"))
    expect(page.locator(f'.sla-badge[data-ticket="{late.pk}"]')).to_have_class(
        re.compile(r"\bsla-badge--red\b")
    )
    expect(page.locator(f'.sla-badge[data-ticket="{soon.pk}"]')).to_have_class(
        re.compile(r"\bsla-badge--amber\b")
    )
    expect(page.locator(f'.sla-badge[data-ticket="{later.pk}"]')).to_have_class(
        re.compile(r"\bsla-badge--green\b")
    )

    filters = page.locator("#changelist-filter")

    def choose(title: str, option: str) -> list[int]:
        page.goto(QUEUE)
        page.locator(".queue-filters > summary").click()
        section = filters.locator("details").filter(has=page.get_by_text(f"By {title}"))
        section.get_by_role("link", name=option, exact=True).click()
        page.wait_for_load_state()
        return queue_ids(page)

    assert choose("group", "Billing") == [soon.pk]
    assert choose("assignee", "Olga Other <other-agent@example.com>") == [vip.pk]
    assert choose("priority", "urgent") == [urgent.pk]
    assert choose("SLA policy", "VIP") == [vip.pk]
    assert choose("breached", "Breached") == [late.pk]
    assert choose("breached", "Not breached") == [soon.pk, later.pk, vip.pk, urgent.pk]
    assert len(choose("status", "All")) == 6
    # The policy impact preview's link: a list of ids.
    page.goto(f"{QUEUE}?id__in={urgent.pk},{late.pk}")
    assert queue_ids(page) == [late.pk, urgent.pk]
    assert page.console_errors == []


def test_ticket_page_shows_targets_explanation_and_events(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    policy = make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(requester=customer, now=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    sign_in(agent)
    page.goto(ticket_page(ticket))
    row = target_row(page, "first_reply_time")
    # Breach at 10:00 UTC: 11:00 in the browser's Europe/Berlin; the schedule-less account
    # shows UTC as the schedule's time.
    expect(row.locator("td").nth(2)).to_have_text("Thu 15 Jan 2026, 11:00")
    expect(page.locator(".viewer-zone")).to_have_text("Europe/Berlin")
    expect(row.locator("td").nth(3)).to_contain_text("Thu 15 Jan 2026, 10:00 UTC")
    expect(row.locator(".sla-badge")).to_have_class(re.compile(r"\bsla-badge--red\b"))
    why = page.locator("section", has=page.get_by_role("heading", name="Why this SLA"))
    expect(why).to_contain_text(f"{policy.title}: matched")
    expect(why).to_contain_text("“Everyone” applied at normal priority")
    # The explanation's times are in the browser's zone too, as the table's (the agent's
    # profile says UTC).
    built = page.locator("details.ticket-explain summary", has_text="First reply")
    expect(built).to_contain_text("Thu 15 Jan 2026, 11:00")
    expect(built).not_to_contain_text("10:00")
    events = page.locator("ol.ticket-events li")
    expect(events.filter(has_text="target applied")).to_have_count(1)
    expect(events.filter(has_text="First reply time started")).to_have_count(1)
    expect(events.filter(has_text="breached")).to_have_count(0)  # no clock ran here


def test_ticket_page_fits_a_phone_and_works_from_the_keyboard(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(requester=customer)
    sign_in(agent)
    page.set_viewport_size({"width": 375, "height": 740})
    for url in (ticket_page(ticket), QUEUE):
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, url

    page.goto(ticket_page(ticket))
    reply = page.get_by_role("textbox", name="Reply")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_body":
            break
    expect(reply).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".messagelist")).to_contain_text("saved")
    target = TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")
    assert target.stage == "achieved"


def test_the_pages_pick_up_changes_made_elsewhere(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = TicketFactory(requester=customer)
    sign_in(agent)

    page.goto(ticket_page(ticket))
    row = target_row(page, "first_reply_time")
    notice = page.locator("#ticket-changed")
    expect(notice).to_be_hidden()
    reply_elsewhere(ticket, agent)
    page.evaluate("window.slawebCountdown.poll()")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "status")
    expect(row.locator("[data-stage-cell]")).to_have_text("Fulfilled")
    expect(row.locator(".sla-badge")).to_have_class(re.compile(r"\bsla-badge--none\b"))
    expect(row.locator(".sla-badge__text")).to_have_text("")

    second = TicketFactory(requester=customer, subject="second")
    page.goto(QUEUE)
    badge = page.locator(f'.sla-badge[data-ticket="{second.pk}"]')
    expect(badge.locator(".sla-badge__metric")).to_have_text("First reply")
    reply_elsewhere(second, agent)
    page.evaluate("window.slawebCountdown.poll()")
    # Every target closed: the badge goes blank (spec §4.2).
    expect(badge).to_have_class(re.compile(r"\bsla-badge--none\b"))
    expect(badge.locator(".sla-badge__text")).to_have_text("")
    expect(badge.locator(".sla-badge__metric")).to_have_text("")
    assert page.console_errors == []


def wait_for_the_poll_in_flight(page: Any) -> None:
    for _ in range(200):
        if not page.evaluate("window.slawebCountdown.polling()"):
            return
        time.sleep(0.05)
    raise AssertionError("the poll never came back")


def test_polling_slows_down_while_idle_or_hidden(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    TicketFactory(requester=customer)
    sign_in(agent)
    page.clock.install()
    page.goto(QUEUE)
    interval = "window.slawebCountdown.interval()"
    assert page.evaluate(interval) == 15_000
    page.clock.run_for(3 * 60_000)  # no input for three minutes
    assert page.evaluate(interval) == 60_000
    # Polls answer on the real clock while the page's clock is fake, so one may land at any
    # fake moment: step until the data is stale (over 15 s old) with no poll in flight.
    for _ in range(20):
        wait_for_the_poll_in_flight(page)
        if page.evaluate("window.slawebCountdown.sinceLastPoll()") > 20_000:
            break
        page.clock.run_for(10_000)  # idle pace: at most one poll in this step
    else:
        raise AssertionError("the data never went stale")
    # Back at the keyboard: an immediate poll, then the working pace again.
    with page.expect_request(re.compile(r"/admin/tickets/ticket/sla/\?ids=\d+")):
        page.keyboard.press("Shift")
        page.clock.run_for(100)
    assert page.evaluate(interval) == 15_000
    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    assert page.evaluate(interval) == 300_000


# The agent home, walked as a new agent ---------------------------------------------------------

URGENT_TEN_MINUTES = [metric("urgent", minutes=10), metric("normal", minutes=60)]
BREACH_TOOLTIP = re.compile(
    r"^First reply: breached (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}( \d{4})?, "
    r"\d\d:\d\d \(Europe/Berlin\)"
)


def old_breaches(customer: User, count: int, *, days: int = 3) -> list[Ticket]:
    """Tickets breached days ago, more than a page of them, each a little older than the last."""
    now = datetime.now(UTC)
    return [
        TicketFactory(
            requester=customer,
            subject=f"Old breach {n}",
            now=now - timedelta(days=days, minutes=n),
        )
        for n in range(count)
    ]


def first_screen_ids(page: Any) -> list[int]:
    """Ids of the queue's rows whose top is inside the viewport as the page opens."""
    height = page.viewport_size["height"]
    ids = []
    for row in page.locator("#result_list tbody tr:has(td.field-id)").all():
        box = row.bounding_box()
        if box is not None and box["y"] < height:
            ids.append(int(row.locator("td.field-id").inner_text()))
    return ids


def test_the_ticket_about_to_breach_is_on_the_first_screen_ahead_of_old_breaches(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Urgent: 10-minute first reply", filter=EVERYTHING, metrics=URGENT_TEN_MINUTES)
    old = old_breaches(customer, 55)
    about_to_breach = TicketFactory(requester=customer, subject="Server down", priority="urgent")
    page.set_viewport_size(DESKTOP)
    sign_in(agent)
    page.goto(QUEUE)

    expect(page.get_by_role("heading", name="What to work on next")).to_be_visible()
    ids = queue_ids(page)
    assert ids[0] == about_to_breach.pk
    assert about_to_breach.pk in first_screen_ids(page)
    badge = page.locator(f'.sla-badge[data-ticket="{about_to_breach.pk}"]')
    expect(badge.locator(".sla-badge__text")).to_have_text(re.compile(r"^(10|9)m$"))
    expect(badge).to_have_class(re.compile(r"\bsla-badge--amber\b"))
    # The breached come after it, in their own section, the most recent breach first.
    headings = page.locator("#result_list tr.queue-section").all_inner_texts()
    assert headings == ["Breaching next", "Already breached"]
    assert ids[1:] == [t.pk for t in old][: len(ids) - 1]
    sections = page.locator(".queue-sections")
    expect(sections.locator('[data-section="next"]')).to_contain_text("1")
    expect(sections.locator('[data-section="breached"]')).to_contain_text("55")
    sections.locator('[data-section="breached"]').click()
    page.wait_for_load_state()
    assert about_to_breach.pk not in queue_ids(page)
    save_screenshot(page, "agent-home-breached-1366")
    assert page.console_errors == []


def test_my_tickets_and_my_groups(page: Any, sign_in: Any, agent: User, customer: User) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    other = UserFactory(role="agent", email="other-agent@example.com", name="Olga Other")
    billing, sales = GroupFactory(name="Billing"), GroupFactory(name="Sales")
    billing.agents.add(agent)
    mine = TicketFactory(requester=customer, subject="mine", assignee=agent)
    team = TicketFactory(requester=customer, subject="team", group=billing, assignee=other)
    TicketFactory(requester=customer, subject="elsewhere", group=sales, assignee=other)
    sign_in(agent)
    page.goto(QUEUE)
    tabs = page.get_by_role("navigation", name="Views")
    expect(tabs.get_by_role("link", name="All tickets")).to_have_attribute("aria-current", "page")
    assert len(queue_ids(page)) == 3

    tabs.get_by_role("link", name="My tickets").click()
    page.wait_for_load_state()
    assert queue_ids(page) == [mine.pk]
    expect(tabs.get_by_role("link", name="My tickets")).to_have_attribute("aria-current", "page")

    tabs.get_by_role("link", name="My groups").click()
    page.wait_for_load_state()
    assert queue_ids(page) == [team.pk]
    # The other filters still apply inside a view.
    page.goto(f"{QUEUE}?view=groups&priority__exact=urgent")
    assert queue_ids(page) == []
    assert page.console_errors == []


def test_badges_say_how_late_with_the_deadline_in_local_time(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Everyone", filter=EVERYTHING, metrics=URGENT_TEN_MINUTES)
    now = datetime.now(UTC)
    fortnight = TicketFactory(requester=customer, subject="fortnight", now=now - timedelta(days=14))
    # Breached as urgent (ten minutes), then made normal (sixty minutes, also long past):
    # Zendesk's badge would say "Now" here.
    changed = TicketFactory(
        requester=customer, subject="changed", priority="urgent", now=now - timedelta(hours=3)
    )
    services.ticket_update(
        ticket_id=changed.pk,
        fields={"priority": "normal"},
        author_id=agent.pk,
        comment=None,
        now=now,
    )
    sign_in(agent)
    page.goto(QUEUE)
    badge = page.locator(f'.sla-badge[data-ticket="{fortnight.pk}"]')
    expect(badge.locator(".sla-badge__text")).to_have_text("-14d")
    expect(badge).to_have_attribute("title", BREACH_TOOLTIP)
    deadline = (now - timedelta(days=14) + timedelta(minutes=60)).astimezone(
        ZoneInfo("Europe/Berlin")
    )
    expect(badge).to_have_attribute("title", re.compile(f"{deadline:%H:%M}"))

    late = page.locator(f'.sla-badge[data-ticket="{changed.pk}"]')
    expect(late.locator(".sla-badge__text")).to_have_text("-2h")
    expect(late).to_have_attribute("title", BREACH_TOOLTIP)
    expect(late).to_have_attribute("title", re.compile(r"target changed after the breach"))
    expect(page.locator(".sla-badge__text", has_text="Now")).to_have_count(0)
    # The same on the ticket page, and after a poll has refreshed the badges.
    page.goto(ticket_page(changed))
    row = target_row(page, "first_reply_time")
    expect(row.locator(".sla-badge__text")).to_have_text("-2h")
    page.evaluate("window.slawebCountdown.poll()")
    wait_for_the_poll_in_flight(page)
    expect(row.locator(".sla-badge__text")).to_have_text("-2h")
    expect(row.locator(".sla-badge")).to_have_attribute("title", BREACH_TOOLTIP)
    assert page.console_errors == []


def test_a_ticket_an_agent_created_for_a_customer_says_why_first_reply_has_not_started(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy("Urgent: 10-minute first reply", filter=EVERYTHING, metrics=URGENT_TEN_MINUTES)
    ticket = TicketFactory(
        requester=customer, submitter=agent, subject="Phoned in", priority="urgent"
    )
    sign_in(agent)
    page.goto(ticket_page(ticket))
    not_started = page.locator("#not-started")
    expect(not_started).to_contain_text("First reply time")
    expect(not_started).to_contain_text("An agent created this ticket for the requester")
    expect(not_started).to_contain_text("requester writes the first comment")
    why = page.locator("section", has=page.get_by_role("heading", name="Why this SLA"))
    expect(why.locator('[data-reason="created_by_agent"]')).to_contain_text(
        "next public comment starts next reply time"
    )
    # The requester's reply (through the API's code path) starts next reply time.
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={},
        author_id=customer.pk,
        comment=services.NewComment(body="Any news?", public=True, author_id=customer.pk),
        now=datetime.now(UTC),
    )
    page.reload()
    expect(target_row(page, "next_reply_time")).to_have_count(0)  # the policy has none
    expect(page.locator("#not-started")).to_contain_text("First reply time")
    assert page.console_errors == []


def test_the_ticket_page_speaks_in_words_and_local_times(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    make_policy(
        "Everyone",
        filter=EVERYTHING,
        metrics=[
            metric("normal", minutes=60),
            metric("normal", "agent_work_time", 8 * 60, business_hours=True),
        ],
    )
    ticket = TicketFactory(requester=customer, now=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    sign_in(agent)
    page.goto(ticket_page(ticket))
    events = page.locator("ol.ticket-events")
    expect(events).to_contain_text("Agent work time target applied: 8 business hours")
    expect(events).to_contain_text("First reply time target applied: 1 hour (Everyone)")
    expect(events).to_contain_text("First reply time started")
    expect(events.locator("li", has_text="every SLA metric is measured")).to_have_count(1)
    content = page.locator("#content").inner_text()
    for jargon in ("agent_work_time", "apply_sla", "measure ", "instance 0", "2026-01-15T"):
        assert jargon not in content, jargon
    # Times in the browser's zone (Europe/Berlin: 10:00 for 09:00 UTC), readable.
    expect(page.locator(".ticket-facts").first).to_contain_text("Thu 15 Jan 2026, 10:00")
    expect(page.locator(".viewer-zone")).to_have_text("Europe/Berlin")
    steps = page.locator(".ticket-policy-steps li")
    expect(steps).to_have_count(1)
    expect(steps).to_contain_text("“Everyone” applied at normal priority")
    assert page.console_errors == []


def long_names_queue(customer: User, agent: User) -> None:
    policy_title = "Enterprise customers with a signed support contract"
    make_policy(policy_title, filter=EVERYTHING, metrics=URGENT_TEN_MINUTES)
    group = GroupFactory(name="Second-line technical support, Europe")
    requester = UserFactory(
        role="end-user",
        email="maximiliane.mustermann-schmidt@example-enterprise.com",
        name="Maximiliane Mustermann-Schmidt",
    )
    now = datetime.now(UTC)
    for n in range(8):
        TicketFactory(
            requester=requester if n % 2 else customer,
            subject=f"Our invoices for the last quarter show the wrong VAT rate, case {n}",
            group=group,
            assignee=agent,
            priority="urgent" if n % 3 else "normal",
            now=now - timedelta(minutes=7 * n),
        )


def test_the_queue_fits_1366_with_assignee_group_and_policy(
    page: Any, sign_in: Any, agent: User, customer: User
) -> None:
    long_names_queue(customer, agent)
    page.set_viewport_size(DESKTOP)
    sign_in(agent)
    page.goto(QUEUE)
    assert horizontal_overflow(page) <= 0
    assert table_overflow(page) <= 0
    for column in ("assignee_name", "group", "sla_policy"):
        cell = page.locator(f"#result_list td.field-{column}").first
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= DESKTOP["width"], column


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
def test_screenshots_of_the_agent_home_and_the_ticket_page(
    page: Any, sign_in: Any, agent: User, customer: User, size: dict[str, int]
) -> None:
    long_names_queue(customer, agent)
    old_breaches(customer, 3, days=14)
    created_for = TicketFactory(
        requester=customer, submitter=agent, subject="Phoned in", priority="urgent"
    )
    page.set_viewport_size(size)
    sign_in(agent)
    page.goto(QUEUE)
    assert horizontal_overflow(page) <= 0
    assert table_overflow(page) <= 0
    save_screenshot(page, f"agent-home-{size['width']}")
    page.goto(ticket_page(created_for))
    expect(page.locator("#not-started")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, f"ticket-page-{size['width']}", full_page=True)
    assert page.console_errors == []
