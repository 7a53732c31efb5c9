"""Cross-cutting metric cases (spec §3.8) and the peer bug classes of peer-notes §3.9."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies.engine.history import Comment, TicketUpdate
from policies.engine.metrics import EventType, HistoryError, Stage, evaluate
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Metric, Priority, StatusCategory
from tests.engine.test_metrics import (
    CC_USER,
    OTHER_AGENT,
    REQUESTER,
    H,
    Ticket,
    agent,
    at,
    end_user,
    explained,
    instance,
    policy,
    show,
    stream,
    worked_example,
)

M = Metric
S = StatusCategory
RWT_BY_PRIORITY = {
    Priority.NORMAL: {M.REQUESTER_WAIT_TIME: 10},
    Priority.URGENT: {M.REQUESTER_WAIT_TIME: 6},
    Priority.HIGH: {M.REQUESTER_WAIT_TIME: 3},
}


# --- pause accounting (peer-notes §3.9 item 5: GLPI #6902, Zammad #188, Frappe PR #3776) ------


def pause_cycles() -> Ticket:
    """RWT running 09-10, 12-13, 16-..; pending 10-12 and 13-16; priority changes between."""
    ticket = Ticket((policy(per_priority=RWT_BY_PRIORITY),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.PENDING)
    ticket.save("Mon 12:00", end_user(), S.OPEN)
    ticket.save("Mon 13:00", agent(), S.PENDING)
    ticket.save("Mon 15:00", priority=Priority.URGENT)  # while paused
    ticket.save("Mon 16:00", end_user(), S.OPEN)
    ticket.save("Mon 17:00", None, S.HOLD)  # RWT keeps running on hold
    return ticket


@pytest.mark.parametrize(
    ("now", "stage", "breach_at", "elapsed", "paused"),
    [
        ("Mon 11:00", Stage.PAUSED, None, 1, 1),
        ("Mon 12:30", Stage.ACTIVE, "Mon 21:00", 1.5, 2),
        ("Mon 15:30", Stage.PAUSED, None, 2, 4.5),  # urgent target applied while paused
        ("Mon 18:00", Stage.ACTIVE, "Mon 20:00", 4, 5),  # 16:00 + (6 h - 2 h used)
    ],
)
def test_pause_accounting_survives_cycles_and_priority_changes(
    now: str, stage: Stage, breach_at: str | None, elapsed: float, paused: float
) -> None:
    ticket = pause_cycles()
    ticket.updates = [u for u in ticket.updates if u.at <= at(now)]
    rwt = instance(ticket.evaluate(now), M.REQUESTER_WAIT_TIME)
    assert (rwt.stage, show(rwt.breach_at)) == (stage, breach_at)
    assert (rwt.elapsed_calendar_seconds, rwt.paused_seconds) == (elapsed * H, paused * H)
    assert not rwt.breached


def test_priority_back_to_normal_keeps_the_paused_time_out() -> None:
    ticket = pause_cycles().save("Mon 19:00", priority=Priority.NORMAL)
    rwt = instance(ticket.evaluate("Mon 19:00"), M.REQUESTER_WAIT_TIME)
    assert show(rwt.breach_at) == "Tue 00:00"  # 16:00 + (10 h - 2 h used)


def test_explanation_lists_every_target_change_and_pause() -> None:
    ticket = pause_cycles().save("Mon 19:00", priority=Priority.NORMAL)
    why = explained(ticket.evaluate("Mon 19:00"), M.REQUESTER_WAIT_TIME)
    assert [(show(c.at), c.policy_id, c.target) for c in why.target_changes] == [
        ("Mon 09:00", 1, Target(10 * H, False)),
        ("Mon 15:00", 1, Target(6 * H, False)),
        ("Mon 19:00", 1, Target(10 * H, False)),
    ]
    assert [(show(a), show(b)) for a, b in why.pauses] == [
        ("Mon 10:00", "Mon 12:00"),
        ("Mon 13:00", "Mon 16:00"),
    ]
    assert why.outcome == (
        "running, 5h 00m so far; breaches at 2024-03-05T00:00:00+00:00 unless fulfilled or paused"
    )


def test_tighter_priority_past_deadline_breaches_at_the_change() -> None:
    ticket = pause_cycles().save("Mon 17:30", priority=Priority.HIGH)
    result = ticket.evaluate("Mon 18:00")
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    # 3 h were used by 17:00, so the deadline from activation is 17:00: recorded at 17:30.
    assert (show(rwt.breach_at), show(rwt.breached_at)) == ("Mon 17:00", "Mon 17:30")
    assert stream(result, EventType.BREACH) == ["Mon 17:30 requester_wait_time#1 breach"]


def test_pending_straight_to_solved_closes_the_pause() -> None:
    """Pause -> resolve in one save (Frappe PR #3776 lost the hold time here)."""
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.PENDING)
    ticket.save("Mon 15:00", None, S.SOLVED)
    result = ticket.evaluate("Tue 09:00")
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    assert (rwt.stage, show(rwt.fulfilled_at)) == (Stage.ACHIEVED, "Mon 15:00")
    assert (rwt.elapsed_calendar_seconds, rwt.paused_seconds) == (H, 5 * H)
    assert explained(result, M.REQUESTER_WAIT_TIME).pauses == ((at("Mon 10:00"), at("Mon 15:00")),)
    assert "Mon 15:00 requester_wait_time#1 update_status 60/60" in stream(result)


