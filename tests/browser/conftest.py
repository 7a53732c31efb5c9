"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Chromium is found at $SLAWEB_CHROMIUM or /usr/bin/chromium. Where it is missing, `make test`
skips these tests with a message saying how to install it; under CI (the `CI` variable set) a
missing Chromium is an error, so CI can never pass without running them.

When a test fails, the page's screenshot and HTML are saved under test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import UserFactory
from tickets.models import User

CHROMIUM = Path(os.environ.get("SLAWEB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "correct horse battery staple"
MISSING = f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` to run these"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if browser_items and not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI must run the browser tests. {MISSING}.")
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django takes for
    # an async context; the ORM calls made here are synchronous and safe. Package scope ends
    # both before the other test packages run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-background-networking"],
            )
            yield browser
            browser.close()


@pytest.fixture
def server_url(live_server: Any) -> str:
    """http://127.0.0.1:PORT: the live server's address, without a trailing slash."""
    return f"http://127.0.0.1:{live_server.thread.port}"


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, server_url: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=server_url,
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        timezone_id="Europe/Berlin",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.console_errors = console_errors  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
            (ARTIFACTS / f"{stem}.html").write_text(page.content())
        except Exception as error:  # the page may have crashed; keep the original failure
            (ARTIFACTS / f"{stem}.error.txt").write_text(repr(error))
    context.close()


@pytest.fixture
def make_user(transactional_db: None) -> Callable[..., User]:
    def make(role: str, email: str | None = None, **extra: Any) -> User:
        return UserFactory(role=role, email=email or f"{role}-browser@example.com", **extra)

    return make


@pytest.fixture
def sign_in(page: Any) -> Callable[[User], Any]:
    """Sign in on the admin site's own form, as a person would."""

    def sign_in_as(user: User) -> Any:
        page.goto("/admin/login/?next=/admin/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return sign_in_as
