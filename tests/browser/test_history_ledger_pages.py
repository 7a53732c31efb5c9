"""Clicking around the policy pages never changes the past: a move shown with its impact, saved,
then undone, an edit and its revert, and a title change leave every report figure, badge and
metric event as they were, with the recompute run by the real worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.test_policy_pages import LIST, confirm_move, status, titles_in_db
from tests.conftest import token_client
from tests.factories import UserFactory
from tests.tickets.test_history_ledger import account, run_worker, seen

__all__ = ["account"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def _clock_stopped() -> Iterator[None]:
    """The server's clock stands still from the account's making to the last look (these
    tests read no countdown): the report's weeks start on Monday 00:00 UTC, so a test that
    read the figures on a Sunday night and again after midnight compared different weeks."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        yield


def test_a_move_and_its_undo_in_the_policy_list_change_nothing(
    page: Any, sign_in: Any, account: dict[str, Any]
) -> None:
    before = seen(account["admin"], account["tickets"])
    sign_in(UserFactory(role="admin", email="walker@example.com"))
    page.goto(LIST)
    page.get_by_role("button", name="Move “Everything else” up").click()
    # The impact is shown before anything is saved: the VIP tickets would change policy.
    confirm_move(page, "open tickets to another policy")
    expect(status(page)).to_contain_text("Saved.")
    assert titles_in_db() == ["Everything else", "VIP"]
    page.get_by_role("button", name="Undo").click()
    expect(status(page)).to_have_text(
        "Undone: the previous order is back (breaches recorded meanwhile stay in the history)."
        " Saved."
    )
    assert titles_in_db() == ["VIP", "Everything else"]
    run_worker()
    assert seen(token_client(UserFactory(role="admin")), account["tickets"]) == before
    assert not page.console_errors


def test_an_edit_and_its_revert_and_a_title_change_in_the_editor_change_nothing(
    page: Any, sign_in: Any, account: dict[str, Any]
) -> None:
    before = seen(account["admin"], account["tickets"])
    sign_in(UserFactory(role="admin", email="editor@example.com"))
    editor = f"{LIST}{account['vip'].pk}/change/"
    minutes = "Normal, First reply time, minutes"
    for value in ("20", "10"):  # the edit, then its revert
        page.goto(editor)
        page.get_by_label(minutes).fill(value)
        page.get_by_role("button", name="Save", exact=True).click()
        # A change to open tickets' targets is shown before it is saved: save again.
        expect(page.get_by_text("Review what saving would change")).to_be_visible()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto(editor)
    page.get_by_label("Title:").fill("Very important people")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    run_worker()
    assert seen(token_client(UserFactory(role="admin")), account["tickets"]) == before
    assert not page.console_errors
