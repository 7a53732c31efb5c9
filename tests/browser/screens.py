"""Screenshots of the pages as people see them, kept under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save the page's viewport (or the whole page) as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def horizontal_overflow(page: Any) -> int:
    """How many pixels the document is wider than the viewport (0 or less: it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def table_overflow(page: Any, selector: str = "#result_list") -> int:
    """How many pixels a table is wider than the box around it (which would scroll it)."""
    return int(
        page.evaluate(
            "(selector) => { const box = document.querySelector(selector).parentElement;"
            " return box.scrollWidth - box.clientWidth; }",
            selector,
        )
    )
