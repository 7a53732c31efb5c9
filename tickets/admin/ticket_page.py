"""The agents' pages in the admin site: the ticket page, and the JSON the countdowns poll.

The queue itself is TicketAdmin's change list; this module holds what it and the ticket page
share: choosing a ticket's SLA badge, its first rendering, and the poll endpoint. Badge data
comes from the API's `include=slas` serialization, so the rounding exists once in Python (the
engine's `remaining_display`) and once in static/slaweb/js/countdown.js, which ticks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from policies import selectors as policy_selectors
from policies.engine.metrics import remaining_display
from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME, Policy
from slaweb.api.timestamps import iso
from slaweb.timezones import resolve_time_zone
from tickets import services
from tickets.custom_statuses import category_of, custom_statuses
from tickets.inputs import with_custom_status
from tickets.models import Group, Ticket, TicketAudit, TicketMetricEvent, TicketSlaTarget
from tickets.selectors import SlaTargetRow, sla_target_rows
from tickets.sla.explain import current_group_target, explain, slas_for

if TYPE_CHECKING:
    from tickets.admin.tickets import TicketAdmin

# Amber below this many seconds left (spec §4.2: green > 15 min, amber < 15 min).
AMBER_SECONDS = 15 * 60
POLL_MAX_IDS = 200
METRIC_LABELS = {
    "first_reply_time": "First reply",
    "next_reply_time": "Next reply",
    "periodic_update_time": "Periodic update",
    "pausable_update_time": "Pausable update",
    "requester_wait_time": "Requester wait",
    "agent_work_time": "Agent work",
    "total_resolution_time": "Total resolution",
    "group_ownership_time": "Group ownership",
}


# Metric events name the reply and resolution metrics differently (spec §4.4).
EVENT_METRICS = {
    "first_reply_time": "reply_time",
    "next_reply_time": "reply_time",
    "total_resolution_time": "resolution_time",
}


def attach_badge_data(tickets: Sequence[Ticket]) -> None:
    """Give each ticket what its badges read, in one query each for all of them (a prefetch
    would build a queryset per ticket, which cost more than the query): `badge_targets`, its
    SLA targets, `last_breaches`, (event metric, instance) -> its latest breach event, and
    `badge_group_names`, the names of the groups its group ownership targets name."""
    last: dict[int, dict[tuple[str, int], datetime]] = {t.pk: {} for t in tickets}
    targets = sla_target_rows(list(last))
    group_ids = {t.group_id for rows in targets.values() for t in rows if t.group_id is not None}
    if tickets:
        rows = (
            TicketMetricEvent.objects.filter(ticket_id__in=list(last), type="breach", deleted=False)
            .values("ticket_id", "metric", "instance_id")
            .annotate(last=Max("time"))
            .order_by()
        )
        for row in rows:
            last[row["ticket_id"]][(row["metric"], row["instance_id"])] = row["last"]
    names = group_names(group_ids)
    for ticket in tickets:
        ticket.badge_targets = targets.get(ticket.pk, [])  # type: ignore[attr-defined]
        ticket.last_breaches = last[ticket.pk]  # type: ignore[attr-defined]
        ticket.badge_group_names = names  # type: ignore[attr-defined]


def group_names(ids: Iterable[int]) -> dict[int, str]:
    """Group names by id, deleted groups included (targets keep the group that held the
    ticket); no query without ids."""
    ids = set(ids)
    if not ids:
        return {}
    return dict(Group.with_deleted.filter(pk__in=ids).values_list("id", "name"))


def target_label(metric: str, group_name: str | None = None) -> str:
    """A target as agents read it: "First reply", "Group ownership · Tier 2"."""
    label = METRIC_LABELS.get(metric, metric)
    return f"{label} · {group_name}" if group_name else label


def is_now(target: SlaTargetRow, last_breaches: dict[tuple[str, int], datetime]) -> bool:
    """Whether the target changed after its breach (Zendesk's badge shows "Now" then, spec
    §4.2). A breach the clock records is timed at breach_at; one recorded later was recorded
    by a save that set a target already past (a late target, or a changed one: the engine
    records the breach again then). The badges here never say "Now": see `badge_view`."""
    if not target.breached or target.breach_at is None:
        return False
    metric = EVENT_METRICS.get(target.metric, target.metric)
    last = last_breaches.get((metric, target.instance_id))
    return last is not None and last > target.breach_at


def policy_metrics(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """The `include=slas` elements of the applied policy and of the group holding the ticket,
    with what the badges add to them.

    Needs attach_badge_data."""
    targets: list[SlaTargetRow] = ticket.badge_targets  # type: ignore[attr-defined]
    # The instance slas_for shows for each metric: the applied policy's latest.
    latest: dict[str, SlaTargetRow] = {}
    for target in targets:
        if target.policy_id is None or target.policy_id != ticket.sla_policy_id:
            continue
        if target.metric not in latest or target.instance_id > latest[target.metric].instance_id:
            latest[target.metric] = target
    held = current_group_target(ticket, targets)
    if held is not None:
        latest[held.metric] = held
    slas = slas_for(ticket, targets, now)
    items: list[dict[str, Any]] = [*slas["policy_metrics"], *slas.get("group_policy_metrics", [])]
    names: dict[int, str] = ticket.badge_group_names  # type: ignore[attr-defined]
    for item in items:
        target = latest[item["metric"]]
        item["instance_id"] = target.instance_id
        group_name = names.get(target.group_id) if target.group_id is not None else None
        item["label"] = target_label(target.metric, group_name)
        item["breached"] = target.breached
        item["now"] = is_now(target, ticket.last_breaches)  # type: ignore[attr-defined]
    return items


def next_badge(items: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The queue's one badge (spec §4.2): the soonest running target, breached ones included;
    a paused target when nothing runs; none when every target is closed."""
    running = [i for i in items if i["stage"] == "active" and i["breach_at"]]
    if running:
        return min(running, key=lambda i: i["breach_at"])
    paused = [i for i in items if i["stage"] == "paused"]
    return paused[0] if paused else None


