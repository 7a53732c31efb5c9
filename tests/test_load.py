"""A small run of `make load`: gunicorn, a task worker and the breach clock on PostgreSQL under
five locust clients, first the policy-heavy mix, then the realistic one (tickets with long
histories, the agent queue's poll, exports and metrics), with no failed request, policy
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
def test_it_serves_both_mixes_without_errors_or_lost_writes(tmp_path: Path) -> None:
    summary_path = tmp_path / "summary.json"
    # The command makes and drops its own databases from DATABASE_URL, outside pytest's.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.load",
            "--users=5",
            "--spawn-rate=5",
            "--run-time=10",
            "--workers=2",
            "--tickets=300",
            "--policies=10",
            f"--summary={summary_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "load test passed" in result.stdout
    assert result.stdout.count("dropped") == 2

    summary = json.loads(summary_path.read_text())
    assert summary["failures"] == []
    assert set(summary["mixes"]) == {"policy", "realistic"}
    for mix in summary["mixes"].values():
        assert mix["failures"] == []
        overall = mix["stats"][-1]
        assert overall["name"] == "all"
        assert overall["requests"] > 20
        assert overall["failures"] == 0
        checks = mix["checks"]
        assert checks["positions_are_1_to_n"]
        assert checks["accepted_writes"] > 0
        assert checks["comments"] > 0
        assert checks["comments_missing"] == 0
        assert checks["ticket_updates"] == checks["ticket_update_audits"] > 0
        assert checks["ticket_field_updates_missing"] == 0
        assert checks["background_tasks_failed"] == 0
        assert mix["cpu"]["gunicorn"] > 0
        assert mix["cpu"]["server_ms_per_request"] > 0

    policy_heavy = summary["mixes"]["policy"]
    assert {row["name"] for row in policy_heavy["stats"]} >= {
        "GET policies",
        "GET ticket?include=slas",
        "POST policy",
        "PUT ticket",
    }
    assert policy_heavy["checks"]["policies_kept_wrong"] == 0
    assert policy_heavy["checks"]["policies_deleted_still_there"] == 0
    assert policy_heavy["audits_per_ticket"]["max"] == 1

    realistic = summary["mixes"]["realistic"]
    assert {row["name"] for row in realistic["stats"]} >= {
        "GET ticket?include=slas",
        "GET tickets?include=slas",
        "GET agent queue poll",
        "PUT ticket (comment)",
    }
    assert realistic["checks"]["policy_renames_lost"] == 0
    assert realistic["audits_per_ticket"]["max"] > 50
    assert [share["meant"] for share in realistic["shares"]] == [70, 20, 8, 2]
    assert set(realistic["goal"]) == {"requests_per_second", "p99_ms", "met"}
