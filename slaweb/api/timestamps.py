"""Zendesk's timestamp format, the one way slaweb writes a moment in JSON."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, as Zendesk writes it: 2026-01-02T03:04:05Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None
