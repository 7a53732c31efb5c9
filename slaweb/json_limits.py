"""What JSON slaweb reads, for every body and form box that takes JSON.

Python's decoder and encoder recurse, so a value nested a few hundred levels deep fails
somewhere between reading it and storing or showing it, depending on the stack in use; nothing
slaweb takes nests beyond a handful of levels. PostgreSQL text cannot hold a NUL character.
Both are refused when the JSON is read.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
HAS_NUL = "strings may not contain NUL (\\u0000) characters"


def json_problem(value: Any) -> str | None:
    """TOO_DEEP when `value` (decoded JSON) nests lists and objects deeper than MAX_DEPTH,
    HAS_NUL when a key or string holds a NUL character, else None: one pass over it."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return HAS_NUL
            continue
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return TOO_DEEP
        stack.extend((child, depth + 1) for child in children)
    return None
