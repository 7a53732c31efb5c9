"""Configuration edits act from their moment on: what happened stays happened.

A policy or schedule edit reaches a ticket as an update marked `edit`. It may give running
targets new deadlines, but a breach already recorded keeps its time, and time already run
keeps the measure of the schedule it ran under. A save of the ticket itself still follows
Zendesk (a later deadline deletes the breach, §12.14).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from policies.engine.business_time import Schedule, WeeklyInterval
from policies.engine.history import TicketUpdate
from policies.engine.metrics import EventType, TicketSla, evaluate
from policies.engine.vocabulary import Metric
from tests.engine.test_metrics import H, Ticket, at, end_user, instance, policy, show, stream

M = Metric
SHORT = policy({M.FIRST_REPLY_TIME: 1}, id=1, title="Short")
LONG = policy({M.FIRST_REPLY_TIME: 8}, id=2, title="Long")
# Every day 09:00-17:00 in UTC, and every day 09:00-13:00.
DAYS_9_TO_5 = Schedule("UTC", [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(7)])
MORNINGS = Schedule("UTC", [WeeklyInterval(1440 * d + 540, 1440 * d + 780) for d in range(7)])


def edit(ticket: Ticket, when: str, **change: object) -> Ticket:
    """A configuration edit reaching the ticket: same facts, no comment."""
    last = ticket.updates[-1]
    ticket.updates.append(replace(last, at=at(when), comment=None, edit=True, **change))  # type: ignore[arg-type]
    return ticket


def breaches(result: TicketSla) -> list[str]:
    return stream(result, EventType.BREACH)


def test_reorder_and_back_keeps_the_breach_where_it_happened() -> None:
    ticket = Ticket((SHORT, LONG)).save("Mon 09:00", end_user())
    before = ticket.evaluate("Mon 12:00")
    assert breaches(before) == ["Mon 10:00 reply_time#1 breach"]

    edit(ticket, "Mon 12:00", policies=(LONG, SHORT))  # the long policy moves up
    moved = ticket.evaluate("Mon 12:30")
    frt = instance(moved, M.FIRST_REPLY_TIME)
    assert frt.breached
    assert show(frt.breached_at) == "Mon 10:00"
    assert show(frt.breach_at) == "Mon 17:00"  # the running target took its new deadline

    edit(ticket, "Mon 13:00", policies=(SHORT, LONG))  # and back
    after = ticket.evaluate("Mon 13:30")
    frt = instance(after, M.FIRST_REPLY_TIME)
    assert frt.breached
    assert show(frt.breached_at) == "Mon 10:00"
    assert show(frt.breach_at) == "Mon 10:00"
    # No breach was deleted or recorded again: only the targets' changes were added.
    assert breaches(after) == ["Mon 10:00 reply_time#1 breach"]
    assert [e for e in after.events if e.deleted] == []


def test_a_save_that_lengthens_the_target_still_deletes_the_breach_as_zendesk_does() -> None:
    ticket = Ticket((SHORT, LONG)).save("Mon 09:00", end_user())
    ticket.save("Mon 12:00", policies=(LONG, SHORT))  # a save of the ticket, not an edit
    result = ticket.evaluate("Mon 12:30")
    assert breaches(result) == ["Mon 10:00 reply_time#1 breach deleted"]
    assert not instance(result, M.FIRST_REPLY_TIME).breached


def test_an_edit_whose_new_deadline_has_passed_breaches_from_the_edit_on() -> None:
    ticket = Ticket((LONG, SHORT)).save("Mon 09:00", end_user())
    edit(ticket, "Mon 12:00", policies=(SHORT, LONG))
    result = ticket.evaluate("Mon 12:30")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breached
    assert show(frt.breached_at) == "Mon 12:00"
    assert show(frt.breach_at) == "Mon 10:00"  # the deadline itself, measured from activation


def test_a_schedule_edit_measures_business_time_from_the_edit_on() -> None:
    business = policy({M.FIRST_REPLY_TIME: 6}, business=True)
    ticket = Ticket((business,))
    ticket.updates.append(
        TicketUpdate(at("Mon 09:00"), ticket.facts, end_user(), ticket.policies, DAYS_9_TO_5)
    )
    # Three business hours ran 09:00-12:00 under 09:00-17:00; then only mornings count.
    edit(ticket, "Mon 12:00", schedule=MORNINGS)
    result = evaluate(ticket.updates, schedule=None, now=at("Mon 12:30"))
    frt = instance(result, M.FIRST_REPLY_TIME)
    # 3h left: 12:00-13:00 today, then 09:00-11:00 on Tuesday.
    assert show(frt.breach_at) == "Tue 11:00"
    assert frt.elapsed_business_seconds == 3 * H + 30 * 60


def test_a_schedule_edit_does_not_move_a_recorded_breach() -> None:
    business = policy({M.FIRST_REPLY_TIME: 2}, business=True)
    ticket = Ticket((business,))
    ticket.updates.append(
        TicketUpdate(at("Mon 09:00"), ticket.facts, end_user(), ticket.policies, DAYS_9_TO_5)
    )
    edit(ticket, "Mon 14:00", schedule=MORNINGS)
    result = evaluate(ticket.updates, schedule=None, now=at("Mon 15:00"))
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breached
    assert show(frt.breached_at) == "Mon 11:00"
    assert breaches(result) == ["Mon 11:00 reply_time#1 breach"]


def test_without_a_schedule_change_an_update_keeps_the_one_evaluate_started_with() -> None:
    business = policy({M.FIRST_REPLY_TIME: 2}, business=True)
    ticket = Ticket((business,)).save("Mon 16:00", end_user())
    edit(ticket, "Mon 16:30")
    result = ticket.evaluate("Mon 16:45", DAYS_9_TO_5)
    assert instance(result, M.FIRST_REPLY_TIME).breach_at == datetime(2024, 3, 5, 10, tzinfo=UTC)
