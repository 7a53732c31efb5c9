"""The agent home's rows: each admin result row beside the section heading that precedes it."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def with_headings(results: list[Any], changelist: Any) -> list[tuple[str | None, Any]]:
    """(heading or None, row) pairs; `changelist.row_headings` is aligned with the rows."""
    headings = getattr(changelist, "row_headings", None) or [None] * len(results)
    return list(zip(headings, results, strict=True))
