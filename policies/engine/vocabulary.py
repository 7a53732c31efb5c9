"""The fixed words of Zendesk's SLA model: priorities, metrics, statuses.

Values are Zendesk's own strings, so the API needs no mapping.
"""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Metric(StrEnum):
    AGENT_WORK_TIME = "agent_work_time"
    FIRST_REPLY_TIME = "first_reply_time"
    NEXT_REPLY_TIME = "next_reply_time"
    PAUSABLE_UPDATE_TIME = "pausable_update_time"
    PERIODIC_UPDATE_TIME = "periodic_update_time"
    REQUESTER_WAIT_TIME = "requester_wait_time"
    TOTAL_RESOLUTION_TIME = "total_resolution_time"


METRIC_TITLES: dict[Metric, str] = {
    Metric.AGENT_WORK_TIME: "Agent work time",
    Metric.FIRST_REPLY_TIME: "First reply time",
    Metric.NEXT_REPLY_TIME: "Next reply time",
    Metric.PAUSABLE_UPDATE_TIME: "Pausable update time",
    Metric.PERIODIC_UPDATE_TIME: "Periodic update time",
    Metric.REQUESTER_WAIT_TIME: "Requester wait time",
    Metric.TOTAL_RESOLUTION_TIME: "Total resolution time",
}


class StatusCategory(StrEnum):
    """Ticket status categories; custom statuses each belong to one."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketType(StrEnum):
    QUESTION = "question"
    INCIDENT = "incident"
    PROBLEM = "problem"
    TASK = "task"


# Zendesk's numeric ids for ticket types in `ticket_type_id` conditions (0 = no type).
TICKET_TYPE_IDS: dict[TicketType, int] = {
    TicketType.QUESTION: 1,
    TicketType.INCIDENT: 2,
    TicketType.PROBLEM: 3,
    TicketType.TASK: 4,
}


class Role(StrEnum):
    END_USER = "end-user"
    AGENT = "agent"
    ADMIN = "admin"


# Zendesk's numeric ids for `requester_role` conditions.
ROLE_IDS: dict[Role, int] = {Role.END_USER: 0, Role.ADMIN: 2, Role.AGENT: 4}

# Channels (`via_id`), spec §6.2.
VIA_CHANNELS: dict[int, str] = {
    0: "Web form",
    4: "Email",
    5: "Web service (API)",
    8: "Trigger or automation",
    16: "Get Satisfaction",
    23: "Twitter Like",
    24: "Forum topic",
    26: "Twitter DM",
    27: "Closed ticket",
    29: "Chat",
    30: "Twitter",
    31: "Ticket sharing",
    33: "Voicemail",
    34: "Phone call (incoming)",
    35: "Phone call (outgoing)",
    38: "Facebook Post",
    41: "Facebook Private Message",
    44: "CTI voicemail",
    45: "CTI phone call (incoming)",
    46: "CTI phone call (outgoing)",
    48: "Web Widget",
    49: "Mobile SDK",
    50: "Help Center post",
    54: "Satisfaction Prediction",
    55: "Channel Integrations",
    56: "Mobile",
    57: "Text",
    67: "Answer Bot for Web Widget",
    72: "LINE",
    73: "WeChat",
    74: "WhatsApp",
    78: "Facebook Messenger",
    86: "Instagram Direct",
    88: "Twitter Direct Message",
}