@dataclass(frozen=True)
class BadgeView:
    """A badge as first rendered; the page script keeps it current from the same data."""

    metric: str
    instance_id: int
    stage: str
    breach_at: str | None
    breached: bool
    now: bool
    text: str
    colour: str
    tooltip: str
    label: str


def viewer_zone(user: Any) -> ZoneInfo:
    """The viewer's time zone from their profile (UTC without one). The page scripts show the
    browser's own zone instead; this is what a page says before they run."""
    name = resolve_time_zone(getattr(user, "time_zone", "") or "") or "UTC"
    return ZoneInfo(name)


def local_time(moment: datetime, zone: ZoneInfo, *, year: bool = False) -> str:
    """ "Tue 1 Dec, 14:05" in `zone` (with the year when asked): what countdown.js writes."""
    local = moment.astimezone(zone)
    day = f"{local:%a} {local.day} {local:%b}"
    if year:
        day += f" {local.year}"
    return f"{day}, {local:%H:%M}"


def badge_tooltip(item: dict[str, Any], zone: ZoneInfo, now: datetime) -> str:
    """ "First reply: breached Tue 1 Dec, 14:05 (Europe/Berlin)"; countdown.js says the same."""
    label = item.get("label") or target_label(item["metric"])
    if item["stage"] == "paused":
        return f"{label}: paused" + (", already breached" if item["breached"] else "")
    if not item["breach_at"]:
        return f"{label}: no deadline (the schedule has no business hours left)"
    moment = datetime.fromisoformat(item["breach_at"].replace("Z", "+00:00"))
    when = f"{local_time(moment, zone, year=moment.year != now.year)} ({zone.key})"
    if moment > now and not item["breached"]:
        return f"{label}: due {when}"
    changed = " (the target changed after the breach)" if item["now"] else ""
    return f"{label}: breached {when}{changed}"


