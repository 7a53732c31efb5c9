"""Zendesk's own OpenAPI files, from the shared folder beside the checkout, as JSON Schema.

`zendesk_components()` gives the tickets file's components as written. `zendesk_operations()`
and `response_validators()` give what Zendesk documents each operation to answer, in both
files, as validators that allow the departures slaweb documents (listed in DEPARTURES, each
with its reason) and nothing else.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ZENDESK_OAS_TICKETS = SHARED / "zendesk-oas-tickets.yaml"
ZENDESK_OAS_EXCERPT = SHARED / "zendesk-oas-excerpt.yaml"
ZENDESK_FILES = (ZENDESK_OAS_TICKETS, ZENDESK_OAS_EXCERPT)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: a "null" type (and null in an enum)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@functools.cache
def _document(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(
            f"Zendesk's OpenAPI file is not at {path}: the project's shared/ folder belongs "
            "beside the checkout (CI lays it there)"
        )
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def zendesk_components() -> dict[str, Any]:
    """The `components` of Zendesk's tickets OpenAPI file, as written (a copy to change)."""
    return copy.deepcopy(_document(ZENDESK_OAS_TICKETS)["components"])


# Operations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZendeskOperation:
    """One operation of one of Zendesk's files: `responses` maps a status to the name of the
    schema its JSON body has, or None when Zendesk documents no JSON body."""

    file: Path
    method: str
    template: str  # "/api/v2/tickets/{ticket_id}"
    responses: dict[int, str | None]

    def matches(self, method: str, path: str) -> bool:
        return (
            method == self.method
            and re.fullmatch(template_pattern(self.template), path) is not None
        )


def template_pattern(template: str) -> str:
    return re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))


