"""Business-time arithmetic: weekly local-time intervals in an IANA zone, minus holidays.

Model
-----
A `Schedule` is a set of weekly intervals (minutes since Sunday 00:00 local wall time, Zendesk's
convention) in one time zone, minus holidays (local wall-time ranges). Intervals are half-open:
Mon 09:00-17:00 covers 09:00:00 up to, not including, 17:00:00. Unlike Zendesk, an interval may
cross midnight and may wrap the week end (its end may reach Monday 00:00 of the next week,
minute 11520).

Instants and precision
----------------------
Every public method takes timezone-aware datetimes (naive ones, and anything that is not a
datetime, raise ValueError) and returns aware UTC datetimes. Business spans begin and end on
whole UTC seconds (boundaries are whole local minutes, zone offsets and holiday times whole
seconds), so the arithmetic is exact: a start carrying microseconds inside business time keeps
them in the result; a start outside business time begins the count at the next opening, a whole
second. `between()` returns whole seconds rounded down; `between(s, add(s, n)) == n` always.
Supported instants: 1900-01-01 to 9000-01-01 UTC.

Boundary rules
--------------
* `add(start, 0)` returns `start` unchanged (in UTC), even outside business time and for a
  schedule with no business time: no work needs no business time.
* `add()` whose count runs out exactly at the end of a span returns that end (Mon 17:00), not
  the next opening (Tue 09:00).
* An instant exactly at an interval's end is not business time; one at its start is.

Local time rules (DST)
----------------------
Each local wall time (interval start or end, holiday start or end) maps to one UTC instant:

* a wall time that does not exist (spring-forward gap) maps to the instant of the jump, the
  instant the clock jumps to the end of the gap: New York 2024-03-10 02:30 -> 03:00 EDT;
* a wall time that occurs twice (fall-back) maps to its first occurrence (fold=0): New York
  2024-11-03 01:30 -> 01:30 EDT.

Starts and ends use the same non-decreasing mapping, so adjacent intervals stay adjacent and
splitting an interval never changes its total. Consequences: 09:00-17:00 is 8 real hours in
zones whose changes happen at night; 22:00-06:00 across a change is 7 or 9 real hours (7.5 or
8.5 on Lord Howe); an interval wholly inside a gap is empty that day; the repeated hour after a
fall-back is business time exactly when the last wall minute before the clock turned back was.
Put differently, an instant is business time when the highest wall-clock reading reached so far
lies in an interval and not in a holiday. A zone change at midnight moves a whole-day holiday's
start to the end of the gap too.

Algorithm
---------
As Zendesk's `biz` gem: arithmetic on intervals, never on minutes or fixed 86,400 s days. Time is
cut into UTC weeks ("buckets"); a bucket's UTC business spans (from the local weeks that reach
it, minus holidays) and their running totals are built on first use and kept in a bounded LRU
cache. `add()` bisects inside its first bucket, skips whole buckets by their total in O(1) each,
and bisects inside the last one; a bucket wholly inside a holiday jumps to the holiday's end, so
long holidays cost nothing. Weeks differ (DST, holidays), which is why totals are per bucket.

Limits
------
A search walks at most `HORIZON_WEEKS` weeks (about 100 years) that are not wholly holiday, and
`between()` accepts at most that range: beyond it ValueError, so no call can run away. A schedule
without intervals, or whose remaining time is all holiday, raises `NoBusinessTime` at once.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "HORIZON_WEEKS",
    "MAX_END_MINUTE",
    "WEEK_MINUTES",
    "AddExplanation",
    "Holiday",
    "HolidaySkip",
    "NoBusinessTime",
    "Schedule",
    "WeeklyInterval",
    "validate_intervals",
]

WEEK_MINUTES = 10_080
MAX_END_MINUTE = WEEK_MINUTES + 1_440
HORIZON_WEEKS = 5_218  # 100 years of 365.25 days
MAX_LISTED = 50
CACHE_WEEKS = 1_024

_DAY = 86_400
_WEEK = 7 * _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = _EPOCH.replace(tzinfo=None)  # local wall times are naive datetimes
_ORIGIN = 3 * _DAY  # 1970-01-04 00:00, a Sunday: bucket 0 starts here (UTC), local week 0 too
_MIN_TS = -2_208_988_800  # 1900-01-01 UTC
_MAX_TS = 221_845_392_000  # 9000-01-01 UTC
_NEG_INF = -(1 << 62)
_POS_INF = 1 << 62
# Holiday wall times outside this range count as "forever".
_WALL_MIN = datetime(1890, 1, 1, tzinfo=UTC).replace(tzinfo=None)
_WALL_MAX = datetime(9010, 1, 1, tzinfo=UTC).replace(tzinfo=None)
_MARGIN = 2 * _DAY  # |UTC offset| plus any gap stays below this
_K_MAX = (_MAX_TS - _ORIGIN) // _WEEK
_SUNDAY_ORDINAL = date(1970, 1, 4).toordinal()
_K_JUMP_INF = 1 << 40
_DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")

# starts, ends, business seconds before each span, ... after each span, total, next bucket index
_Bucket = tuple[list[int], list[int], list[int], list[int], int, int]


class NoBusinessTime(ValueError):
    """The schedule has no business time at all, or none remains after the given instant."""


@dataclass(frozen=True)
class WeeklyInterval:
    """Minutes since Sunday 00:00 local wall time: Mon 09:00-17:00 is (1980, 2460).

    Not validated on creation so that `validate_intervals` can report every problem at once.
    """

    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Holiday:
    """Local wall-time range that is never business time.

    Whole days (inclusive dates) when both times are None. Otherwise it runs from `start_date`
    at `start_time` (00:00 if None) to `end_date` at `end_time` (the next midnight if None).
    """

    start_date: date
    end_date: date
    start_time: time | None = None
    end_time: time | None = None

    def __post_init__(self) -> None:
        for name in ("start_date", "end_date"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"holiday {name} must be a date, got {value!r}")
        for name in ("start_time", "end_time"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, time):
                raise ValueError(f"holiday {name} must be a time or None, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"holiday {name} must be a local wall time without tzinfo")
            if value.microsecond:
                raise ValueError(f"holiday {name} must be whole seconds")
        start, end = self.local_bounds()
        if end is not None and end <= start:
            raise ValueError(f"holiday ends before it starts: {self}")

    def local_bounds(self) -> tuple[datetime, datetime | None]:
        """Naive local wall-time start and end; the end is None when it is after `date.max`."""
        start = datetime.combine(self.start_date, self.start_time or time())
        end: datetime | None
        if self.end_time is not None:
            end = datetime.combine(self.end_date, self.end_time)
        elif self.end_date < date.max:
            end = datetime.combine(self.end_date + timedelta(days=1), time())
        else:
            end = None
        return start, end


@dataclass(frozen=True)
class HolidaySkip:
    """A holiday met by `explain_add`, with the business time it removed from the walk."""

    holiday: Holiday
    start: datetime  # UTC, clipped to the walk
    end: datetime
    business_seconds: int


@dataclass(frozen=True)
class AddExplanation:
    """How `add()` reached its result: spans consumed and holidays skipped (lists capped)."""

    time_zone: str
    start: datetime
    seconds: int
    result: datetime
    spans: tuple[tuple[datetime, datetime], ...]  # first MAX_LISTED business spans, UTC
    span_count: int
    holidays: tuple[HolidaySkip, ...]  # first MAX_LISTED holidays that removed business time
    holiday_count: int

    @property
    def truncated(self) -> bool:
        return self.span_count > len(self.spans) or self.holiday_count > len(self.holidays)


def _minute_label(minute: int) -> str:
    week, rest = divmod(minute, WEEK_MINUTES)
    day, rest = divmod(rest, 1_440)
    label = f"{_DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"
    return label + " (next week)" if week else label


def validate_intervals(intervals: Iterable[object]) -> list[str]:
    """Human-readable problems with a workweek (empty list when valid), for API 422s.

    Checks types, ranges (0 <= start < 10080, start < end <= 11520, at most one week long) and
    overlaps, including overlaps across the week end. Touching intervals are fine.
    """
    try:
        items = list(intervals)
    except TypeError:
        return ["intervals must be a list of intervals"]
    problems: list[str] = []
    valid: list[tuple[int, int, int]] = []
    labels: dict[int, str] = {}
    for index, item in enumerate(items):
        where = f"intervals[{index}]"
        if not isinstance(item, WeeklyInterval):
            problems.append(f"{where}: expected an interval, got {type(item).__name__}")
            continue
        start, end = item.start_minute, item.end_minute
        if type(start) is not int or type(end) is not int:
            problems.append(f"{where}: start_minute and end_minute must be integers")
            continue
        bad = len(problems)
        if not 0 <= start < WEEK_MINUTES:
            problems.append(f"{where}: start_minute {start} must be between 0 and 10079")
        if end <= start:
            problems.append(f"{where}: end_minute {end} must be greater than start_minute {start}")
        elif end - start > WEEK_MINUTES:
            problems.append(f"{where}: longer than a week ({end - start} > 10080 minutes)")
        if end > MAX_END_MINUTE:
            problems.append(
                f"{where}: end_minute {end} must be at most 11520 (Monday 00:00 next week)"
            )
        if len(problems) == bad:
            valid.append((start, end, index))
            labels[index] = f"{_minute_label(start)}-{_minute_label(end)}"
    # Each interval and its copy one week later, swept in start order, catches wrap overlaps.
    unrolled = sorted(valid + [(s + WEEK_MINUTES, e + WEEK_MINUTES, i) for s, e, i in valid])
    seen: set[tuple[int, int]] = set()
    reach_end, reach_index = -1, -1
    for start, end, index in unrolled:
        if start < reach_end and reach_index != index:
            pair = (min(index, reach_index), max(index, reach_index))
            if pair not in seen:
                seen.add(pair)
                problems.append(
                    f"intervals[{pair[0]}] ({labels[pair[0]]}) overlaps "
                    f"intervals[{pair[1]}] ({labels[pair[1]]})"
                )
        if end > reach_end:
            reach_end, reach_index = end, index
    return problems


def _zone(key: object) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(f"time zone must be a non-empty IANA name, got {key!r}")
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError, TypeError) as exc:  # KeyError: ZoneInfoNotFoundError
        raise ValueError(f"unknown time zone {key!r}") from exc


def _split(at: object, name: str) -> tuple[int, int]:
    """Aware datetime -> (whole UTC seconds since epoch, microseconds)."""
    if not isinstance(at, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(at).__name__}")
    try:
        delta = at - _EPOCH
    except TypeError:
        raise ValueError(f"{name} must be timezone-aware, got naive {at!r}") from None
    seconds = delta.days * _DAY + delta.seconds
    if not _MIN_TS <= seconds < _MAX_TS:
        raise ValueError(f"{name} {at!r} is outside 1900-01-01..9000-01-01 UTC")
    return seconds, delta.microseconds


def _to_datetime(seconds: int, microseconds: int = 0) -> datetime:
    if not _MIN_TS <= seconds < _MAX_TS:
        raise ValueError("result is outside 1900-01-01..9000-01-01 UTC")
    result = datetime.fromtimestamp(seconds, UTC)
    return result.replace(microsecond=microseconds) if microseconds else result


def _check_seconds(seconds: object) -> int:
    if type(seconds) is not int:
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise ValueError(f"seconds must be an int, got {seconds!r}")
        seconds = int(seconds)
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    return seconds


class Schedule:
    """Weekly business intervals in a time zone, minus holidays; see the module docstring."""

    def __init__(
        self,
        time_zone: str,
        intervals: Iterable[WeeklyInterval],
        holidays: Iterable[Holiday] = (),
    ) -> None:
        self._tz = _zone(time_zone)
        self.time_zone: str = time_zone
        try:
            given = tuple(intervals)
            holiday_list = tuple(holidays)
        except TypeError as exc:
            raise ValueError("intervals and holidays must be iterables") from exc
        problems = validate_intervals(given)
        if problems:
            raise ValueError("invalid intervals: " + "; ".join(problems))
        for holiday in holiday_list:
            if not isinstance(holiday, Holiday):
                raise ValueError(f"expected a Holiday, got {type(holiday).__name__}")
        self.intervals: tuple[WeeklyInterval, ...] = tuple(
            sorted(given, key=lambda i: i.start_minute)
        )
        self.holidays: tuple[Holiday, ...] = holiday_list
        self._minutes = self._merge_minutes(self.intervals)
        self._weekly_seconds = sum(e - s for s, e in self._minutes) * 60
        self._boundaries = [
            (s * 60, *self._clock(s), e * 60, *self._clock(e)) for s, e in self._minutes
        ]
        if self._minutes:
            self._first_minute = self._minutes[0][0]
            self._last_minute = max(e for _, e in self._minutes)
        else:
            self._first_minute = self._last_minute = 0
        # One UTC span per holiday (kept for explanations), then merged for subtraction.
        self._holiday_spans = [self._holiday_span(h) for h in holiday_list]
        merged: list[list[int]] = []
        for lo, hi in sorted(span for span in self._holiday_spans if span[0] < span[1]):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self._hol_starts = [lo for lo, _ in merged]
        self._hol_ends = [hi for _, hi in merged]
        self._bucket = functools.lru_cache(maxsize=CACHE_WEEKS)(self._build_bucket)
        self._raw: Schedule | None = None

    def __repr__(self) -> str:
        return (
            f"Schedule({self.time_zone!r}, {len(self.intervals)} intervals, "
            f"{len(self.holidays)} holidays)"
        )

    def __getstate__(self) -> dict[str, object]:
        """Pickle without the week cache (it holds a bound method), e.g. for Django's cache."""
        state = self.__dict__.copy()
        del state["_bucket"]
        state["_raw"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._bucket = functools.lru_cache(maxsize=CACHE_WEEKS)(self._build_bucket)

    @property
    def weekly_seconds(self) -> int:
        """Nominal business seconds in a week without holidays.

        A week containing a DST change may really have more or fewer (an interval spanning the
        change gains or loses the shift); `between()` always counts real seconds.
        """
        return self._weekly_seconds

    # -- public API -------------------------------------------------------------------------

    def add(self, start: datetime, seconds: int) -> datetime:
        """Instant at which `seconds` of business time have elapsed after `start` (UTC)."""
        # The hot path of every deadline: _split and _check_seconds are inlined.
        if not isinstance(start, datetime):
            raise ValueError(f"start must be a datetime, got {type(start).__name__}")
        try:
            delta = start - _EPOCH
        except TypeError:
            raise ValueError(f"start must be timezone-aware, got naive {start!r}") from None
        s = delta.days * _DAY + delta.seconds
        if not _MIN_TS <= s < _MAX_TS:
            raise ValueError(f"start {start!r} is outside 1900-01-01..9000-01-01 UTC")
        d = seconds if type(seconds) is int else _check_seconds(seconds)
        if d <= 0:
            if d == 0:
                return start.astimezone(UTC)
            _check_seconds(d)
        if not self._minutes:
            raise NoBusinessTime("schedule has no business hours")
        r, at_end, inside = self._add(s, d)
        if r >= _MAX_TS:
            raise ValueError("result is after 9000-01-01 UTC")
        us = delta.microseconds
        if us and inside:
            if at_end:
                r = self._next_business(r)
            return _to_datetime(r, us)
        return datetime.fromtimestamp(r, UTC)

    def between(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end), rounded down; 0 when end <= start."""
        s, su = _split(start, "start")
        e, eu = _split(end, "end")
        if (e, eu) <= (s, su) or not self._minutes:
            return 0
        if e - s > HORIZON_WEEKS * _WEEK:
            raise ValueError(f"range longer than {HORIZON_WEEKS} weeks")
        ks = (s - _ORIGIN) // _WEEK
        ke = (e - _ORIGIN) // _WEEK
        bucket = self._bucket(ks)
        pos_s, in_s = self._position(bucket, s)
        if ks == ke:
            pos_e, in_e = self._position(bucket, e)
            total = pos_e - pos_s
        else:
            total = bucket[4] - pos_s
            k = bucket[5]
            while k < ke:
                bucket = self._bucket(k)
                total += bucket[4]
                k = bucket[5]
            pos_e, in_e = self._position(self._bucket(ke), e)
            total += pos_e
        micro = total * 1_000_000 + (eu if in_e else 0) - (su if in_s else 0)
        return micro // 1_000_000

    def subtract(self, end: datetime, seconds: int) -> datetime:
        """The earliest instant from which at most `seconds` of business time remain until
        `end` (UTC): where a count that ends at `end` had `seconds` left, the inverse of `add`
        for counts that end in business time. Raises NoBusinessTime when there is none.

        Business time until `end` only shrinks as the start moves later, so a bisection over
        whole seconds, bounded by `between`'s horizon, finds the instant exactly.
        """
        seconds = _check_seconds(seconds)
        _split(end, "end")
        if not self._minutes:
            raise NoBusinessTime("schedule has no business hours")
        end = end.astimezone(UTC)
        high = end - timedelta(seconds=seconds)  # never more than `seconds` left from here
        low = high - timedelta(days=1)
        horizon = timedelta(weeks=HORIZON_WEEKS)
        while self.between(low, end) <= seconds:
            if end - low >= horizon:
                raise NoBusinessTime(f"less than {seconds} s of business time before {end}")
            low = max(end - horizon, low - (end - low))
        low_s, high_s = 0, int((high - low).total_seconds())
        # Invariant: between(low + low_s) > seconds >= between(low + high_s).
        while high_s - low_s > 1:
            middle = (low_s + high_s) // 2
            if self.between(low + timedelta(seconds=middle), end) > seconds:
                low_s = middle
            else:
                high_s = middle
        return low + timedelta(seconds=high_s)

    def next_business_instant(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if it is business time, else the next opening."""
        s, us = _split(at, "at")
        if not self._minutes:
            raise NoBusinessTime("schedule has no business hours")
        r = self._next_business(s)
        return _to_datetime(r, us if r == s else 0)

    def is_business_time(self, at: datetime) -> bool:
        """Whether `at` lies inside a business span (half-open: an interval's end is not)."""
        s, _ = _split(at, "at")
        if not self._minutes:
            return False
        starts, ends = self._bucket((s - _ORIGIN) // _WEEK)[:2]
        i = bisect_right(ends, s)
        return i < len(starts) and starts[i] <= s

    def explain_add(self, start: datetime, seconds: int) -> AddExplanation:
        """`add()` plus the business spans it consumed and the holidays it skipped."""
        result = self.add(start, seconds)
        start_utc = start.astimezone(UTC)
        s, _ = _split(start, "start")
        r, ru = _split(result, "result")
        stop = r + 1 if ru else r
        spans: list[tuple[datetime, datetime]] = []
        count = 0
        walk = self._iter_spans(s, stop) if result > start_utc else iter(())
        for lo, hi in walk:
            count += 1
            if len(spans) < MAX_LISTED:
                spans.append((max(_to_datetime(lo), start_utc), min(_to_datetime(hi), result)))
        skips: list[HolidaySkip] = []
        holiday_count = 0
        if result > start_utc and self.holidays:
            raw = self._raw_schedule()
            found = []
            for holiday, (lo, hi) in zip(self.holidays, self._holiday_spans, strict=True):
                lo, hi = max(lo, s), min(hi, stop)
                if lo >= hi:
                    continue
                a = max(_to_datetime(lo), start_utc)
                b = min(_to_datetime(hi), result)
                removed = raw.between(a, b) if a < b else 0
                if removed:
                    found.append(HolidaySkip(holiday, a, b, removed))
            found.sort(key=lambda skip: (skip.start, skip.end))
            holiday_count = len(found)
            skips = found[:MAX_LISTED]
        return AddExplanation(
            time_zone=self.time_zone,
            start=start_utc,
            seconds=seconds,
            result=result,
            spans=tuple(spans),
            span_count=count,
            holidays=tuple(skips),
            holiday_count=holiday_count,
        )

    # -- walking ----------------------------------------------------------------------------

    def _add(self, s: int, d: int) -> tuple[int, bool, bool]:
        """Whole-second add: (result, result is a span end, start was inside a span)."""
        if d > (HORIZON_WEEKS + 1) * _WEEK:
            raise ValueError(f"target longer than the {HORIZON_WEEKS}-week search horizon")
        k = (s - _ORIGIN) // _WEEK
        starts, ends, before, after, total, nxt = self._bucket(k)
        i = bisect_right(ends, s)
        inside = i < len(starts) and starts[i] <= s
        if inside:
            need = before[i] + s - starts[i] + d
        else:
            need = (before[i] if i < len(starts) else total) + d
        walked = 0
        while need > total:
            need -= total
            if nxt == k + 1:
                walked += 1
                if walked > HORIZON_WEEKS:
                    raise ValueError(f"target not reached within {HORIZON_WEEKS} weeks")
                if nxt > _K_MAX:
                    raise ValueError("result is after 9000-01-01 UTC")
            elif nxt > _K_MAX:
                raise NoBusinessTime("all business time after the start is holiday")
            k = nxt
            starts, ends, before, after, total, nxt = self._bucket(k)
        j = bisect_left(after, need)
        r = starts[j] + need - before[j]
        return r, r == ends[j], inside

    def _next_business(self, s: int) -> int:
        k = (s - _ORIGIN) // _WEEK
        starts, ends, _, _, _, nxt = self._bucket(k)
        i = bisect_right(ends, s)
        if i < len(starts):
            return max(s, starts[i])
        walked = 0
        while True:
            if nxt == k + 1:
                walked += 1
                if walked > HORIZON_WEEKS:
                    raise NoBusinessTime(f"no business time within {HORIZON_WEEKS} weeks")
            if nxt > _K_MAX:
                raise NoBusinessTime("no business time before 9000-01-01 UTC")
            k = nxt
            starts, _, _, _, _, nxt = self._bucket(k)
            if starts:
                return starts[0]

    @staticmethod
    def _position(bucket: _Bucket, s: int) -> tuple[int, bool]:
        """Business seconds from the bucket start to `s`, and whether `s` is business time."""
        starts, ends, before, _, total, _ = bucket
        i = bisect_right(ends, s)
        if i < len(starts):
            if starts[i] <= s:
                return before[i] + s - starts[i], True
            return before[i], False
        return total, False

    def _iter_spans(self, s: int, e: int) -> Iterator[tuple[int, int]]:
        """Business spans clipped to [s, e), touching spans joined."""
        k = (s - _ORIGIN) // _WEEK
        current: tuple[int, int] | None = None
        while k <= _K_MAX and _ORIGIN + k * _WEEK < e:
            starts, ends, _, _, _, nxt = self._bucket(k)
            for j in range(bisect_right(ends, s), len(starts)):
                lo, hi = max(starts[j], s), min(ends[j], e)
                if lo >= e:
                    break
                if current is not None and current[1] == lo:
                    current = (current[0], hi)
                else:
                    if current is not None:
                        yield current
                    current = (lo, hi)
            k = nxt
        if current is not None:
            yield current

    def _raw_schedule(self) -> Schedule:
        if self._raw is None:
            self._raw = Schedule(self.time_zone, self.intervals)
        return self._raw

    # -- precomputation ---------------------------------------------------------------------

    @staticmethod
    def _merge_minutes(intervals: tuple[WeeklyInterval, ...]) -> list[tuple[int, int]]:
        merged: list[tuple[int, int]] = []
        for interval in intervals:
            s, e = interval.start_minute, interval.end_minute
            if merged and merged[-1][1] == s:
                merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged

    @staticmethod
    def _clock(minute: int) -> tuple[int, time, time]:
        """Day offset from Sunday and local clock time (fold 0 and 1) of a week minute."""
        day, rest = divmod(minute, 1_440)
        clock = time(rest // 60, rest % 60)
        return day, clock, clock.replace(fold=1)

    def _wall(self, ts: int) -> datetime:
        return datetime.fromtimestamp(ts, self._tz).replace(tzinfo=None)

    def _resolve(self, base: int, day: date, clock: time, clock_fold: time) -> int:
        """UTC seconds for local `day` at `clock` (`base`: the same wall time read as UTC).

        Gap -> the instant of the jump; repeated -> the first occurrence. `clock_fold` is
        `clock` with fold=1, passed in so bucket building can precompute it.
        """
        tz = self._tz
        off0 = datetime.combine(day, clock, tz).utcoffset()
        off1 = datetime.combine(day, clock_fold, tz).utcoffset()
        if off0 is None or off1 is None:  # pragma: no cover - ZoneInfo always has offsets
            raise ValueError(f"time zone {self.time_zone!r} gives no UTC offset")
        first = base - (off0.days * _DAY + off0.seconds)
        if off0 >= off1:  # unique, or repeated where fold=0 (the earlier offset) comes first
            return first
        # In a gap: fold=0 reads it with the offset before the jump (too late), fold=1 with the
        # offset after (too early). The jump is the first instant whose wall reading is >= wall.
        wall = datetime.combine(day, clock)
        lo, hi = base - (off1.days * _DAY + off1.seconds), first
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._wall(mid) >= wall:
                hi = mid
            else:
                lo = mid
        return hi

    def _local_to_ts(self, wall: datetime) -> int:
        delta = wall - _EPOCH_NAIVE
        clock = wall.time()
        return self._resolve(
            delta.days * _DAY + delta.seconds, wall.date(), clock, clock.replace(fold=1)
        )

    def _holiday_span(self, holiday: Holiday) -> tuple[int, int]:
        start, end = holiday.local_bounds()
        if start < _WALL_MIN:
            lo = _NEG_INF
        elif start >= _WALL_MAX:
            lo = _POS_INF
        else:
            lo = self._local_to_ts(start)
        if end is None or end >= _WALL_MAX:
            hi = _POS_INF
        elif end < _WALL_MIN:
            hi = _NEG_INF
        else:
            hi = self._local_to_ts(end)
        return lo, hi

    def _build_bucket(self, k: int) -> _Bucket:
        """UTC business spans in [a, a + 1 week) for a = _ORIGIN + k weeks, minus holidays."""
        a = _ORIGIN + k * _WEEK
        b = a + _WEEK
        spans: list[list[int]] = []
        first, last = self._first_minute * 60, self._last_minute * 60
        resolve = self._resolve
        # Local week j starts at wall "seconds" _ORIGIN + j weeks (a Sunday); its spans lie in
        # [that + first - margin, that + last + margin] in UTC.
        for j in range(k - 2, k + 2):
            week = _ORIGIN + j * _WEEK
            if week + last + _MARGIN <= a or week + first - _MARGIN >= b:
                continue
            sunday = _SUNDAY_ORDINAL + 7 * j
            for s_sec, s_day, s_clock, s_fold, e_sec, e_day, e_clock, e_fold in self._boundaries:
                ws, we = week + s_sec, week + e_sec
                if we + _MARGIN <= a or ws - _MARGIN >= b:
                    continue
                lo = resolve(ws, date.fromordinal(sunday + s_day), s_clock, s_fold)
                hi = resolve(we, date.fromordinal(sunday + e_day), e_clock, e_fold)
                lo, hi = max(lo, a), min(hi, b)
                if lo < hi:
                    if spans and spans[-1][1] == lo:
                        spans[-1][1] = hi
                    else:
                        spans.append([lo, hi])
        nxt = k + 1
        h = bisect_right(self._hol_ends, a)
        if h < len(self._hol_starts) and self._hol_starts[h] < b:
            if self._hol_starts[h] <= a and self._hol_ends[h] >= b:
                end = self._hol_ends[h]
                nxt = _K_JUMP_INF if end >= _MAX_TS else max(k + 1, (end - _ORIGIN) // _WEEK)
                spans = []
            else:
                spans = self._subtract(spans, h, b)
        starts = [lo for lo, _ in spans]
        ends = [hi for _, hi in spans]
        before: list[int] = []
        after: list[int] = []
        total = 0
        for lo, hi in spans:
            before.append(total)
            total += hi - lo
            after.append(total)
        return starts, ends, before, after, total, nxt

    def _subtract(self, spans: list[list[int]], h: int, b: int) -> list[list[int]]:
        """Spans minus merged holidays h, h+1, ... that start before b."""
        out: list[list[int]] = []
        hol_starts, hol_ends = self._hol_starts, self._hol_ends
        for lo, hi in spans:
            while h < len(hol_starts) and hol_ends[h] <= lo:
                h += 1
            g = h
            while lo < hi:
                if g >= len(hol_starts) or hol_starts[g] >= hi:
                    out.append([lo, hi])
                    break
                if hol_starts[g] > lo:
                    out.append([lo, hol_starts[g]])
                lo = max(lo, hol_ends[g])
                g += 1
        return out
