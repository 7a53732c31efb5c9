"""The replay benchmark keeps running (tiny size); its figures are checked for consistency."""

from __future__ import annotations

from tests.bench.replay import main, run


def test_replay_benchmark_runs_and_reports() -> None:
    lines: list[str] = []
    figures = run(lines.append, tickets=30, events=300, seed=3)
    assert figures["tickets"] == 30
    assert 200 <= figures["updates"] <= 400
    assert figures["metric_events"] > figures["updates"]
    assert 0 < figures["tickets_with_policy"] <= 30
    assert figures["updates_per_second"] > 0
    assert lines[-1].startswith(f"{figures['updates']:,} updates of 30 tickets")


def test_replay_benchmark_command_line_calendar_mode() -> None:
    figures = main(["--tickets", "10", "--events", "50", "--calendar"])
    assert figures["tickets"] == 10