def badge_view(item: dict[str, Any], now: datetime, zone: ZoneInfo | None = None) -> BadgeView:
    """The badge's text and colour (spec §4.2).

    One departure from Zendesk: where its badge says "Now" (a target changed after a breach),
    this badge says how late the ticket is, counted from the deadline the current target
    gives ("-14d"), as for any breach, and the tooltip adds that the target changed. Agents
    read "Now" as "due now", and it hid days of lateness. The API's `include=slas` counts the
    same way (a negative minutes/hours/days value).
    """
    breach_at = item["breach_at"]
    if item["stage"] == "paused":
        text, colour = "paused", "red" if item["breached"] else "green"
    elif breach_at is None:  # a business-hours target the schedule can never reach
        text, colour = "", "none"
    else:
        moment = datetime.fromisoformat(breach_at.replace("Z", "+00:00"))
        unit, value = remaining_display(moment, now)
        left = moment - now
        past = left.days < 0
        # "-0m" rather than "0m" in the first half-minute after a breach: the sign says it.
        text = f"{'-' if past and value == 0 else ''}{value}{unit[0]}"
        if past or item["breached"]:
            colour = "red"
        elif left.total_seconds() <= AMBER_SECONDS:
            colour = "amber"
        else:
            colour = "green"
    return BadgeView(
        metric=item["metric"],
        instance_id=item["instance_id"],
        stage=item["stage"],
        breach_at=breach_at,
        breached=item["breached"],
        now=item["now"],
        text=text,
        colour=colour,
        tooltip=badge_tooltip(item, zone or ZoneInfo("UTC"), now),
        label=item.get("label") or target_label(item["metric"]),
    )


def ticket_badge(ticket: Ticket, now: datetime, zone: ZoneInfo | None = None) -> BadgeView | None:
    item = next_badge(policy_metrics(ticket, now))
    return badge_view(item, now, zone) if item else None


def with_version(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's `version`: its latest update's audit id. A page compares versions to tell
    that the ticket changed elsewhere; `updated_at` cannot, as two saves in one second share it.
    Re-evaluations after policy edits are not updates and do not count."""
    latest = TicketAudit.objects.filter(ticket=OuterRef("pk"), snapshot__isnull=False)
    return tickets.annotate(version=Subquery(latest.order_by("-id").values("id")[:1]))


# What poll_payload and the badges read of a ticket.
POLL_TICKET_FIELDS = (
    "id",
    "status",
    "priority",
    "updated_at",
    "next_breach_at",
    "sla_policy_id",
    "group_id",  # whether a group ownership target is the holding group's
)


def poll_payload(tickets: Iterable[Ticket], now: datetime) -> dict[str, Any]:
    rows = []
    for ticket in tickets:
        items = policy_metrics(ticket, now)
        rows.append(
            {
                "id": ticket.pk,
                "status": ticket.status,
                "priority": ticket.priority,
                "updated_at": iso(ticket.updated_at),
                "version": ticket.version,  # type: ignore[attr-defined]  # with_version()
                "next_breach_at": iso(ticket.next_breach_at) if ticket.next_breach_at else None,
                "badge": next_badge(items),
                "policy_metrics": items,
            }
        )
    return {"now": js_time(now), "tickets": rows}


def js_time(moment: datetime) -> str:
    """Milliseconds, so the page can measure its clock against the server's."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sla_poll_view(admin: TicketAdmin, request: HttpRequest) -> JsonResponse:
    """GET ?ids=1,2,3: the badges of those tickets, in a fixed number of queries."""
    if not admin.has_view_permission(request):
        return JsonResponse({"error": "Forbidden"}, status=403)
    try:
        ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip()]
    except ValueError:
        return JsonResponse({"error": "ids must be comma-separated ticket ids"}, status=400)
    if len(ids) > POLL_MAX_IDS:
        return JsonResponse({"error": f"ids must list at most {POLL_MAX_IDS} ids"}, status=400)
    if any(i < 1 or i >= 2**62 for i in ids):
        return JsonResponse({"error": "ids must be ticket ids: whole numbers from 1"}, status=400)
    asked = Ticket.objects.only(*POLL_TICKET_FIELDS).filter(pk__in=ids)
    tickets = list(with_version(asked).order_by("id"))
    attach_badge_data(tickets)
    return JsonResponse(poll_payload(tickets, timezone.now()))


