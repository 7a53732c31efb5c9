"""Print slaweb's performance figures: business-time arithmetic against businesstimedelta, and
engine replay throughput. Both are measured in this one process, on the same inputs.

Run as `python -m tests.bench` (`make bench`)."""

from __future__ import annotations

import platform
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tests.bench import business_time as clock
from tests.bench import replay


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="a tenth of the work")

    def handle(self, *args: Any, quick: bool = False, **options: Any) -> None:
        scale = 10 if quick else 1

        def write(line: str) -> None:
            self.stdout.write(line)

        write(
            f"machine: {platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, {platform.system()} {platform.release()}"
        )
        write("\n== business-time add: slaweb vs businesstimedelta")
        clock.run(write, cases=100_000 // scale)
        write("\n== engine replay, without and with group SLA policies")
        replay.run(write, tickets=100_000 // scale, events=1_000_000 // scale, group_slas=True)
        write("\n== timestamps read from PostgreSQL: Django's loader vs the compiled one")
        from tests.bench import timestamps

        timestamps.run(write, values=200_000 // scale)
        write("\n== tickets on the database")
        from tests.bench import recompute as ticket_bench

        ticket_bench.run(write, tickets=100_000 // scale)
        write("\n== recompute: tickets with long threads beside tickets with one audit")
        ticket_bench.run_threads(write, tickets=5_000 // scale)
        write("\n== one ticket save as the ticket ages")
        from tests.bench import saves

        saves.run(write)
        write("\n== SLA reports on the database")
        from tests.bench import reports as bench_reports

        bench_reports.run(write, rows=1_000_000 // scale)


if __name__ == "__main__":
    from tests.commands import main

    main("tests.bench.__main__", "tests.bench")
