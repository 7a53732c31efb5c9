"""A ticket's history as the metric engine reads it: one `TicketUpdate` per save.

Kept apart from the engine so selectors can build histories without importing the state
machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Literal

from policies.engine.business_time import Schedule
from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Role


class _Same(Enum):
    SCHEDULE = "the schedule in force before this update"


# An update's schedule when it does not change it: the one `evaluate` started with or the
# last one an update brought.
SAME_SCHEDULE: Final = _Same.SCHEDULE


@dataclass(frozen=True, slots=True)
class Comment:
    """The one comment a ticket save may carry (Zendesk allows at most one per update).

    `light_agent` marks a light agent author (role agent, internal notes only in Zendesk);
    `via_email_forward` marks a ticket an agent created by forwarding an end user's email.
    """

    author_id: int
    author_role: Role
    public: bool
    light_agent: bool = False
    via_email_forward: bool = False

    @property
    def by_agent(self) -> bool:
        """Admins and light agents count as agents for every metric."""
        return self.author_role is not Role.END_USER or self.light_agent


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    """One ticket save, after triggers ran.

    `facts` are the ticket's fields after the save. `policies` is the policy set in force at
    this instant, in position order; pass the same tuple object while it is unchanged so
    matching can be reused. `schedule` is the business-hours schedule from this instant on
    (None: calendar time); pass the same object while it is unchanged. The first update of a
    history is the ticket's creation.

    `edit` marks a configuration edit (policies or schedule) reaching the ticket rather than a
    save of the ticket: it acts from its moment on and never undoes a breach already recorded.
    """

    at: datetime
    facts: TicketFacts
    comment: Comment | None
    policies: Sequence[PolicySpec]
    schedule: Schedule | None | Literal[_Same.SCHEDULE] = SAME_SCHEDULE
    edit: bool = False