# The ticket page --------------------------------------------------------------------------


# The status categories as agents read them.
CATEGORY_TITLES = {
    "new": "New",
    "open": "Open",
    "pending": "Pending",
    "hold": "On-hold",
    "solved": "Solved",
    "closed": "Closed",
}


def status_label(ticket: Ticket) -> str:
    """A ticket's status as agents read it: its custom status's agent label, with the category
    when the label does not say it ("Waiting on vendor (On-hold)"). Closed is closed."""
    category = CATEGORY_TITLES.get(ticket.status, ticket.status)
    custom = ticket.custom_status
    if custom is None or ticket.status == "closed" or custom.agent_label == category:
        return category
    return f"{custom.agent_label} ({category})"


def status_choice(ticket: Ticket) -> str:
    """The ticket's value in the status picker: its category when it is in the category's
    default (or in none), else `category:custom status id`."""
    custom = ticket.custom_status
    if ticket.status == "closed" or custom is None or custom.default:
        return ticket.status
    if custom.status_category != category_of(ticket.status):
        return ticket.status
    return f"{ticket.status}:{custom.pk}"


def status_picker_choices(ticket: Ticket) -> list[tuple[str, list[tuple[str, str]]]]:
    """The statuses an agent can give the ticket, grouped by category: each category's default
    (valued as the bare category), then its other active statuses; the ticket's own status even
    when it is no longer active. As in Zendesk: no way back to "new", and "closed" is for
    automations, so they are offered only to a ticket already in them."""
    current = status_choice(ticket)
    groups: dict[str, list[tuple[str, str]]] = {}
    if ticket.status in ("new", "closed"):
        groups[ticket.status] = [(current, status_label(ticket))]
    for custom in custom_statuses():
        category = custom.status_category
        if category == "new":
            continue
        value = category if custom.default else f"{category}:{custom.pk}"
        if custom.active or value == current:
            groups.setdefault(category, []).append((value, custom.agent_label))
    for category in ("open", "pending", "hold", "solved"):
        # A category without statuses (an emptied table) still offers itself.
        options = groups.setdefault(category, [])
        if not any(value == category for value, _ in options):
            options.insert(0, (category, CATEGORY_TITLES[category]))
    return [(CATEGORY_TITLES[category], options) for category, options in groups.items()]


class TicketUpdateForm(forms.Form):
    """A reply (public or private) and/or a status or priority change, saved as one update."""

    body = forms.CharField(
        label="Reply",
        required=False,
        max_length=65_536,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=[("public", "Public reply"), ("private", "Private note")],
        initial="public",
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(label="Status")
    priority = forms.ChoiceField(label="Priority", required=False)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"status": status_choice(ticket), "priority": ticket.priority or ""}
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        # Copies of the ChoiceFields declared above.
        status_field = cast(forms.ChoiceField, self.fields["status"])
        priority_field = cast(forms.ChoiceField, self.fields["priority"])
        status_field.choices = status_picker_choices(ticket)
        priority_field.choices = [("", "-")] + [(p.value, p.value.capitalize()) for p in Priority]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.ticket.status == "closed":
            raise forms.ValidationError("A closed ticket cannot be updated.")
        if self.errors:
            return data
        if not data.get("body", "").strip() and not self.changed_fields():
            raise forms.ValidationError(
                "Nothing to save: write a reply or change the status or priority."
            )
        return data

    def changed_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        if data.get("status") and data["status"] != status_choice(self.ticket):
            category, _, custom_id = data["status"].partition(":")
            chosen = {"status": category, "custom_status_id": int(custom_id) if custom_id else None}
            ticket = self.ticket
            current = {"status": ticket.status, "custom_status_id": ticket.custom_status_id}
            # A bare category is its default, as in the API.
            normalised = with_custom_status(
                chosen, status=ticket.status, custom_status_id=ticket.custom_status_id
            )
            for name, value in normalised.items():
                if value != current[name]:
                    fields[name] = value
        priority = data.get("priority") or None
        if priority != self.ticket.priority:
            fields["priority"] = priority
        return fields

    def comment(self, author_id: int) -> services.NewComment | None:
        body = self.cleaned_data.get("body", "").strip()
        if not body:
            return None
        return services.NewComment(
            body=body, public=self.cleaned_data["visibility"] == "public", author_id=author_id
        )