def _schema_name(response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


# Operations Zendesk's reference documents whose path its files leave out, with the response
# the reference gives: a ticket's metrics answer one `ticket_metric` as ticket_metrics/{id} does;
# update_many answers a job status as create_many does; `current` is the token used.
REFERENCE_ONLY = (
    ("get", "/api/v2/tickets/{ticket_id}/metrics", {200: "TicketMetricsByTicketMetricIdResponse"}),
    ("put", "/api/v2/tickets/update_many", {200: "JobStatusResponse"}),
    ("get", "/api/v2/oauth/tokens/current", {200: "OAuthTokenResponse"}),
)


@functools.cache
def zendesk_operations() -> tuple[ZendeskOperation, ...]:
    """Every operation of both files (and REFERENCE_ONLY). A path in both files is listed once
    per file, so an answer is checked against each. Literal paths come before templated ones
    (`tickets/show_many` before `tickets/{ticket_id}`), as routers match them."""
    operations = []
    for file in ZENDESK_FILES:
        for template, item in _document(file)["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    responses = {
                        int(status): _schema_name(response)
                        for status, response in item[method]["responses"].items()
                        if str(status).isdigit()
                    }
                    operations.append(ZendeskOperation(file, method, template, responses))
    for method, template, responses in REFERENCE_ONLY:
        operations.append(ZendeskOperation(ZENDESK_OAS_TICKETS, method, template, responses))
    return tuple(sorted(operations, key=lambda op: ("{" in op.template, op.template.count("{"))))


def zendesk_operations_for(method: str, path: str) -> list[ZendeskOperation]:
    """The operations documenting `method path` (a path without `.json` or query), one per file
    that has it; only the most literal template of each file."""
    found: dict[Path, ZendeskOperation] = {}
    for operation in zendesk_operations():
        if operation.file not in found and operation.matches(method, path):
            found[operation.file] = operation
    return list(found.values())


# What slaweb answers that the files do not allow -----------------------------------------------

# Each entry: the schema, what differs, and why (the README's endpoint table has the departures
# a client notices). Keys the files type without `nullable` are null where Zendesk's reference
# and real answers have null too, or where slaweb lacks the feature.
NULLABLE_KEYS: dict[str, tuple[str, ...]] = {
    # A group SLA policy without a description answers null, as an SLA policy does.
    "GroupSLAPolicyObject": ("description",),
    # A real answer quoted in node-zendesk#265 has `"external_id": null`, `"type": null`, ...
    "TicketObject": (
        "assignee_id",
        "brand_id",
        "custom_status_id",
        "external_id",
        "forum_topic_id",
        "group_id",
        "organization_id",
        "priority",
        "problem_id",
        "recipient",
        "satisfaction_rating",
        "ticket_form_id",
        "type",
    ),
    # A user without an email, group or organization; a locale slaweb has no Zendesk id for; a
    # user that never signed in; no phone and so no shared_phone_number; no photo.
    "UserForAdmin": (
        "email",
        "default_group_id",
        "organization_id",
        "locale_id",
        "last_login_at",
        "phone",
        "shared_phone_number",
        "photo",
    ),
    "UserForEndUser": ("email", "organization_id", "locale_id", "phone", "photo"),
    # No OAuth clients, expiry or refresh tokens; a token not used yet has no used_at.
    "OauthTokenObject": (
        "client_id",
        "expires_at",
        "refresh_token",
        "refresh_token_expires_at",
        "used_at",
    ),
    # Real answers have `"description": null` when none was given (zendesk-sla-spec.md).
    "SLAPolicyObject": ("description",),
}


def _allow_null(schema: dict[str, Any], key: str) -> None:
    prop = schema["properties"].get(key)
    if prop is None:
        return
    if "type" in prop:
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        prop["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in prop and None not in prop["enum"]:
            prop["enum"] = [*prop["enum"], None]
    elif "$ref" in prop or "anyOf" in prop or "oneOf" in prop or "allOf" in prop:
        schema["properties"][key] = {"anyOf": [prop, {"type": "null"}]}


def _slaweb_departures(schemas: dict[str, Any]) -> None:
    """Change Zendesk's schemas (JSON Schema already) to allow DEPARTURES, where present."""
    for name, keys in NULLABLE_KEYS.items():
        if name in schemas:
            for key in keys:
                _allow_null(schemas[name], key)
    if "TicketObject" in schemas:
        # A custom field's value is any JSON value (checkboxes are booleans, multiselects
        # arrays), as Zendesk's Ticket Fields reference shows.
        schemas["TicketObject"]["properties"]["custom_fields"]["items"]["properties"]["value"] = {}
    if "AuditObject" in schemas:
        # An audit event's value is too (tags are arrays): Zendesk's Ticket Audits reference.
        events = schemas["AuditObject"]["properties"]["events"]["items"]
        events["properties"]["value"] = {}
    for name in ("TicketMetricObject", "TicketMetricTimeObject"):
        # Zendesk's reference: metrics are null until their events happen.
        if name in schemas:
            for key in schemas[name]["properties"]:
                _allow_null(schemas[name], key)
    if "TicketMetricsByTicketMetricIdResponse" in schemas:
        # The file types `ticket_metric` as an array; the reference's example, zenpy and
        # node-zendesk have one object, which slaweb answers.
        schemas["TicketMetricsByTicketMetricIdResponse"]["properties"]["ticket_metric"] = {
            "$ref": "#/components/schemas/TicketMetricObject"
        }
    if "FailedResult" in schemas:
        # A create that failed has no resource id to report.
        schemas["FailedResult"]["required"].remove("id")


DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or DATE_TIME.fullmatch(value) is not None


@functools.cache
def _slaweb_components(file: Path) -> dict[str, Any]:
    components: dict[str, Any] = json_schema(copy.deepcopy(_document(file)["components"]))
    _slaweb_departures(components["schemas"])
    return components


def response_validator(file: Path, schema_name: str) -> jsonschema.protocols.Validator:
    """A validator for the named schema of `file`, with slaweb's departures and RFC 3339
    date-times checked."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": _slaweb_components(file)}
    validator: jsonschema.protocols.Validator = jsonschema.Draft7Validator(
        root, format_checker=FORMATS
    )
    return validator


Check = Callable[[str, str, int, Any], list[str]]


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Where `body` (the JSON answer of `method path` with `status`) breaks what Zendesk
    documents for that operation, one message per error and file; [] when it conforms.
    AssertionError when no file documents the operation or the status."""
    path = re.sub(r"\.json$", "", path.split("?")[0]).rstrip("/")
    operations = zendesk_operations_for(method, path)
    assert operations, f"Zendesk's files do not document {method.upper()} {path}"
    errors = []
    for operation in operations:
        assert status in operation.responses, (
            f"{operation.file.name} documents {sorted(operation.responses)} for "
            f"{method.upper()} {operation.template}, not {status}"
        )
        schema_name = operation.responses[status]
        if schema_name is None:
            continue
        validator = response_validator(operation.file, schema_name)
        for error in validator.iter_errors(body):
            where = "/".join(str(part) for part in error.absolute_path)
            errors.append(f"{operation.file.name} {schema_name} at {where}: {error.message}")
    return errors
