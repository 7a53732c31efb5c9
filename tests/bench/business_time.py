"""Benchmark `policies.engine.business_time` against PyPI `businesstimedelta` on the same cases.

Schedule: Mon-Fri 09:00-17:00 America/New_York with US public holidays 2020-2029 (from the
`holidays` package). Cases: start instants uniform over 2020-2027 (any second, so many start
outside business hours) and targets log-uniform from 1 minute to 5 business days (whole
seconds). `businesstimedelta` walks one business day per step, which is why targets stay short
enough for it to finish quickly; slaweb's own cost for a 30-business-day target is measured
separately against a 1-hour target. Results are compared to the second (both return the end of a
span when the count runs out there; zero targets, where they differ by design, are not drawn).
"""

from __future__ import annotations

import math
import random
import time as _time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval

ZONE = "America/New_York"
HOLIDAY_YEARS = range(2020, 2030)
FIRST_START = datetime(2020, 1, 1, tzinfo=UTC)
LAST_START = datetime(2028, 1, 1, tzinfo=UTC)
MIN_TARGET = 60
MAX_TARGET = 5 * 8 * 3600
HOUR = 3600
THIRTY_DAYS = 30 * 8 * 3600


def _cases(rng: random.Random, count: int) -> list[tuple[datetime, int]]:
    span = int((LAST_START - FIRST_START).total_seconds())
    low, high = math.log(MIN_TARGET), math.log(MAX_TARGET)
    return [
        (
            FIRST_START + timedelta(seconds=rng.randrange(span)),
            max(1, round(math.exp(rng.uniform(low, high)))),
        )
        for _ in range(count)
    ]


def run(write: Callable[[str], None], cases: int = 100_000, seed: int = 1) -> dict[str, float]:
    """Time both libraries on `cases` random adds; report speeds, ratio and mismatches."""
    import businesstimedelta  # type: ignore[import-untyped]  # dev-only dependencies
    import holidays
    import pytz  # type: ignore[import-untyped]

    dates = sorted(holidays.country_holidays("US", years=HOLIDAY_YEARS))
    workweek = [WeeklyInterval(1980 + 1440 * day, 2460 + 1440 * day) for day in range(5)]
    schedule = Schedule(ZONE, workweek, [Holiday(d, d) for d in dates])
    zone = pytz.timezone(ZONE)
    rule = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=datetime.min.time().replace(hour=9),
                end_time=datetime.min.time().replace(hour=17),
                working_days=[0, 1, 2, 3, 4],
                tz=zone,
            ),
            businesstimedelta.HolidayRule(frozenset(dates), tz=zone),
        ]
    )
    rng = random.Random(seed)
    sample = _cases(rng, cases)

    add = schedule.add
    t0 = _time.perf_counter()
    ours = [add(start, target) for start, target in sample]
    ours_s = _time.perf_counter() - t0

    delta = businesstimedelta.BusinessTimeDelta
    t0 = _time.perf_counter()
    theirs = [start + delta(rule, seconds=target) for start, target in sample]
    theirs_s = _time.perf_counter() - t0

    mismatches = sum(
        1
        for a, b in zip(ours, theirs, strict=True)
        if a.replace(microsecond=0) != b.astimezone(UTC).replace(microsecond=0)
    )

    starts = [start for start, _ in sample[: min(cases, 20_000)]]
    for start in starts[:100]:  # both loops below run on warm week caches
        add(start, THIRTY_DAYS)
    timings = {}
    for target in (HOUR, THIRTY_DAYS):
        t0 = _time.perf_counter()
        for start in starts:
            add(start, target)
        timings[target] = (_time.perf_counter() - t0) / len(starts)

    figures = {
        "cases": float(cases),
        "slaweb_calls_per_s": cases / ours_s,
        "businesstimedelta_calls_per_s": cases / theirs_s,
        "speedup": theirs_s / ours_s,
        "mismatches": float(mismatches),
        "slaweb_us_per_1h_add": timings[HOUR] * 1e6,
        "slaweb_us_per_30d_add": timings[THIRTY_DAYS] * 1e6,
        "long_to_short_ratio": timings[THIRTY_DAYS] / timings[HOUR],
    }
    write(f"clock: {cases} adds, Mon-Fri 09-17 {ZONE}, {len(dates)} US holidays, seed {seed}")
    write(f"  slaweb             {figures['slaweb_calls_per_s']:>12,.0f} calls/s")
    write(f"  businesstimedelta  {figures['businesstimedelta_calls_per_s']:>12,.0f} calls/s")
    write(f"  speedup            {figures['speedup']:>12.1f} x")
    write(f"  mismatches         {mismatches:>12d}")
    write(
        f"  slaweb per call: 1 business hour {figures['slaweb_us_per_1h_add']:.2f} us, "
        f"30 business days {figures['slaweb_us_per_30d_add']:.2f} us "
        f"(ratio {figures['long_to_short_ratio']:.2f})"
    )
    return figures
