"""slaweb as deployed: production settings pass Django's deployment checks, and gunicorn
serves the API and the static files (through WhiteNoise) with DEBUG off."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests import processes

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="production-test-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,sla.example.com",
        SQLITE_PATH=str(tmp_path / "prod.sqlite3"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checks_are_clean(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment's `migrate` and `collectstatic`, run once for this module's servers.

    collectstatic compresses every static file (Swagger UI and ReDoc included) twice over and
    takes most of this module's time; what it writes does not depend on the settings the tests
    vary. Each test gets its own copy of the migrated database, as the tests change it."""
    root = tmp_path_factory.mktemp("deployed")
    env = production_env(root)
    for command in (("migrate", "--no-input"), ("collectstatic", "--no-input")):
        result = manage(env, *command)
        assert result.returncode == 0, result.stderr
    return root


def deployed_env(deployed: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Production settings on a fresh copy of the migrated database and the collected files."""
    shutil.copyfile(deployed / "prod.sqlite3", tmp_path / "prod.sqlite3")
    return production_env(tmp_path, STATIC_ROOT=str(deployed / "static"), **extra)


def test_gunicorn_serves_the_api_and_static_files(deployed: Path, tmp_path: Path) -> None:
    # No TLS here: the test talks to gunicorn directly, as a proxy in front of it would.
    env = deployed_env(
        deployed, tmp_path, SECURE_SSL_REDIRECT="0", SLAWEB_RATE_LIMIT_PER_MINUTE="5"
    )
    with processes.gunicorn(env) as (base, _):
        login = requests.get(base + "/admin/login/", timeout=5)
        assert login.status_code == 200
        assert "slaweb" in login.text
        stylesheet = next(
            part.split('"')[0]
            for part in login.text.split('href="')[1:]
            if part.startswith("/static/css/slaweb.")
        )
        assert stylesheet != "/static/css/slaweb.css"  # content-hashed name
        css = requests.get(base + stylesheet, timeout=5)
        assert css.status_code == 200
        assert "max-age" in css.headers["Cache-Control"]
        assert "slaweb-tagline" in css.text

        unauthorised = requests.get(base + "/api/v2/slas/policies.json", timeout=5)
        assert unauthorised.status_code == 401
        assert unauthorised.json() == {"error": "Couldn't authenticate you"}
        missing = requests.get(base + "/api/v2/no/such/thing", timeout=5)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"] == "application/json"
        assert "Traceback" not in missing.text
        # Behind the TLS-terminating proxy, responses carry HSTS.
        proxied = requests.get(
            base + "/admin/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5
        )
        assert proxied.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )

        # Both workers share one count (new connections spread over them).
        auth = ("admin@example.com/token", api_token(env))
        remaining = []
        for _ in range(5):
            response = requests.get(base + "/api/v2/users/me.json", auth=auth, timeout=5)
            assert response.status_code == 200
            assert response.headers["X-Rate-Limit"] == "5"
            remaining.append(response.headers["X-Rate-Limit-Remaining"])
        assert remaining == ["4", "3", "2", "1", "0"]
        refused = requests.get(base + "/api/v2/users/me.json", auth=auth, timeout=5)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["error"] == "TooManyRequests"


def api_token(env: dict[str, str]) -> str:
    result = manage(env, "create_api_token", "admin@example.com", "--role", "admin")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


LEAKS = ("Traceback", 'File "', "SELECT", "INSERT", "sqlite", "no such table", "ratelimit")


def test_errors_show_no_stack_trace_or_sql_with_debug_off(deployed: Path, tmp_path: Path) -> None:
    # Plain HTTP to gunicorn, so the sign-in form's cookies may not be HTTPS-only here.
    env = deployed_env(
        deployed,
        tmp_path,
        SECURE_SSL_REDIRECT="0",
        CSRF_COOKIE_SECURE="0",
        SESSION_COOKIE_SECURE="0",
    )
    with processes.gunicorn(env) as (base, _):
        auth = ("admin@example.com/token", api_token(env))
        session = requests.Session()
        page = session.get(base + "/admin/login/", timeout=5)
        csrf = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        # A database error inside every sign-in: a table gone, as after a botched restore.
        with sqlite3.connect(env["SQLITE_PATH"]) as database:
            database.execute("DROP TABLE tickets_ratelimitcounter")

        api = requests.get(base + "/api/v2/users/me.json", auth=auth, timeout=5)
        assert api.status_code == 500
        assert api.json() == {"error": "InternalError", "description": "Something went wrong"}

        form = session.post(
            base + "/admin/login/",
            data={"username": "admin@example.com", "password": "x", "csrfmiddlewaretoken": csrf},
            headers={"Referer": base + "/admin/login/"},
            timeout=5,
        )
        assert form.status_code == 500
        assert "Server Error (500)" in form.text
        for body in (api.text, form.text):
            for leak in LEAKS:
                assert leak not in body
