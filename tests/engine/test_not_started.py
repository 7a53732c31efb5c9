"""Why a metric has not started: read off the engine's state after a replay (spec §3, §2.3)."""

from __future__ import annotations

from policies.engine.not_started import NotStarted, not_started
from policies.engine.vocabulary import Metric, Priority, Role
from tests.engine.test_metrics import AGENT, NORMAL_TARGETS, S, Ticket, agent, end_user, policy

M = Metric
REPLIES = {M.FIRST_REPLY_TIME: 1, M.NEXT_REPLY_TIME: 1}


def reasons(ticket: Ticket, now: str = "Mon 12:00") -> dict[Metric | None, str]:
    found = not_started(ticket.updates, ticket.evaluate(now))
    return {item.metric: item.reason for item in found}


def only(ticket: Ticket, metric: Metric | None, now: str = "Mon 12:00") -> NotStarted:
    found = [i for i in not_started(ticket.updates, ticket.evaluate(now)) if i.metric is metric]
    assert len(found) == 1, found
    return found[0]


def test_a_ticket_the_requester_opened_has_everything_running_but_next_reply() -> None:
    ticket = Ticket((policy(REPLIES),)).save("Mon 09:00", end_user())
    assert reasons(ticket) == {M.NEXT_REPLY_TIME: "first_reply_owed"}


def test_a_ticket_an_agent_created_for_a_customer_does_not_start_first_reply() -> None:
    ticket = Ticket((policy(REPLIES),)).save("Mon 09:00", agent())
    item = only(ticket, M.FIRST_REPLY_TIME)
    assert item.reason == "created_by_agent"
    assert "requester writes the first comment" in item.detail
    assert item.setting == "activate_on_ticket_created_for_end_user"
    # Nothing is owed either, so next reply waits for the requester's comment.
    assert only(ticket, M.NEXT_REPLY_TIME).reason == "waiting_for_requester"

    # The requester's public comment starts next reply time; first reply stays explained.
    ticket.save("Mon 10:00", end_user())
    assert reasons(ticket) == {M.FIRST_REPLY_TIME: "created_by_agent"}


def test_with_the_policy_setting_an_agent_created_ticket_starts_first_reply() -> None:
    settings = {"first_reply_time": {"activate_on_ticket_created_for_end_user": True}}
    ticket = Ticket((policy(REPLIES, settings=settings),)).save("Mon 09:00", agent())
    assert M.FIRST_REPLY_TIME not in reasons(ticket)


def test_an_internal_note_creation_names_its_own_setting() -> None:
    ticket = Ticket((policy(REPLIES),)).save("Mon 09:00", agent(public=False))
    item = only(ticket, M.FIRST_REPLY_TIME)
    assert item.reason == "created_by_agent"
    assert item.setting == "activate_on_agent_ticket_created_for_end_user_with_internal_note"


def test_a_ticket_created_without_a_comment_or_by_an_agent_for_themselves() -> None:
    bare = Ticket((policy(REPLIES),)).save("Mon 09:00", None)
    assert only(bare, M.FIRST_REPLY_TIME).reason == "created_without_comment"
    own = Ticket((policy(REPLIES),), requester=AGENT, requester_role=Role.AGENT)
    own.save("Mon 09:00", agent())
    item = only(own, M.FIRST_REPLY_TIME)
    assert (item.reason, item.setting) == (
        "agent_requester",
        "activate_on_agent_created_ticket_for_self",
    )


def test_no_priority_and_no_policy_are_said_once_for_every_metric() -> None:
    ticket = Ticket((policy(REPLIES, title="Urgent only"),), priority=None)
    ticket.save("Mon 09:00", end_user())
    item = only(ticket, None)
    assert item.reason == "no_priority"
    assert "Urgent only" in item.detail
    unmatched = Ticket((policy(REPLIES, matches=lambda facts: False),))
    unmatched.save("Mon 09:00", end_user())
    assert reasons(unmatched) == {None: "no_policy"}


def test_a_metric_the_policy_measures_only_at_other_priorities() -> None:
    urgent_only = policy(per_priority={Priority.URGENT: {M.FIRST_REPLY_TIME: 1 / 6}})
    ticket = Ticket((urgent_only,)).save("Mon 09:00", end_user())
    item = only(ticket, M.FIRST_REPLY_TIME)
    assert item.reason == "not_in_policy"
    assert "for normal priority (it has one for urgent)" in item.detail


def test_update_metrics_wait_for_an_agent_reply_and_a_solve_stops_the_recurring_ones() -> None:
    ticket = Ticket((policy(NORMAL_TARGETS),)).save("Mon 09:00", end_user())
    assert reasons(ticket) == {
        M.NEXT_REPLY_TIME: "first_reply_owed",
        M.PERIODIC_UPDATE_TIME: "waiting_for_agent_update",
        M.PAUSABLE_UPDATE_TIME: "waiting_for_agent_update",
    }
    ticket.save("Mon 10:00", agent())  # the first reply: update metrics start
    assert reasons(ticket) == {M.NEXT_REPLY_TIME: "waiting_for_requester"}
    ticket.save("Mon 11:00", None, S.SOLVED)
    solved = reasons(ticket)
    assert solved[M.NEXT_REPLY_TIME] == "ticket_solved"
    assert solved[M.REQUESTER_WAIT_TIME] == "ticket_solved"
    assert M.FIRST_REPLY_TIME not in solved  # it ran and was fulfilled


def test_paused_metrics_count_as_started() -> None:
    ticket = Ticket((policy(NORMAL_TARGETS),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.PENDING)
    assert M.AGENT_WORK_TIME not in reasons(ticket)
    assert M.REQUESTER_WAIT_TIME not in reasons(ticket)
