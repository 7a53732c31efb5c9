"""Zendesk clients signing in with an OAuth access token (`Authorization: Bearer`) against a live
slaweb: zenpy's `Zenpy(oauth_token=...)` and node-zendesk's `createClient({oauth: true, token})`
list tickets and create one; a bad token is refused the way Zendesk refuses it."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Ticket as ZenpyTicket
from zenpy.lib.exception import APIException

from tests.clients.conftest import NODE_DIR, Account
from tests.factories import TicketFactory
from tickets import services
from tickets.models import Ticket
from tickets.models.accounts import OAuthToken

pytestmark = pytest.mark.clients

INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": (
        "The access token provided is expired, revoked, malformed or invalid for other reasons."
    ),
}


@dataclass
class Recorded:
    """What zenpy sent: per request, its method, URL and Authorization scheme."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)


def zenpy_with_oauth(
    server_url: str, oauth_token: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Recorded]:
    # zenpy's own hooks for its base URL (see tests/clients/conftest.py).
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", server_url.removeprefix("http://"))
    recorded = Recorded()

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        sent = response.request
        scheme = str(sent.headers.get("Authorization", "")).split(" ")[0]
        recorded.calls.append((sent.method or "", sent.url or "", scheme))

    session = requests.Session()
    session.hooks["response"].append(record)
    return Zenpy(subdomain="slaweb", oauth_token=oauth_token, session=session), recorded


@pytest.fixture
def oauth_token(account: Account) -> str:
    _, token = services.oauth_token_create(user=account.admin, scopes=["read", "write"])
    return token


# zenpy ----------------------------------------------------------------------------------------


