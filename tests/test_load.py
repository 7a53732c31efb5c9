"""A small run of `make load`: gunicorn, a task worker and the breach clock on PostgreSQL under
five locust clients mixing policy and ticket reads and writes, with no failed request, policy
positions 1..n and every accepted write in the database afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the load test runs against PostgreSQL (set DATABASE_URL=postgres://...)",
)
def test_it_serves_mixed_load_without_errors_or_lost_writes(tmp_path: Path) -> None:
    summary_path = tmp_path / "summary.json"
    # The command makes and drops its own database from DATABASE_URL, outside pytest's.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.load",
            "--users=5",
            "--spawn-rate=5",
            "--run-time=8",
            "--workers=2",
            "--tickets=300",
            "--policies=10",
            f"--summary={summary_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "load test passed" in result.stdout
    assert "dropped" in result.stdout

    summary = json.loads(summary_path.read_text())
    assert summary["failures"] == []
    overall = summary["stats"][-1]
    assert overall["name"] == "all"
    assert overall["requests"] > 20
    assert overall["failures"] == 0
    assert {row["name"] for row in summary["stats"]} >= {
        "GET policies",
        "GET ticket?include=slas",
        "POST policy",
        "PUT ticket",
    }
    checks = summary["checks"]
    assert checks["positions_are_1_to_n"]
    assert checks["accepted_writes"] > 0
    assert checks["policies_kept_wrong"] == 0
    assert checks["policies_deleted_still_there"] == 0
    assert checks["comments"] > 0
    assert checks["comments_missing"] == 0
    assert checks["background_tasks_failed"] == 0
