from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The statements run on the default connection while open. Django's query log, which
    CaptureQueriesContext reads, keeps only its last 9,000 entries: after a long set-up it
    counts nothing."""
    statements: list[str] = []

    def count(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        yield statements
