"""gunicorn's settings for slaweb, read from the directory gunicorn starts in (the command
line still sets the bind address and the worker count).

Each worker, once it has loaded Django and the URLs, moves everything loaded so far out of the
garbage collector's reach (`gc.freeze`): those objects live as long as the worker, and without
this every full collection walked all of them again. A page of 100 tickets makes enough
objects to set one off every few requests, and each cost tens of milliseconds. The youngest
generation is also collected less often (every 10,000 new objects instead of 700): a request
makes tens of thousands of short-lived objects, nearly all freed by their reference counts.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    from django.urls import get_resolver

    # The URLconf, and with it every view and serializer module, is otherwise imported by the
    # first request; load it now so that it is frozen with the rest.
    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    worker.log.debug("froze %d objects", gc.get_freeze_count())