# --- reopen (spec §3.5-§3.7, §12.4) ----------------------------------------------------------


def reopened() -> Ticket:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 11:00", agent(), S.SOLVED)
    ticket.save("Mon 15:00", end_user(), S.OPEN)
    return ticket


def test_reopen_continues_wait_and_resolution_where_they_left_off() -> None:
    result = reopened().evaluate("Mon 16:00")
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    trt = instance(result, M.TOTAL_RESOLUTION_TIME)
    assert (rwt.stage, rwt.elapsed_calendar_seconds, rwt.paused_seconds) == (
        Stage.ACTIVE,
        3 * H,
        4 * H,
    )
    assert show(rwt.breach_at) == "Wed 13:00"  # 46 of the 48 h left, from the reopen
    assert show(trt.breach_at) == "Thu 13:00"  # 72 h from creation plus the 4 solved hours
    assert rwt.fulfilled_at is None
    assert stream(result, EventType.ACTIVATE)[-4:] == [
        "Mon 15:00 reply_time#2 activate",
        "Mon 15:00 agent_work_time#1 activate",
        "Mon 15:00 requester_wait_time#1 activate",
        "Mon 15:00 resolution_time#1 activate",
    ]


def test_reopen_into_pending_stays_paused() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 11:00", agent(), S.SOLVED)
    ticket.save("Mon 15:00", agent(), S.PENDING)
    result = ticket.evaluate("Mon 16:00")
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    assert (rwt.stage, rwt.breach_at, rwt.paused_seconds) == (Stage.PAUSED, None, 5 * H)
    assert "Mon 15:00 requester_wait_time#1 pause" in stream(result)
    assert instance(result, M.TOTAL_RESOLUTION_TIME).stage is Stage.ACTIVE


def test_solve_stops_first_reply_and_reopen_starts_next_reply() -> None:
    """§3.8 'solved without reply' and §12.4: FRT stays closed; the reopening comment owes NRT."""
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", None, S.SOLVED)
    ticket.save("Mon 20:00", end_user(), S.OPEN)
    result = ticket.evaluate("Tue 09:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.stage, show(frt.fulfilled_at), frt.breached) == (Stage.ACHIEVED, "Mon 10:00", False)
    assert explained(result, M.FIRST_REPLY_TIME).outcome.startswith(
        "fulfilled at 2024-03-04T10:00:00+00:00 by ticket solved"
    )
    nrt = instance(result, M.NEXT_REPLY_TIME, 2)
    assert (show(nrt.activated_at), show(nrt.breach_at), nrt.breached) == (
        "Mon 20:00",
        "Tue 00:00",
        True,
    )


def test_reopened_metric_breaches_after_the_reopen() -> None:
    ticket = Ticket((policy({M.REQUESTER_WAIT_TIME: 3}),)).save("Mon 09:00", end_user())
    ticket.save("Mon 11:00", agent(), S.SOLVED)  # achieved with 2 h used
    ticket.save("Mon 15:00", end_user(), S.OPEN)
    result = ticket.evaluate("Mon 17:00")
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    assert (show(rwt.breach_at), show(rwt.breached_at), rwt.stage) == (
        "Mon 16:00",
        "Mon 16:00",
        Stage.ACTIVE,
    )
    assert stream(result, EventType.BREACH) == ["Mon 16:00 requester_wait_time#1 breach"]


def test_closed_behaves_like_solved() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.CLOSED)
    result = ticket.evaluate("Fri 10:00")
    assert {i.stage for i in result.instances} == {Stage.ACHIEVED}
    assert not stream(result, EventType.BREACH)
    assert result.next_breach_at is None


