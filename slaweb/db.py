"""Database helpers shared by the services."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, connection

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected), and a
# write can find at commit that a row it referenced was deleted meanwhile (foreign_key_violation,
# e.g. a ticket saved with a policy another admin was deleting). Run again, both succeed.
RETRYABLE = {"40P01", "40001", "23503"}
ATTEMPTS = 3


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run a transactional service again when PostgreSQL aborted it for a conflict with a
    concurrent transaction. Only a call that owns its transaction can be retried: inside an
    outer `atomic` block the error goes to the caller."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except (OperationalError, IntegrityError) as error:
                code = getattr(error.__cause__, "sqlstate", None)
                if code not in RETRYABLE or connection.in_atomic_block or attempt == ATTEMPTS:
                    raise
                time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    return run
