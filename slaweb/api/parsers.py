"""Request bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from slaweb.json_limits import TOO_DEEP, json_problem


class ZendeskJSONParser(JSONParser):
    """JSON bodies, refusing what would otherwise fail deep inside: NUL characters (PostgreSQL
    text cannot hold them) and nesting deeper than slaweb reads."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None
        problem = json_problem(data)
        if problem is not None:
            raise exceptions.ParseError(problem)
        return data