# --- same-second ordering (spec §10.15, peer-notes §3.9 item 4) ---------------------------------


def test_same_second_updates_apply_in_the_order_given() -> None:
    question_first = Ticket((policy(),)).save("Mon 09:00", end_user())
    question_first.save("Mon 10:00", agent(), S.OPEN)
    question_first.save("Mon 11:00", end_user()).save("Mon 11:00", agent())
    nrt = instance(question_first.evaluate("Mon 12:00"), M.NEXT_REPLY_TIME, 2)
    assert (nrt.stage, nrt.elapsed_calendar_seconds, nrt.breached) == (Stage.ACHIEVED, 0, False)

    answer_first = Ticket((policy(),)).save("Mon 09:00", end_user())
    answer_first.save("Mon 10:00", agent(), S.OPEN)
    answer_first.save("Mon 11:00", agent()).save("Mon 11:00", end_user())
    nrt = instance(answer_first.evaluate("Mon 12:00"), M.NEXT_REPLY_TIME, 2)
    assert (nrt.stage, show(nrt.breach_at)) == (Stage.ACTIVE, "Mon 15:00")


@pytest.mark.parametrize(
    ("reply", "now", "breached"),
    [
        ("Mon 16:59:59", "Mon 18:00", False),
        ("Mon 17:00", "Mon 18:00", False),  # a reply at the deadline is in time
        ("Mon 17:00:01", "Mon 18:00", True),
        (None, "Mon 16:59:59", False),
        (None, "Mon 17:00", True),  # still unanswered at the deadline: breached
    ],
)
def test_deadline_instant(reply: str | None, now: str, breached: bool) -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    if reply is not None:
        ticket.save(reply, agent(), S.OPEN)
    result = ticket.evaluate(now)
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breached is breached
    assert stream(result, EventType.BREACH) == (
        ["Mon 17:00 reply_time#1 breach"] if breached else []
    )


def test_pause_exactly_at_deadline_is_not_a_breach_until_the_clock_runs_again() -> None:
    ticket = Ticket((policy({M.REQUESTER_WAIT_TIME: 2}),)).save("Mon 09:00", end_user())
    ticket.save("Mon 11:00", agent(), S.PENDING)
    assert not instance(ticket.evaluate("Mon 12:00"), M.REQUESTER_WAIT_TIME).breached
    ticket.save("Mon 13:00", end_user(), S.OPEN)
    rwt = instance(ticket.evaluate("Mon 13:00"), M.REQUESTER_WAIT_TIME)
    assert (show(rwt.breach_at), show(rwt.breached_at)) == ("Mon 13:00", "Mon 13:00")


def test_created_and_solved_in_one_save_orders_events_causally() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", agent(), S.SOLVED)
    lines = stream(ticket.evaluate("Mon 10:00"))
    assert lines[6:] == [
        "Mon 09:00 agent_work_time#1 activate",
        "Mon 09:00 requester_wait_time#1 activate",
        "Mon 09:00 resolution_time#1 activate",
        "Mon 09:00 agent_work_time#1 fulfill",
        "Mon 09:00 agent_work_time#1 update_status 0/0",
        "Mon 09:00 requester_wait_time#1 fulfill",
        "Mon 09:00 requester_wait_time#1 update_status 0/0",
        "Mon 09:00 resolution_time#1 fulfill",
        "Mon 09:00 resolution_time#1 update_status 0/0",
    ]  # fulfilled before any target: no apply_sla (Z1 "fulfilled before it was applied")


def test_replay_is_deterministic() -> None:
    first = worked_example().evaluate("Thu 12:00")
    second = worked_example().evaluate("Thu 12:00")
    assert first == second


# --- late application, priority, removal (spec §2.3-§2.7, §12.7, §12.14) -----------------------