def test_zenpy_with_an_oauth_token_lists_and_creates_tickets(
    server_url: str, account: Account, oauth_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = TicketFactory(requester=account.admin, subject="Already here", priority=None)
    zenpy, recorded = zenpy_with_oauth(server_url, oauth_token, monkeypatch)

    listed = list(zenpy.tickets())
    assert [(t.id, t.subject) for t in listed] == [(existing.pk, "Already here")]

    answer = zenpy.tickets.create(ZenpyTicket(subject="From zenpy", description="Help"))
    created = Ticket.objects.get(subject="From zenpy")
    # zenpy hands back a TicketAudit when the answer has an audit, else the Ticket.
    assert getattr(answer, "ticket", answer).id == created.pk
    assert created.requester_id == account.admin.pk
    assert {t.id for t in zenpy.tickets()} == {existing.pk, created.pk}

    assert recorded.calls
    assert {scheme for _, _, scheme in recorded.calls} == {"Bearer"}
    assert ("POST", f"{server_url}/api/v2/tickets.json", "Bearer") in recorded.calls
    assert OAuthToken.objects.get().last_used_at is not None


def test_zenpy_with_a_bad_oauth_token_raises_its_api_error(
    server_url: str, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    zenpy, _ = zenpy_with_oauth(server_url, "not-a-token", monkeypatch)
    with pytest.raises(APIException) as raised:
        list(zenpy.tickets())
    response = raised.value.response
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="slaweb", error="invalid_token"'
    assert json.loads(str(raised.value)) == INVALID_TOKEN


def test_zenpy_with_a_revoked_or_read_only_token_is_refused(
    server_url: str, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked, revoked_token = services.oauth_token_create(user=account.admin, scopes=["read"])
    services.oauth_token_revoke(token_id=revoked.pk, at=revoked.created_at)
    zenpy, _ = zenpy_with_oauth(server_url, revoked_token, monkeypatch)
    with pytest.raises(APIException) as raised:
        list(zenpy.tickets())
    assert raised.value.response.status_code == 401

    _, read_only = services.oauth_token_create(user=account.admin, scopes=["tickets:read"])
    zenpy, _ = zenpy_with_oauth(server_url, read_only, monkeypatch)
    assert list(zenpy.tickets()) == []
    with pytest.raises(APIException) as forbidden:
        zenpy.tickets.create(ZenpyTicket(subject="Not allowed", description="x"))
    assert forbidden.value.response.status_code == 403
    assert forbidden.value.response.json()["error"]["title"] == "Forbidden"
    assert not Ticket.objects.exists()


# node-zendesk ---------------------------------------------------------------------------------

# Run with `node -e` in tests/clients/node, where node-zendesk is installed. Prints one JSON
# object: per step what the library returned ({ok, result} or {ok: false, error, statusCode,
# body}), and every request with the scheme of its Authorization header.
NODE_SCRIPT = r"""
'use strict';
const {createClient} = require('node-zendesk');

const endpointUri = `${process.env.SLAWEB_BASE_URL}/api/v2`;
const requests = [];
const results = {};

function watched(api) {
  api.on('debug::request', ({detail}) => {
    const headers = detail.headers || {};
    requests.push({
      method: detail.method,
      uri: detail.uri,
      auth: String(headers.Authorization || headers.authorization || '').split(' ')[0],
      body: detail.body === undefined ? null : JSON.parse(detail.body),
    });
  });
  api.on('debug::response', ({detail}) => {
    const last = requests.at(-1);
    if (last && last.status === undefined) last.status = detail.status;
  });
  return api;
}

function oauthClient(token) {
  return createClient({endpointUri, oauth: true, token});
}

async function step(name, fn) {
  try {
    const value = await fn();
    const result = value && typeof value === 'object' && 'result' in value ? value.result : value;
    results[name] = {ok: true, result: result === undefined ? null : result};
  } catch (error) {
    results[name] = {
      ok: false,
      error: String(error && error.message),
      statusCode: error && error.statusCode !== undefined ? error.statusCode : null,
      body: error && error.result !== undefined ? error.result : null,
    };
  }
  return results[name];
}

async function main() {
  const oauth = oauthClient(process.env.SLAWEB_OAUTH_TOKEN);
  const tickets = watched(oauth.tickets);
  await step('list_before', () => tickets.list());
  await step('create', () =>
    tickets.create({ticket: {subject: 'From node-zendesk', comment: {body: 'Help'}}}),
  );
  await step('list_after', () => tickets.list());
  await step('current', () => watched(oauth.oauthtokens).current());

  // An admin signed in with an API token creates a token (node-zendesk posts the token
  // object unwrapped), and a client signs in with it.
  const basic = createClient({
    endpointUri,
    username: process.env.SLAWEB_EMAIL,
    token: process.env.SLAWEB_API_TOKEN,
  });
  const created = await step('create_token', () =>
    watched(basic.oauthtokens).create({client_id: 1, scopes: ['tickets:read']}),
  );
  const fullToken = created.ok ? created.result.full_token : 'missing';
  const scoped = watched(oauthClient(fullToken).tickets);
  await step('scoped_list', () => scoped.list());
  await step('scoped_create', () =>
    scoped.create({ticket: {subject: 'Refused', comment: {body: 'x'}}}),
  );
  await step('bad_token_list', () => watched(oauthClient('not-a-token').tickets).list());

  process.stdout.write(JSON.stringify({results, requests}) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
"""


def run_node_script(
    node_bin: str, server_url: str, account: Account, oauth_token: str
) -> dict[str, Any]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "SLAWEB_BASE_URL": server_url,
        "SLAWEB_EMAIL": account.email,
        "SLAWEB_API_TOKEN": account.token,
        "SLAWEB_OAUTH_TOKEN": oauth_token,
    }
    completed = subprocess.run(
        [node_bin, "-e", NODE_SCRIPT],
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
    output: dict[str, Any] = json.loads(lines[-1])
    return output


def ok(output: dict[str, Any], step: str) -> Any:
    result = output["results"][step]
    assert result["ok"], f"{step} failed: {result}"
    return result["result"]


def subjects(listed: Any) -> list[str]:
    """node-zendesk's tickets.list() resolves to the tickets of every page."""
    assert isinstance(listed, list)
    return [ticket["subject"] for ticket in listed]


def test_node_zendesk_with_oauth_lists_and_creates_tickets(
    node_bin: str, server_url: str, account: Account, oauth_token: str
) -> None:
    TicketFactory(requester=account.admin, subject="Already here", priority=None)
    output = run_node_script(node_bin, server_url, account, oauth_token)
    endpoint = f"{server_url}/api/v2"

    # Results come unwrapped: node-zendesk takes the object from under its JSON key.
    assert subjects(ok(output, "list_before")) == ["Already here"]
    created = ok(output, "create")
    assert created["id"] == Ticket.objects.get(subject="From node-zendesk").pk
    assert sorted(subjects(ok(output, "list_after"))) == ["Already here", "From node-zendesk"]

    current = ok(output, "current")
    assert current["id"] == OAuthToken.objects.get(token_hash=OAuthToken.hash(oauth_token)).pk
    assert current["token"] == oauth_token[:10]
    assert "full_token" not in current

    # The token node-zendesk created from its unwrapped body works with its oauth option,
    # within its scope.
    made = ok(output, "create_token")
    assert made["scopes"] == ["tickets:read"]
    assert made["client_id"] == 1
    assert made["token"] == made["full_token"][:10]
    assert OAuthToken.objects.get(pk=made["id"]).user_id == account.admin.pk
    assert sorted(subjects(ok(output, "scoped_list"))) == ["Already here", "From node-zendesk"]
    refused = output["results"]["scoped_create"]
    assert not refused["ok"]
    assert "Zendesk Error (403)" in refused["error"]
    assert not Ticket.objects.filter(subject="Refused").exists()

    bad = output["results"]["bad_token_list"]
    assert not bad["ok"]
    assert bad["statusCode"] == 401
    assert bad["body"] == INVALID_TOKEN

    tickets = f"{endpoint}/tickets.json"
    listed = f"{tickets}?page%5Bsize%5D=100"
    sent = [(r["method"], r["uri"], r["auth"], r.get("status")) for r in output["requests"]]
    assert sent == [
        ("GET", listed, "Bearer", 200),
        ("POST", tickets, "Bearer", 201),
        ("GET", listed, "Bearer", 200),
        ("GET", f"{endpoint}/oauth/tokens/current.json", "Bearer", 200),
        ("POST", f"{endpoint}/oauth/tokens.json", "Basic", 201),
        ("GET", listed, "Bearer", 200),
        ("POST", tickets, "Bearer", 403),
        ("GET", listed, "Bearer", 401),
    ]
    create_token = output["requests"][4]
    assert create_token["body"] == {"client_id": 1, "scopes": ["tickets:read"]}
