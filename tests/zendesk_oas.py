"""Zendesk's own OpenAPI files, from the shared folder beside the checkout, as JSON Schema."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ZENDESK_OAS_TICKETS = ROOT.parent / "shared" / "zendesk-oas-tickets.yaml"


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
def _components() -> dict[str, Any]:
    if not ZENDESK_OAS_TICKETS.exists():
        raise FileNotFoundError(
            f"Zendesk's OpenAPI file is not at {ZENDESK_OAS_TICKETS}: the project's shared/ "
            "folder belongs beside the checkout (CI lays it there)"
        )
    components: dict[str, Any] = yaml.safe_load(ZENDESK_OAS_TICKETS.read_text())["components"]
    return components


def zendesk_components() -> dict[str, Any]:
    """The `components` of Zendesk's tickets OpenAPI file, as written (a copy to change)."""
    return copy.deepcopy(_components())
