"""How deep JSON may nest, for every body and form box that takes JSON.

Python's decoder and encoder recurse, so a value nested a few hundred levels deep fails
somewhere between reading it and storing or showing it, depending on the stack in use. Nothing
slaweb takes nests beyond a handful of levels: deeper is refused when it is read.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def too_deep(value: Any) -> bool:
    """Whether `value` (decoded JSON) nests lists and objects deeper than MAX_DEPTH."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
