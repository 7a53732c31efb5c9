"""slaweb as deployed: production settings pass Django's deployment checks, and gunicorn
serves the API and the static files (through WhiteNoise) with DEBUG off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

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
        **extra,
    )
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_serves_the_api_and_static_files(tmp_path: Path) -> None:
    # No TLS here: the test talks to gunicorn directly, as a proxy in front of it would.
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="0")
    for command in (("migrate", "--no-input"), ("collectstatic", "--no-input")):
        result = manage(env, *command)
        assert result.returncode == 0, result.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "slaweb.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/admin/login/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)

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
    finally:
        server.terminate()
        server.wait(timeout=30)
