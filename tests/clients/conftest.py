"""Fixtures for driving a live slaweb server with real Zendesk client libraries.

pytest-django's `live_server` serves the app on a random port in a thread; it implies
`transactional_db`, so whatever a fixture writes is committed and visible to the server, and the
database is emptied after every test. Ids keep growing across tests: never hard-code them.

Clients are pointed at http://127.0.0.1:PORT (not `live_server.url`, which says "localhost":
node 20 may resolve that to ::1 while the server listens on IPv4 only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from policies import services as policy_services
from policies.models import Policy
from tickets import services
from tickets.models import Brand, User

NODE_DIR = Path(__file__).parent / "node"
NODE_SCRIPT = NODE_DIR / "sla_policies.js"

ADMIN_EMAIL = "compat-admin@example.com"
BRAND_NAME = "Compat Support"

# The filter `make_policy` gives a policy unless told otherwise, in the API's shape.
TAGS_FILTER: dict[str, list[dict[str, Any]]] = {
    "all": [{"field": "current_tags", "operator": "includes", "value": "vip"}],
    "any": [],
}


@dataclass(frozen=True)
class Account:
    """The admin the clients sign in as, with an API token, and the account's one brand."""

    admin: User
    email: str
    token: str
    brand_id: int


def create_account() -> Account:
    brand = Brand.objects.create(name=BRAND_NAME, subdomain="compat")
    admin = services.user_create(name="Compat Admin", email=ADMIN_EMAIL, role="admin")
    token = services.api_token_create(user=admin, description="client compatibility tests")
    return Account(admin=admin, email=ADMIN_EMAIL, token=token, brand_id=brand.pk)


@pytest.fixture
def account(transactional_db: None) -> Account:
    return create_account()


def root_url(live_server: Any) -> str:
    return f"http://127.0.0.1:{live_server.thread.port}"


@pytest.fixture
def server_url(live_server: Any) -> str:
    """Root URL of the live server, e.g. http://127.0.0.1:40123 (no trailing slash)."""
    return root_url(live_server)


def create_policy(
    title: str,
    *,
    filter: dict[str, list[dict[str, Any]]] | None = None,
    minutes: int = 60,
    description: str | None = None,
) -> Policy:
    """A policy made through the service layer (not the API under test); goes last."""
    return policy_services.policy_create(
        title=title,
        description=description,
        filter=filter if filter is not None else TAGS_FILTER,
        policy_metrics=[
            {
                "priority": "urgent",
                "metric": "first_reply_time",
                "target_seconds": minutes * 60,
                "business_hours": False,
            }
        ],
    )


@pytest.fixture
def make_policy(transactional_db: None) -> Callable[..., Policy]:
    """Create a policy through the service layer (not the API under test); goes last."""
    return create_policy


# node-zendesk ---------------------------------------------------------------------------------


def _pinned_node_zendesk_version() -> str:
    package = json.loads((NODE_DIR / "package.json").read_text())
    return package["dependencies"]["node-zendesk"]


def _installed_node_zendesk_version() -> str | None:
    installed = NODE_DIR / "node_modules" / "node-zendesk" / "package.json"
    if not installed.exists():
        return None
    return json.loads(installed.read_text())["version"]


@pytest.fixture(scope="session")
def node_bin() -> str:
    """The `node` executable, with node-zendesk installed from package-lock.json.

    Fails (does not skip) without node/npm: CI installs them and the suite must not go green
    silently. Runs `npm ci` when node_modules is missing or holds another node-zendesk version.
    """
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm must be on PATH to run the node-zendesk compatibility tests")
    if _installed_node_zendesk_version() != _pinned_node_zendesk_version():
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if completed.returncode != 0:
            pytest.fail(
                f"npm ci failed in {NODE_DIR} (exit {completed.returncode}):\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
    installed, pinned = _installed_node_zendesk_version(), _pinned_node_zendesk_version()
    if installed != pinned:
        pytest.fail(f"node-zendesk {installed} installed, package.json pins {pinned}")
    return node


def node_run(node_bin: str, server_url: str, account: Account, scenario: str) -> dict[str, Any]:
    """Run sla_policies.js against the live server; returns its JSON output."""
    env = {**os.environ, "NO_COLOR": "1"}
    completed = subprocess.run(
        [node_bin, str(NODE_SCRIPT), server_url, account.email, account.token, scenario],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, (
        f"node exited {completed.returncode}\nstdout:\n{completed.stdout}\n"
        f"stderr:\n{completed.stderr}"
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    assert lines, f"node printed nothing\nstderr:\n{completed.stderr}"
    return json.loads(lines[-1])


@pytest.fixture
def run_node(node_bin: str, server_url: str, account: Account) -> Callable[[str], dict[str, Any]]:
    """Run sla_policies.js against the live server; returns its JSON output."""

    def run(scenario: str = "crud") -> dict[str, Any]:
        return node_run(node_bin, server_url, account, scenario)

    return run


# zenpy ----------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP request zenpy made and the response it got."""

    method: str
    url: str
    body: Any  # the JSON zenpy sent, or None
    status: int
    headers: dict[str, str]
    response_json: Any  # None when the body is empty or not JSON


@dataclass
class ZenpyHarness:
    client: Any  # zenpy.Zenpy
    exchanges: list[Exchange]

    def last(self, method: str) -> Exchange:
        return [e for e in self.exchanges if e.method == method][-1]


def _zenpy_for(
    server_url: str, email: str, token: str, monkeypatch: pytest.MonkeyPatch
) -> ZenpyHarness:
    import requests
    from zenpy import Zenpy

    # zenpy builds https://{subdomain}.{domain}/api/v2/...; these two environment variables are
    # its own override hooks (BaseApi._build_url / BaseApi.base_url read them on every call).
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", server_url.removeprefix("http://"))
    exchanges: list[Exchange] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        raw = response.request.body
        try:
            response_json = response.json() if response.content else None
        except ValueError:
            response_json = None
        exchanges.append(
            Exchange(
                method=response.request.method or "",
                url=response.request.url or "",
                body=json.loads(raw) if raw else None,
                status=response.status_code,
                headers=dict(response.headers),
                response_json=response_json,
            )
        )

    session = requests.Session()
    session.hooks["response"].append(record)
    client = Zenpy(subdomain="slaweb", email=email, token=token, session=session)
    return ZenpyHarness(client=client, exchanges=exchanges)


@pytest.fixture
def zenpy_api(server_url: str, account: Account, monkeypatch: pytest.MonkeyPatch) -> ZenpyHarness:
    """A zenpy client signed in as the account's admin with `email` + `token`."""
    return _zenpy_for(server_url, account.email, account.token, monkeypatch)


@pytest.fixture
def zenpy_api_bad_token(
    server_url: str, account: Account, monkeypatch: pytest.MonkeyPatch
) -> ZenpyHarness:
    return _zenpy_for(server_url, account.email, "not-the-token", monkeypatch)
