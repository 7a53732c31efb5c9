"""Why a metric the ticket's policy measures is not running: one sentence per metric.

Read off the engine's own state after a replay (the instances `evaluate` returned, the last
update's facts and policies, the creating comment), so the words always agree with what the
engine did. The rules restated here are the engine's (spec §3.1 to §3.7, §2.3): first reply
time starts only when the requester opens the ticket with a public comment (unless a policy
setting says otherwise), next reply waits for the requester's public comment, the update
metrics for an agent's public reply, and nothing gets a target without a priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policies.engine.history import TicketUpdate
from policies.engine.metrics import MetricInstance, Stage, TicketSla
from policies.engine.types import PolicySpec
from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority, Role, StatusCategory

_DONE = frozenset({StatusCategory.SOLVED, StatusCategory.CLOSED})

# The policy settings (spec §1.4) that would have started first reply time, by reason.
FIRST_REPLY_SETTINGS = {
    "created_by_agent_public": (
        "activate_on_ticket_created_for_end_user",
        "When any ticket is created for an end user with a public comment",
    ),
    "created_by_agent_private": (
        "activate_on_agent_ticket_created_for_end_user_with_internal_note",
        "When any ticket is created for an end user with an internal note",
    ),
    "agent_requester": (
        "activate_on_agent_created_ticket_for_self",
        "When an agent creates a ticket for themselves",
    ),
}


@dataclass(frozen=True, slots=True)
class NotStarted:
    """A metric with no running target, and why.

    `metric` is None for a reason that holds for every metric (no policy, no priority).
    `reason` is a stable code; `detail` says it to a person; `setting` names the policy
    setting that would change the outcome, when there is one.
    """

    metric: Metric | None
    reason: str
    detail: str
    setting: str | None = None


def not_started(updates: Sequence[TicketUpdate], sla: TicketSla) -> tuple[NotStarted, ...]:
    """Each metric the ticket's policy has a target for that is not running, with the reason.

    A metric counts as started while an instance of it is active or paused; fulfilled
    instances of the recurring metrics (next reply, the update metrics) do not count, since
    the next one has not started. Metrics the policy has no target for at any priority are
    left out: the policy does not measure them.
    """
    if not updates:
        return ()
    last = updates[-1]
    facts = last.facts
    policy = sla.policy or next((p for p in last.policies if p.matches(facts)), None)
    if policy is None:
        return (
            NotStarted(
                None,
                "no_policy",
                "No SLA policy matches this ticket, so no metric has a target.",
            ),
        )
    priority = facts.priority
    if priority is None:
        return (
            NotStarted(
                None,
                "no_priority",
                f"The ticket has no priority. “{policy.title}” matches it, but targets apply "
                "only to tickets with a priority: set one to start them.",
            ),
        )
    measured = {metric for _, metric in policy.targets}
    by_metric: dict[Metric, list[MetricInstance]] = {}
    for instance in sla.instances:
        by_metric.setdefault(instance.metric, []).append(instance)
    done = facts.status in _DONE
    found: list[NotStarted] = []
    for metric in Metric:
        if metric not in measured:
            continue
        instances = by_metric.get(metric, [])
        if policy.target(priority, metric) is None:
            found.append(_not_in_policy(policy, metric, priority))
            continue
        if any(i.stage is not Stage.ACHIEVED for i in instances):
            continue
        why = _why(metric, instances, updates, by_metric, done)
        if why is not None:
            found.append(why)
    return tuple(found)


def _not_in_policy(policy: PolicySpec, metric: Metric, priority: Priority) -> NotStarted:
    others = [p.value for p in Priority if policy.target(p, metric) is not None]
    title = METRIC_TITLES[metric]
    return NotStarted(
        metric,
        "not_in_policy",
        f"“{policy.title}” has no {title.lower()} target for {priority.value} priority "
        f"(it has one for {_words(others)}).",
    )


def _why(
    metric: Metric,
    instances: list[MetricInstance],
    updates: Sequence[TicketUpdate],
    by_metric: dict[Metric, list[MetricInstance]],
    done: bool,
) -> NotStarted | None:
    title = METRIC_TITLES[metric]
    if metric is Metric.FIRST_REPLY_TIME:
        # One instance at most: started (and perhaps fulfilled) at creation, or never.
        return None if instances else _first_reply(updates[0])
    if metric is Metric.NEXT_REPLY_TIME:
        if done:
            return _solved(metric)
        first = by_metric.get(Metric.FIRST_REPLY_TIME, [])
        if any(i.stage is not Stage.ACHIEVED for i in first):
            return NotStarted(
                metric,
                "first_reply_owed",
                "Next reply time starts after the first reply is sent, with the requester's "
                "next public comment.",
            )
        return NotStarted(
            metric,
            "waiting_for_requester",
            "Next reply time starts when the requester adds a public comment; "
            + (
                "every comment of theirs has been answered."
                if instances
                else "they have not commented since the ticket was created."
            ),
        )
    if metric in (Metric.PERIODIC_UPDATE_TIME, Metric.PAUSABLE_UPDATE_TIME):
        if done:
            return _solved(metric)
        return NotStarted(
            metric,
            "waiting_for_agent_update",
            f"{title} starts with an agent's first public reply; none has been sent yet.",
        )
    # Requester wait, agent work and total resolution start at creation and only stop when
    # the ticket is solved.
    return _solved(metric) if done else None


def _solved(metric: Metric) -> NotStarted:
    return NotStarted(
        metric,
        "ticket_solved",
        f"The ticket is solved, which stops {METRIC_TITLES[metric].lower()}; "
        "it starts again if the ticket is reopened.",
    )


def _first_reply(creation: TicketUpdate) -> NotStarted:
    metric = Metric.FIRST_REPLY_TIME
    comment = creation.comment
    facts = creation.facts
    if comment is None:
        return NotStarted(
            metric,
            "created_without_comment",
            "The ticket was created without a comment. First reply time starts only when the "
            "requester opens the ticket with a public comment; their next public comment "
            "starts next reply time instead.",
        )
    if not comment.by_agent:
        return NotStarted(
            metric,
            "created_with_private_comment",
            "The requester's first comment was not public, so first reply time did not start; "
            "their next public comment starts next reply time instead.",
        )
    if comment.light_agent and not comment.via_email_forward:
        return NotStarted(
            metric,
            "created_by_light_agent",
            "A light agent created this ticket. First reply time starts only when the "
            "requester writes the first comment, so it does not start; the requester's next "
            "public comment starts next reply time instead.",
        )
    if facts.requester_role is not Role.END_USER and facts.requester_id == comment.author_id:
        key = "agent_requester"
        detail = (
            "An agent created this ticket with themselves as the requester. First reply time "
            "measures replies to customers, so it does not start"
        )
    elif facts.requester_role is not Role.END_USER:
        key = "requester_not_end_user"
        detail = (
            "The requester is a team member, not an end user, so first reply time does not start"
        )
        return NotStarted(metric, key, detail + ".")
    else:
        key = "created_by_agent_public" if comment.public else "created_by_agent_private"
        note = "a public comment" if comment.public else "an internal note"
        detail = (
            f"An agent created this ticket for the requester, with {note}. First reply time "
            "starts only when the requester writes the first comment (Zendesk's rule), so it "
            "does not start; the requester's next public comment starts next reply time instead"
        )
    flag, label = FIRST_REPLY_SETTINGS[key]
    return NotStarted(
        metric,
        "created_by_agent" if key.startswith("created_by_agent") else key,
        f"{detail}. The policy setting “{label}” would start it.",
        setting=flag,
    )


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items) or "no priority"
    return ", ".join(items[:-1]) + " and " + items[-1]
