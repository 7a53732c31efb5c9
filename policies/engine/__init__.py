"""Pure SLA engine: standard library only, time always passed in.

Layers above import what they need from here; nothing in this package imports Django.
"""

from policies.engine.business_time import Holiday, NoBusinessTime, Schedule, WeeklyInterval
from policies.engine.conditions import (
    CompiledFilter,
    compile_filter,
    explain_match,
    first_matching_policy,
)
from policies.engine.history import Comment, TicketUpdate
from policies.engine.metrics import (
    MetricEvent,
    MetricInstance,
    TicketSla,
    evaluate,
    remaining_display,
)
from policies.engine.types import PolicySpec, Target, TicketFacts

__all__ = [
    "Comment",
    "CompiledFilter",
    "Holiday",
    "MetricEvent",
    "MetricInstance",
    "NoBusinessTime",
    "PolicySpec",
    "Schedule",
    "Target",
    "TicketFacts",
    "TicketSla",
    "TicketUpdate",
    "WeeklyInterval",
    "compile_filter",
    "evaluate",
    "explain_match",
    "first_matching_policy",
    "remaining_display",
]