def test_priority_set_in_the_same_save_as_the_first_reply_gives_frt_no_target() -> None:
    ticket = Ticket((policy(),), priority=None).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.OPEN, priority=Priority.NORMAL)
    result = ticket.evaluate("Mon 11:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.stage, frt.target, frt.policy_id) == (Stage.ACHIEVED, None, None)
    assert instance(result, M.REQUESTER_WAIT_TIME).target == Target(48 * H, False)


def test_priority_removed_drops_targets() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", priority=None)
    result = ticket.evaluate("Tue 12:00")
    assert result.policy is None
    assert result.next_breach_at is None
    assert stream(result, EventType.APPLY_SLA)[-4:] == [
        "Mon 10:00 agent_work_time#1 apply_sla None",
        "Mon 10:00 reply_time#1 apply_sla None",
        "Mon 10:00 requester_wait_time#1 apply_sla None",
        "Mon 10:00 resolution_time#1 apply_sla None",
    ]
    assert not stream(result, EventType.BREACH)


def group_policies() -> tuple[PolicySpec, PolicySpec]:
    tight = policy({M.FIRST_REPLY_TIME: 1}, id=7, title="Tight", matches=lambda f: f.group_id == 1)
    loose = policy({M.FIRST_REPLY_TIME: 24}, id=8, title="Loose", matches=lambda f: f.group_id == 2)
    return tight, loose


def test_no_matching_policy_any_more_removes_it_and_deletes_open_breaches() -> None:
    ticket = Ticket(group_policies())
    ticket.facts = TicketFacts(status=S.NEW, priority=Priority.NORMAL, requester_id=REQUESTER)
    ticket.save("Mon 09:00", end_user(), group_id=1)
    ticket.save("Mon 12:00", group_id=3)  # no policy for group 3
    result = ticket.evaluate("Mon 13:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (result.policy, frt.target, frt.breached, frt.breach_at) == (None, None, False, None)
    assert stream(result, EventType.APPLY_SLA, EventType.BREACH) == [
        "Mon 09:00 reply_time#1 apply_sla 60",
        "Mon 10:00 reply_time#1 breach deleted",
        "Mon 12:00 reply_time#1 apply_sla None",
    ]
    assert [s.note for s in result.explanation.policy_steps] == [
        "policy 7 'Tight' applied at priority normal",
        "no policy matches",
    ]


def test_closed_instances_keep_their_target_when_the_policy_goes() -> None:
    ticket = Ticket(group_policies())
    ticket.save("Mon 09:00", end_user(), group_id=1)
    ticket.save("Mon 09:30", agent(), S.OPEN)
    ticket.save("Mon 12:00", group_id=3)
    frt = instance(ticket.evaluate("Mon 13:00"), M.FIRST_REPLY_TIME)
    assert (frt.stage, frt.policy_id, frt.target) == (Stage.ACHIEVED, 7, Target(H, False))


def test_moving_to_a_looser_policy_deletes_the_breach_and_the_clock_keeps_running() -> None:
    ticket = Ticket(group_policies())
    ticket.save("Mon 09:00", end_user(), group_id=1)
    ticket.save("Mon 12:00", group_id=2)
    result = ticket.evaluate("Tue 10:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.policy_id, show(frt.breach_at), show(frt.breached_at)) == (
        8,
        "Tue 09:00",
        "Tue 09:00",
    )
    assert stream(result, EventType.APPLY_SLA, EventType.BREACH) == [
        "Mon 09:00 reply_time#1 apply_sla 60",
        "Mon 10:00 reply_time#1 breach deleted",
        "Mon 12:00 reply_time#1 apply_sla 1440",
        "Tue 09:00 reply_time#1 breach",
    ]
    assert frt.elapsed_calendar_seconds == 25 * H  # measured from creation, not from 12:00


def test_changing_target_of_a_breached_instance_that_stays_past_adds_a_breach() -> None:
    """H5 'Newly applied SLA executes additional breach event'."""
    ticket = Ticket(group_policies())
    ticket.save("Mon 09:00", end_user(), group_id=1)
    ticket.save("Tue 12:00", group_id=2)
    result = ticket.evaluate("Tue 13:00")
    assert stream(result, EventType.BREACH) == [
        "Mon 10:00 reply_time#1 breach",
        "Tue 12:00 reply_time#1 breach",
    ]
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (show(frt.breach_at), show(frt.breached_at)) == ("Tue 09:00", "Mon 10:00")


def test_policy_edit_reaches_open_tickets_at_the_re_evaluation() -> None:
    before = policy({M.FIRST_REPLY_TIME: 8, M.REQUESTER_WAIT_TIME: 48})
    after = policy({M.FIRST_REPLY_TIME: 2, M.REQUESTER_WAIT_TIME: 48})
    ticket = Ticket((before,)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", policies=(after,))
    ticket.save("Mon 10:30")  # re-evaluation with nothing new: no events
    result = ticket.evaluate("Mon 10:45")
    assert stream(result)[-1] == "Mon 10:00 reply_time#1 apply_sla 120"
    assert show(result.next_breach_at) == "Mon 11:00"


def test_re_matching_on_every_update_sees_field_changes() -> None:
    vip = policy({M.FIRST_REPLY_TIME: 1}, id=1, matches=lambda f: "vip" in f.tags)
    rest = policy({M.FIRST_REPLY_TIME: 8}, id=2)
    ticket = Ticket((vip, rest)).save("Mon 09:00", end_user())
    ticket.save("Mon 09:20", tags=frozenset({"vip"}))
    result = ticket.evaluate("Mon 09:30")
    assert result.policy is vip
    assert show(result.next_breach_at) == "Mon 10:00"
    assert [s.applied_policy_id for s in result.explanation.policy_steps] == [2, 1]


# --- activation details (spec §3.1-§3.4, §1.4, §12.3, §12.5) ----------------------------------


@pytest.mark.parametrize(
    ("comment", "requester", "flags", "starts"),
    [
        (end_user(), REQUESTER, {}, True),
        (end_user(author=CC_USER), REQUESTER, {}, True),  # §12.5: any end user's public comment
        (end_user(public=False), REQUESTER, {}, False),
        (
            end_user(public=False),
            REQUESTER,
            {"activate_on_end_user_added_internal_note": True},
            True,
        ),
        (agent(), REQUESTER, {}, False),
        (agent(author=OTHER_AGENT), OTHER_AGENT, {}, False),
        (
            agent(public=False, author=OTHER_AGENT),
            OTHER_AGENT,
            {"activate_on_agent_requested_ticket_with_public_comment_or_internal_note": True},
            True,
        ),
        (
            agent(public=False, author=OTHER_AGENT, light_agent=True),
            OTHER_AGENT,
            {"activate_on_light_agent_internal_note": True},
            True,
        ),
    ],
)
def test_next_reply_activation(
    comment: Comment, requester: int, flags: dict[str, bool], starts: bool
) -> None:
    ticket = Ticket((policy(settings={"next_reply_time": flags}),), requester=requester)
    ticket.save("Mon 09:00", end_user(author=CC_USER))
    ticket.save("Mon 09:30", agent(), S.OPEN)  # answers whatever the creation owed
    ticket.save("Mon 10:00", comment)
    result = ticket.evaluate("Mon 10:30")
    nrts = [i for i in result.instances if i.metric is M.NEXT_REPLY_TIME]
    assert bool(nrts) is starts


def test_oldest_unanswered_comment_counts() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.OPEN)
    ticket.save("Mon 11:00", end_user()).save("Mon 12:00", end_user()).save("Mon 14:00", agent())
    result = ticket.evaluate("Mon 15:00")
    assert [
        (i.metric, i.instance_id) for i in result.instances if i.metric is M.NEXT_REPLY_TIME
    ] == [(M.NEXT_REPLY_TIME, 2)]
    nrt = instance(result, M.NEXT_REPLY_TIME, 2)
    assert (show(nrt.activated_at), show(nrt.fulfilled_at)) == ("Mon 11:00", "Mon 14:00")


@pytest.mark.parametrize(("flag", "instances"), [(False, 1), (True, 2)])
def test_periodic_update_internal_note_needs_setting(flag: bool, instances: int) -> None:
    settings = {"periodic_update_time": {"activate_on_agent_internal_note": flag}}
    ticket = Ticket((policy(settings=settings),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.OPEN)
    ticket.save("Mon 11:00", agent(public=False, light_agent=True))
    result = ticket.evaluate("Mon 12:00")
    periodic = [i for i in result.instances if i.metric is M.PERIODIC_UPDATE_TIME]
    assert len(periodic) == instances
    assert show(periodic[-1].breach_at) == ("Tue 11:00" if flag else "Tue 10:00")


def test_no_periodic_target_before_the_first_agent_update() -> None:
    """§12.3: periodic and pausable update time start with an agent's public reply."""
    ticket = Ticket((policy(),)).save("Mon 09:00", end_user())
    result = ticket.evaluate("Fri 09:00")
    metrics = {i.metric for i in result.instances}
    assert M.PERIODIC_UPDATE_TIME not in metrics
    assert M.PAUSABLE_UPDATE_TIME not in metrics


# --- calendar time across DST, input validation ------------------------------------------------


def test_calendar_target_is_real_elapsed_time_across_dst() -> None:
    """peer-notes §3.9 item 1: 24 h calendar target spanning New York's spring-forward."""
    ny = ZoneInfo("America/New_York")
    ticket = Ticket((policy({M.FIRST_REPLY_TIME: 24}),))
    ticket.save(datetime(2024, 3, 9, 12, 0, tzinfo=ny), end_user())
    now = datetime(2024, 3, 10, 12, 0, tzinfo=ny)
    frt = instance(ticket.evaluate(now), M.FIRST_REPLY_TIME)
    assert frt.breach_at == datetime(2024, 3, 10, 13, 0, tzinfo=ny)  # 24 real hours
    assert frt.elapsed_calendar_seconds == 23 * H


def facts() -> TicketFacts:
    return TicketFacts(status=S.NEW, priority=Priority.NORMAL, requester_id=REQUESTER)


@pytest.mark.parametrize(
    ("updates", "now", "message"),
    [
        ([], at("Mon 09:00"), "creation"),
        (
            [TicketUpdate(datetime(2024, 3, 4, 9), facts(), None, ())],
            at("Mon 10:00"),
            "timezone-aware",
        ),
        (
            [
                TicketUpdate(at("Mon 10:00"), facts(), None, ()),
                TicketUpdate(at("Mon 09:00"), facts(), None, ()),
            ],
            at("Mon 11:00"),
            "earlier",
        ),
        ([TicketUpdate(at("Mon 10:00"), facts(), None, ())], at("Mon 09:00"), "after now"),
        ([TicketUpdate(at("Mon 10:00"), facts(), None, ())], datetime(2024, 3, 4), "aware"),
    ],
)
def test_history_errors(updates: list[TicketUpdate], now: datetime, message: str) -> None:
    with pytest.raises(HistoryError, match=message):
        evaluate(updates, schedule=None, now=now)


def test_events_never_reach_past_now() -> None:
    ticket = Ticket((policy({M.FIRST_REPLY_TIME: 1}),)).save("Mon 09:00", end_user())
    result = ticket.evaluate(at("Mon 09:00") + timedelta(minutes=59, seconds=59))
    assert not stream(result, EventType.BREACH)
    assert show(result.next_breach_at) == "Mon 10:00"


def test_explanation_says_why_a_late_breach_is_not_back_dated() -> None:
    ticket = Ticket(()).save("Mon 09:00", end_user())
    ticket.save("Mon 12:00", policies=(policy({M.FIRST_REPLY_TIME: 1}),))
    why = explained(ticket.evaluate("Mon 12:00"), M.FIRST_REPLY_TIME)
    assert why.deadline == at("Mon 10:00")
    assert "(not back-dated)" in why.outcome
    assert [(c.at, c.policy_id) for c in why.target_changes] == [(at("Mon 12:00"), 1)]
    assert why.activated_by == "end user created the ticket with a public comment"


def test_reopen_into_pending_does_not_breach_on_the_old_deadline() -> None:
    """Found by the property tests: a paused reopened metric kept its pre-solve deadline."""
    ticket = Ticket((policy({M.AGENT_WORK_TIME: 2}),)).save("Mon 09:00", end_user())
    ticket.save("Mon 09:10", None, S.SOLVED)
    ticket.save("Mon 09:30", None, S.PENDING)
    ticket.save("Mon 12:00")  # any later save, well after 09:00 + 2 h
    result = ticket.evaluate("Mon 13:00")
    awt = instance(result, M.AGENT_WORK_TIME)
    assert (awt.stage, awt.breached, awt.breach_at) == (Stage.PAUSED, False, None)
    assert not stream(result, EventType.BREACH)


def test_status_only_saves_reuse_the_match_and_field_changes_rematch() -> None:
    calls: list[int | None] = []

    def counting(facts: TicketFacts) -> bool:
        calls.append(facts.custom_status_id)
        return True

    ticket = Ticket((policy(matches=counting),)).save("Mon 09:00", end_user())
    ticket.save("Mon 10:00", agent(), S.PENDING)
    ticket.save("Mon 11:00", priority=Priority.URGENT)  # filters cannot test status/priority
    ticket.save("Mon 12:00", custom_status_id=7)
    ticket.save("Mon 13:00", policies=(policy(matches=counting),))  # a new policy set
    ticket.evaluate("Mon 14:00")
    assert calls == [None, 7, 7]
