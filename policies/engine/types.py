"""Value types shared across the engine: what a ticket looks like to a policy, and a policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from policies.engine.vocabulary import Metric, Priority, Role, StatusCategory


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """A ticket's field values at one instant, as conditions see them.

    Ids are ints; missing values are None. `custom_fields` maps a custom ticket field id to its
    value (an option value string, text, or None). `requester_fields` and `organization_fields`
    map user / organization custom field keys to values.
    """

    ticket_id: int | None = None
    created_at: datetime | None = None
    status: StatusCategory = StatusCategory.NEW
    custom_status_id: int | None = None
    priority: Priority | None = None
    type: str | None = None  # "question" | "incident" | "problem" | "task" | None
    brand_id: int | None = None
    ticket_form_id: int | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    requester_id: int | None = None
    submitter_id: int | None = None
    organization_id: int | None = None
    requester_role: Role = Role.END_USER
    submitter_role: Role = Role.END_USER
    via_id: int | None = None
    current_via_id: int | None = None
    recipient: str | None = None
    is_public: bool = True
    tags: frozenset[str] = frozenset()
    custom_fields: Mapping[int, str | None] = field(default_factory=dict)
    requester_fields: Mapping[str, str | None] = field(default_factory=dict)
    organization_fields: Mapping[str, str | None] = field(default_factory=dict)
    current_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    seconds: int
    business_hours: bool


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """An SLA policy ready for evaluation. `matches` is the compiled filter."""

    id: int
    title: str
    description: str | None
    position: int
    matches: Callable[[TicketFacts], bool]
    targets: Mapping[tuple[Priority, Metric], Target]
    # metric_settings flags, e.g. {"first_reply_time": {"fulfill_on_agent_internal_note": True}}
    metric_settings: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def target(self, priority: Priority | None, metric: Metric) -> Target | None:
        if priority is None:
            return None
        return self.targets.get((priority, metric))
