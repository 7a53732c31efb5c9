"""Signed webhooks, sent only to public addresses: the address is resolved once, checked and
pinned for the connection, so a DNS answer cannot change between the check and the send.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}`, sent as `webhook-signature: v1,<base64>`. The
timestamp is signed with the body, so a receiver that rejects old timestamps cannot be fed a
captured webhook again later; the id (the notification's idempotency key, the same on every
retry) lets it drop repeats.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks import Webhook

from tickets.models import NotificationRule, SlaNotification
from tickets.notifications.messages import DeliveryError

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# The same value as webhook-id, under the name receivers used before the Standard Webhooks
# headers.
IDEMPOTENCY_HEADER = "X-Slaweb-Idempotency-Key"

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    """A fresh secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign webhooks, or None."""
    if not secret:
        return "is required for a webhook rule"
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            return "starts with whsec_ but what follows is not base64"
        if not key:
            return "has no key after whsec_"
    return None


def signing_key(secret: str) -> bytes:
    """The HMAC key of a rule's secret. A secret in the Standard Webhooks form (whsec_ and
    base64) is the key it encodes; any other secret, as rules were given before that form,
    is its own UTF-8 bytes, so receivers that already hold it keep verifying with it."""
    problem = webhook_secret_problem(secret)
    if problem:
        raise DeliveryError(f"webhook secret {problem}")
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    return secret.encode()


def standard_secret(secret: str) -> str:
    """The secret in the whsec_ form that a Standard Webhooks library takes."""
    return SECRET_PREFIX + base64.b64encode(signing_key(secret)).decode()


def signed_headers(secret: str, *, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at `now`."""
    signature = Webhook(signing_key(secret)).sign(message_id, now, body)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        SIGNATURE_HEADER: signature,
    }


def check_webhook_url(url: str) -> str | None:
    """Why `url` may not receive webhooks (without resolving it), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "may not carry a user name or password"
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "has an invalid port"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    return _private_reason(address)


def _private_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if settings.SLAWEB_WEBHOOK_ALLOW_PRIVATE:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return f"points to a private address ({address}); webhooks go to public hosts only"
    return None


def _resolve(host: str, port: int) -> str:
    """One address of `host` that webhooks may reach; every address is checked, so a name
    with one public and one private address is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}") from None
    # An AF_INET or AF_INET6 socket address starts with the host as a string.
    addresses = [str(info[4][0]) for info in infos]
    for raw in addresses:
        reason = _private_reason(ipaddress.ip_address(raw.split("%", 1)[0]))
        if reason:
            raise DeliveryError(f"{host} {reason}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to a second lookup's answer."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def send_webhook(rule: NotificationRule, row: SlaNotification, *, now: datetime) -> None:
    """POST the payload; any answer but a 2xx (redirects too) is a failed attempt."""
    reason = check_webhook_url(rule.webhook_url)
    if reason:
        raise DeliveryError(f"webhook URL {reason}")
    parts = urlsplit(rule.webhook_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(host, port)
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "slaweb-notifications",
        **signed_headers(rule.webhook_secret, message_id=row.idempotency_key, body=body, now=now),
        IDEMPOTENCY_HEADER: row.idempotency_key,
    }
    timeout = settings.SLAWEB_WEBHOOK_TIMEOUT_SECONDS
    pinned = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = pinned(host, port, address, timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read(500)
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        text = answer.decode("utf-8", "replace").strip()
        raise DeliveryError(f"HTTP {response.status} {response.reason}: {text}".rstrip(": "))
