"""Request bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from slaweb.json_depth import TOO_DEEP, too_deep


class ZendeskJSONParser(JSONParser):
    """JSON bodies, refusing what would otherwise fail deep inside: NUL characters (PostgreSQL
    text cannot hold them) and nesting deeper than slaweb reads."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None
        if too_deep(data):
            raise exceptions.ParseError(TOO_DEEP)
        if _has_nul(data):
            raise exceptions.ParseError("strings may not contain NUL (\\u0000) characters")
        return data


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
