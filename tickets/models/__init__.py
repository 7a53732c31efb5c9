"""The account, its tickets and everything measured on them, one module per concern."""

from tickets.models.accounts import (
    ApiToken,
    Brand,
    Group,
    Organization,
    RateLimitCounter,
    SupportAddress,
    User,
    UserManager,
)
from tickets.models.fields import (
    CustomField,
    CustomStatus,
    TicketField,
    TicketFieldOption,
    TicketForm,
)
from tickets.models.idempotency import IdempotentRequest
from tickets.models.jobs import JobStatus, JobStatusResult
from tickets.models.notifications import NotificationRule, SlaNotification
from tickets.models.objectives import ServiceLevelObjective
from tickets.models.sla import HistoryRewrite, SlaRecompute, TicketMetricEvent, TicketSlaTarget
from tickets.models.tickets import (
    OPEN_STATUSES,
    AuditEvent,
    ChangeEvent,
    CommentEvent,
    CreateEvent,
    Ticket,
    TicketAudit,
    TicketComment,
)

__all__ = [
    "OPEN_STATUSES",
    "ApiToken",
    "AuditEvent",
    "Brand",
    "ChangeEvent",
    "CommentEvent",
    "CreateEvent",
    "CustomField",
    "CustomStatus",
    "Group",
    "HistoryRewrite",
    "IdempotentRequest",
    "JobStatus",
    "JobStatusResult",
    "NotificationRule",
    "Organization",
    "RateLimitCounter",
    "ServiceLevelObjective",
    "SlaNotification",
    "SlaRecompute",
    "SupportAddress",
    "Ticket",
    "TicketAudit",
    "TicketComment",
    "TicketField",
    "TicketFieldOption",
    "TicketForm",
    "TicketMetricEvent",
    "TicketSlaTarget",
    "User",
    "UserManager",
]