def duration_words(seconds: int, *, business: bool = False) -> str:
    """A target as people say it: "10 minutes", "1 hour 30 minutes", "8 business hours"."""
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if not business and hours and hours % 24 == 0 and not minutes and not rest:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    parts = []
    for value, unit in ((hours, "hour"), (minutes, "minute"), (rest, "second")):
        if value:
            parts.append(f"{value} {unit}{'s' if value != 1 else ''}")
    words = " ".join(parts) or "0 minutes"
    if not business:
        return words
    if len(parts) == 1:
        count, unit = words.split(" ", 1)
        return f"{count} business {unit}"
    return f"{words} of business hours"


def elapsed_words(minutes: int) -> str:
    """ "2h 05m", "45m": durations the engine reports in whole minutes."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


@dataclass(frozen=True)
class TargetRow:
    target: TicketSlaTarget
    badge: BadgeView | None
    group_name: str | None = None  # of the group a group ownership target measures

    @property
    def label(self) -> str:
        return target_label(self.target.metric, self.group_name)

    @property
    def goal(self) -> str:
        seconds = self.target.target_seconds
        if not seconds:
            return ""
        return duration_words(seconds, business=self.target.business_hours)


# Metric events name the metrics as spec §4.4 does; people read the policy's names.
EVENT_TITLES = {
    "agent_work_time": "Agent work time",
    "pausable_update_time": "Pausable update time",
    "periodic_update_time": "Periodic update time",
    "requester_wait_time": "Requester wait time",
    "resolution_time": "Total resolution time",
}


def event_metric_title(metric: str, instance_id: int) -> str:
    """ "First reply time", "Next reply time #2", "Periodic update time #3"."""
    if metric == "reply_time":
        if instance_id <= 1:
            return METRIC_TITLES[Metric.FIRST_REPLY_TIME]
        title = METRIC_TITLES[Metric.NEXT_REPLY_TIME]
        return f"{title} #{instance_id - 1}" if instance_id > 2 else title
    title = EVENT_TITLES.get(metric, metric.replace("_", " ").capitalize())
    return f"{title} #{instance_id}" if instance_id > 1 else title


@dataclass(frozen=True)
class EventRow:
    """One line of the metric events card, in words."""

    time: datetime
    text: str
    kind: str
    deleted: bool


def event_rows(
    events: Iterable[TicketMetricEvent], owners: dict[int, str] | None = None
) -> list[EventRow]:
    """The ticket's metric events as sentences. The `measure` events of the ticket's creation
    (one per metric, spec §4.4) read as one line. `owners` names the group of each group
    ownership instance ("Group ownership time (Tier 2)")."""
    rows: list[EventRow] = []
    seen: set[tuple[str, int]] = set()
    measured_at: datetime | None = None
    owners = owners or {}
    for event in events:
        key = (event.metric, event.instance_id)
        title = event_metric_title(event.metric, event.instance_id)
        if event.metric == GROUP_OWNERSHIP_TIME:
            owner = owners.get(event.instance_id)
            title = f"Group ownership time ({owner})" if owner else "Group ownership time"
        if event.type == "measure":
            if event.time != measured_at:
                measured_at = event.time
                text = "Ticket created: every SLA metric is measured from here"
                rows.append(EventRow(event.time, text, "measure", event.deleted))
            continue
        if event.type == "activate":
            text = f"{title} {'resumed' if key in seen else 'started'}"
            seen.add(key)
        elif event.type == "pause":
            text = f"{title} paused"
        elif event.type == "fulfill":
            text = f"{title}: fulfilled"
        elif event.type == "breach":
            text = f"{title}: breached"
        elif event.type in ("apply_sla", "apply_group_sla"):
            sla = event.sla
            if sla:
                goal = duration_words(
                    int(sla.get("target_in_seconds") or sla["target"] * 60),
                    business=bool(sla.get("business_hours")),
                )
                policy = (sla.get("policy") or {}).get("title")
                text = f"{title} target applied: {goal}" + (f" ({policy})" if policy else "")
            else:
                text = f"{title} target removed"
        elif event.type == "update_status" and event.status:
            calendar, business = event.status["calendar"], event.status["business"]
            text = f"{title} took {elapsed_words(calendar)}"
            if business != calendar:
                text += f" ({elapsed_words(business)} in business hours)"
        else:
            text = f"{title}: {event.type.replace('_', ' ')}"
        rows.append(EventRow(event.time, text, event.type, event.deleted))
    return rows


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def readable_times(text: str, zone: ZoneInfo) -> SafeString:
    """The engine's sentences carry ISO times; people read "Thu 15 Jan 2026, 10:00", each a
    `<time>` the page script shows in the browser's zone, as every other time on the page
    (`zone`, the profile's, is what the page says before the script runs)."""
    parts: list[str] = []
    last = 0
    for match in _ISO_TIME.finditer(text):
        moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        parts.append(escape(text[last : match.start()]))
        parts.append(
            format_html(
                '<time class="local-time" datetime="{}">{}</time>',
                moment.isoformat(),
                local_time(moment, zone, year=True),
            )
        )
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every part above is escaped


def policy_step_lines(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The policy history as one line per change: the engine records a step whenever the
    policy set changes, so an edit to the applied policy repeats the same policy; those
    repeats are dropped."""
    lines: list[dict[str, Any]] = []
    last: tuple[Any, ...] | None = None
    for step in steps:
        key = (step["matched_policy_id"], step["applied_policy_id"], step["priority"])
        if key == last:
            continue
        last = key
        if step["applied_title"]:
            text = f"“{step['applied_title']}” applied at {step['priority']} priority"
        elif step["matched_title"]:
            text = f"“{step['matched_title']}” matches, but the ticket has no priority: no targets"
        elif step["matched_policy_id"] is not None:
            text = "a policy since deleted matched"
        else:
            text = "no policy matches"
        lines.append({"at": _moment(step["at"]), "text": text})
    return lines


def explanation_for(ticket: Ticket, now: datetime, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """What `GET /api/v2/tickets/{id}/sla_explanation` answers, with policy titles resolved
    and times as datetimes (the page shows them in the viewer's zone)."""
    zone = zone or ZoneInfo("UTC")
    explained = explain(ticket, now)
    titles = dict(Policy.objects.values_list("id", "title"))
    for step in explained["policy_steps"]:
        step["matched_title"] = titles.get(step["matched_policy_id"])
        step["applied_title"] = titles.get(step["applied_policy_id"])
    for instance in explained["targets"]:
        instance["label"] = METRIC_LABELS.get(instance["metric"], instance["metric"])
        instance["activated_at"] = _moment(instance["activated_at"])
        instance["deadline"] = _moment(instance["deadline"])
        instance["pauses"] = [(_moment(start), _moment(end)) for start, end in instance["pauses"]]
        instance["outcome"] = readable_times(instance["outcome"], zone)
        if instance["target"]:
            instance["target_words"] = duration_words(
                instance["target"]["seconds"], business=instance["target"]["business_hours"]
            )
        for change in instance["target_changes"]:
            change["policy_title"] = titles.get(change["policy_id"])
            change["at"] = _moment(change["at"])
            if change["target"]:
                change["target_words"] = duration_words(
                    change["target"]["seconds"], business=change["target"]["business_hours"]
                )
        spans = instance["schedule_spans"]
        if spans:
            spans["spans"] = [(_moment(start), _moment(end)) for start, end in spans["spans"]]
    for item in explained["not_started"]:
        metric = item["metric"]
        item["title"] = METRIC_TITLES[Metric(metric)] if metric else None
    return {
        "policies_tried": explained["policies_tried"],
        "policy_steps": policy_step_lines(explained["policy_steps"]),
        "instances": explained["targets"],
        "not_started": explained["not_started"],
        "group": group_explanation(explained["group"], ticket.group_id),
    }


def group_explanation(group: dict[str, Any] | None, current_group_id: int | None) -> Any:
    """The group part of "Why this SLA" in words: group names for ids, datetimes for times,
    durations and endings as people say them. None when no group SLA policy was in force."""
    if group is None:
        return None
    ids = {i["group_id"] for i in group["instances"]}
    for attempt in group["policies_tried"]:
        value = (attempt["condition"] or {}).get("value")
        ids.update(_ids(value))
    ids.update(_ended_by_group(i["ended_by"]) or 0 for i in group["instances"])
    if current_group_id is not None:
        ids.add(current_group_id)
    names = group_names(ids - {0})

    def name(group_id: int | None) -> str:
        if group_id is None:
            return "no group"
        return names.get(group_id, "a group since removed")

    tried = [
        {
            "title": attempt["title"],
            "matched": attempt["matched"],
            "why": group_condition_words(attempt["condition"], current_group_id, name)
            or attempt["reason"],
        }
        for attempt in group["policies_tried"]
    ]
    instances = []
    for item in group["instances"]:
        target = item["target"]
        business = bool(target and target["business_hours"])
        held = item["running_business_seconds"] if business else item["running_seconds"]
        instances.append(
            {
                "instance_id": item["instance_id"],
                "group": name(item["group_id"]),
                "started_at": _moment(item["started_at"]),
                "ended_at": _moment(item["ended_at"]),
                "ended": ownership_end_words(item["ended_by"], name),
                "held": duration_words(held, business=business),
                "paused": duration_words(item["paused_seconds"]) if item["paused_seconds"] else "",
                "target_words": (
                    duration_words(target["seconds"], business=business) if target else ""
                ),
                "policy_title": (item["policy"] or {}).get("title") or "",
                "deadline": _moment(item["deadline"]),
                "breached": item["breached"],
                "breached_at": _moment(item["breached_at"]),
                "outcome": ownership_outcome(item),
            }
        )
    policy = group["policy"]
    return {
        "policy_title": policy["title"] if policy else "",
        "policies_tried": tried,
        "holder": name(group["group_id"]) if group["group_id"] is not None else "",
        "held_since": _moment(group["held_since"]),
        "instances": instances,
    }


def _ids(value: object) -> set[int]:
    values = value if isinstance(value, list) else [value]
    return {int(v) for v in values if isinstance(v, int | str) and str(v).isdigit()}


_HANDED_TO = re.compile(r"reassigned to group (\d+)")


def _ended_by_group(ended_by: str | None) -> int | None:
    match = _HANDED_TO.fullmatch(ended_by or "")
    return int(match.group(1)) if match else None


def ownership_end_words(ended_by: str | None, name: Callable[[int | None], str]) -> str:
    """Why a group stopped holding the ticket, from the engine's `ended_by`."""
    if not ended_by:
        return ""
    handed_to = _ended_by_group(ended_by)
    if handed_to is not None:
        return f"handed to {name(handed_to)}"
    return {
        "ticket solved": "the ticket was solved",
        "ticket closed": "the ticket was closed",
        "group removed": "the ticket was left without a group",
    }.get(ended_by, ended_by)


def ownership_outcome(item: dict[str, Any]) -> str:
    """One ownership in a few words, for its summary line."""
    target = item["target"]
    if item["ended_at"] is None:
        state = "paused" if item["stage"] == "paused" else "holds the ticket"
    else:
        state = "held the ticket"
    if target is None:
        return f"{state}, no target"
    if item["breached"]:
        return f"{state}, target missed"
    return f"{state}, within its target"


def group_condition_words(
    condition: dict[str, Any] | None, group_id: int | None, name: Callable[[int | None], str]
) -> str:
    """Why a group condition failed, in words: "the ticket is with Tier 1, not Tier 2"."""
    if not condition or condition.get("field") != "group_id":
        return ""
    listed = sorted(_ids(condition.get("value")))
    groups = " or ".join(name(g) for g in listed) or "no group"
    if condition.get("operator") == "not_includes":
        return f"the ticket is with {name(group_id)}, which this policy leaves out"
    if group_id is None:
        return f"the ticket has no group (the policy covers {groups})"
    return f"the ticket is with {name(group_id)}, not {groups}"


def _target_rows(
    ticket: Ticket, targets: list[TicketSlaTarget], now: datetime, zone: ZoneInfo
) -> list[TargetRow]:
    live = {(i["metric"], i["instance_id"]): i for i in policy_metrics(ticket, now)}
    names: dict[int, str] = ticket.badge_group_names  # type: ignore[attr-defined]
    rows = []
    for target in targets:
        item = live.get((target.metric, target.instance_id))
        badge = badge_view(item, now, zone) if item and item["stage"] != "achieved" else None
        group_name = names.get(target.group_id) if target.group_id is not None else None
        rows.append(TargetRow(target, badge, group_name))
    return rows


def ticket_page_view(
    admin: TicketAdmin, request: HttpRequest, object_id: str, extra_context: Any = None
) -> HttpResponse:
    if not object_id.isdigit():
        raise Http404
    ticket = get_object_or_404(
        with_version(Ticket.objects.all()).select_related(
            "requester", "submitter", "assignee", "group", "sla_policy", "custom_status"
        ),
        pk=int(object_id),
    )
    if not admin.has_view_permission(request, ticket):
        raise PermissionDenied
    attach_badge_data([ticket])
    can_change = admin.has_change_permission(request, ticket)
    form = TicketUpdateForm(ticket=ticket)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        author_id = request.user.pk
        if author_id is None:  # signed out: the admin site lets only staff in
            raise PermissionDenied
        form = TicketUpdateForm(request.POST, ticket=ticket)
        if form.is_valid():
            with transaction.atomic():
                services.ticket_update(
                    ticket_id=ticket.pk,
                    fields=form.changed_fields(),
                    author_id=author_id,
                    comment=form.comment(author_id),
                    now=timezone.now(),
                    via_id=0,  # web
                )
            messages.success(request, f"Ticket #{ticket.pk} saved.")
            return HttpResponseRedirect(request.path)
    now = timezone.now()
    viewer = viewer_zone(request.user)
    schedule = policy_selectors.default_schedule()
    zone = ZoneInfo(schedule.time_zone if schedule else "UTC")
    targets = list(
        TicketSlaTarget.objects.filter(ticket=ticket)
        .select_related("policy", "group_policy")
        .order_by("metric", "instance_id")
    )
    names: dict[int, str] = ticket.badge_group_names  # type: ignore[attr-defined]
    opts = admin.model._meta
    context = {
        **admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "title": f"#{ticket.pk} {ticket.subject}",
        "subtitle": None,
        "ticket": ticket,
        "status_label": status_label(ticket),
        "form": form,
        "can_change": can_change,
        "targets": _target_rows(ticket, targets, now, viewer),
        "schedule": schedule,
        "schedule_zone": zone.key,
        "viewer_zone": viewer.key,
        "explanation": explanation_for(ticket, now, viewer),
        "comments": list(ticket.comments.select_related("author").order_by("created_at", "id")),
        "events": event_rows(
            TicketMetricEvent.objects.filter(ticket_id=ticket.pk).order_by("time", "ordinal", "id"),
            {
                target.instance_id: names[target.group_id]
                for target in targets
                if target.metric == GROUP_OWNERSHIP_TIME and target.group_id in names
            },
        ),
        "now": now,
        "now_iso": js_time(now),
        "version": ticket.version,  # type: ignore[attr-defined]  # with_version()
        "poll_url": reverse("admin:tickets_ticket_sla"),
        "queue_url": reverse("admin:tickets_ticket_changelist"),
        **(extra_context or {}),
    }
    request.current_app = admin.admin_site.name
    return TemplateResponse(request, "admin/tickets/ticket/ticket_page.html", context)
