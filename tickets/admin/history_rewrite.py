"""The page for rewriting SLA history on purpose: preview, then apply with a reason.

It calls the same services as `/api/v2/slas/history_rewrites`, so the page and the API change
the same things and keep the same record.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from policies.selectors import default_schedule
from tickets.sla.rewrite import (
    RewriteOutcome,
    RewriteRangeError,
    history_rewrite_apply,
    history_rewrite_preview,
    history_rewrites,
)

DEFAULT_DAYS = 30


def _account_zone() -> ZoneInfo:
    schedule = default_schedule()
    return ZoneInfo(schedule.time_zone if schedule is not None else "UTC")


def _since(text: str, zone: ZoneInfo) -> datetime | None:
    """Midnight of the chosen day in the account's time zone."""
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(), tzinfo=zone)
    except ValueError:
        return None


def history_rewrite_view(request: HttpRequest) -> HttpResponse:
    """Admins only (the admin site's sign-in wraps it; agents get the friendly 403)."""
    if not getattr(request.user, "is_admin", False):
        raise PermissionDenied
    now = timezone.now()
    zone = _account_zone()
    errors: dict[str, str] = {}
    outcome: RewriteOutcome | None = None
    since_text = request.POST.get("since", "") if request.method == "POST" else ""
    if not since_text:
        since_text = (now.astimezone(zone).date() - timedelta(days=DEFAULT_DAYS)).isoformat()
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        since = _since(since_text, zone)
        apply = request.POST.get("action") == "apply"
        if since is None:
            errors["since"] = "Choose the first day whose tickets should be recomputed."
        elif apply and not reason:
            errors["reason"] = "Say why the past is being rewritten; it is kept with the record."
        try:
            if since is not None and apply and not errors:
                record = history_rewrite_apply(
                    since=since, now=now, actor_id=request.user.pk, reason=reason
                )
                messages.success(
                    request,
                    f"History rewritten: {record.tickets_changed} of "
                    f"{record.tickets_considered} tickets changed.",
                )
                return HttpResponseRedirect(reverse("sla-history-rewrite"))
            if since is not None:
                outcome = history_rewrite_preview(since=since, now=now)
        except RewriteRangeError as error:
            errors["since"] = f"The first day {error}."
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Rewrite SLA history",
        "subtitle": None,
        "since_text": since_text,
        "reason": reason,
        "errors": errors,
        "outcome": outcome,
        "time_zone": zone.key,
        "periods": _periods(outcome),
        "records": list(history_rewrites()[:20]),
    }
    return render(request, "admin/history_rewrite/history_rewrite.html", context)


def _periods(outcome: RewriteOutcome | None) -> list[dict[str, Any]]:
    """The preview's weeks as table rows, with the changes spelled out."""
    if outcome is None:
        return []
    rows = []
    for period in outcome.periods:
        before, after = period["before"], period["after"]
        rows.append(
            {
                "label": "All weeks"
                if period["period"] == "total"
                else f"Week of {period['period']}",
                "before": before,
                "after": after,
                "changed": before != after,
            }
        )
    return rows
