"""Running slaweb's own processes (gunicorn, workers, the clock) against this test run's
database: committed data only, so tests using them need `transaction=True`."""

from __future__ import annotations

import os
from urllib.parse import quote

from django.db import connection


def database_env() -> dict[str, str]:
    """The environment that points `manage.py` at this test run's database."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"] or "", safe="")
        password = quote(db["PASSWORD"] or "", safe="")
        credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
        host = db["HOST"] or "127.0.0.1"
        port = f":{db['PORT']}" if db["PORT"] else ""
        env["DATABASE_URL"] = f"postgres://{credentials}{host}{port}/{quote(db['NAME'])}"
    else:
        assert connection.vendor == "sqlite"
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    return env
