"""A ticket's history as the metric engine reads it: one `TicketUpdate` per save.

Kept apart from the engine so selectors can build histories without importing the state
machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Role


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
    matching can be reused. The first update of a history is the ticket's creation; an
    update with no field change and no comment is a re-evaluation (a policy or schedule
    edit reaching the ticket).
    """

    at: datetime
    facts: TicketFacts
    comment: Comment | None
    policies: Sequence[PolicySpec]
