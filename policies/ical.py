"""Holidays from an iCalendar (.ics) file, for a schedule's holiday import.

Each VEVENT becomes one holiday per occurrence, in the schedule's time zone: all-day events are
whole days (DTEND is exclusive, so a two-day event ends on its second day), and timed events are
partial days from their local start to their local end. Floating times (no TZID, no Z) are read
as the schedule's own wall time, whatever X-WR-TIMEZONE the file names.

Recurring events are expanded over the given window with `recurring_ical_events`: the dates of
their RRULEs and RDATEs (an RDATE PERIOD with its own length), less their EXDATEs, where a
VEVENT with the same UID and a RECURRENCE-ID replaces the occurrence it names (moved, renamed
or resized). Occurrences and events with STATUS:CANCELLED are left out. Among events that share
a UID without a RECURRENCE-ID, a higher SEQUENCE is a newer version of the same event and
replaces the older; equal ones are kept as separate events. An event that does not recur is
kept even outside the window, so that the import can say why it cannot be added.

Problems with the file as a whole raise `IcalError`; an event that cannot become a holiday is
reported in `IcalResult.skipped` with the reason and the rest still import.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

MAX_BYTES = 2 * 1024 * 1024
MAX_OCCURRENCES = 1000  # per recurring event, inside the window

# The window is expanded a slice at a time, so that a rule repeating every minute stops at
# MAX_OCCURRENCES instead of listing the whole window first. Slices grow while they hold few
# occurrences and shrink while they hold many.
_FIRST_SLICE = timedelta(hours=1)
_SMALLEST_SLICE = timedelta(seconds=1)
_OCCURRENCES_PER_SLICE = 100
# The library also fetches every earlier occurrence that is still going on, so an event that
# lasts far longer than its rule's step would make each slice huge.
_RULE_STEPS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}


class IcalError(ValueError):
    """The file is not a usable calendar; nothing from it may be imported."""


@dataclass(frozen=True)
class IcalHoliday:
    name: str
    start_date: date
    end_date: date
    start_time: time | None = None
    end_time: time | None = None

    def as_fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "start_time": self.start_time,
            "end_time": self.end_time,
        }


@dataclass
class IcalResult:
    holidays: list[IcalHoliday] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (event name, reason)


def parse_holidays(content: bytes, *, time_zone: str, window: tuple[date, date]) -> IcalResult:
    """Holidays from `content`, in `time_zone` (IANA); recurrences are kept inside `window`."""
    if len(content) > MAX_BYTES:
        raise IcalError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not content.strip():
        raise IcalError("The file is empty.")
    try:
        calendars = icalendar.Calendar.from_ical(content, multiple=True)
    except (ValueError, IndexError, KeyError) as error:
        raise IcalError(f"This is not an iCalendar file: {error}") from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise IcalError("This is not an iCalendar file: it has no VCALENDAR.")
    events = [
        event
        for calendar in calendars
        for event in calendar.walk("VEVENT")
        if isinstance(event, icalendar.Event)
    ]
    if not events:
        raise IcalError("The calendar has no events (VEVENT).")
    zone = ZoneInfo(time_zone)
    result = IcalResult()
    usable: list[icalendar.Event] = []
    for event in events:
        try:
            _check(event)
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            result.skipped.append((_name(event), _reason(error)))
        else:
            usable.append(event)
    for series in _series(usable):
        try:
            holidays = [
                _holiday(_name(event), event.start, event.end, zone)
                for event in _occurrences(series, window)
                if not _cancelled(event)
            ]
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            result.skipped.append((_name(series[0]), _reason(error)))
        else:
            result.holidays.extend(holidays)
    return result


def _name(event: icalendar.Event) -> str:
    # Without NUL characters, which PostgreSQL text cannot hold.
    summary = str(event.get("SUMMARY") or "").replace("\x00", "")
    return summary.strip()[:255] or "Holiday"


def _cancelled(event: icalendar.Event) -> bool:
    # How calendar servers delete one occurrence of a series, or a whole event.
    return str(event.get("STATUS") or "").upper() == "CANCELLED"


def _reason(error: Exception) -> str:
    if isinstance(error, icalendar.IncompleteComponent):
        return "it has no start (DTSTART)"
    if isinstance(error, recurring_ical_events.BadRuleStringFormat):
        # Its own message guesses at a missing UNTIL whatever the rule's fault.
        return "its repeat rule (RRULE) cannot be read"
    return str(error) or type(error).__name__


def _check(event: icalendar.Event) -> None:
    """Raise if this VEVENT, taken alone, cannot become a holiday."""
    start = event.start
    end = event.end
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError("its start and end are not both dates or both times")
    if end < start:
        raise ValueError("it ends before it starts")
    if end == start and isinstance(start, datetime):
        raise ValueError("it has no length (no DTEND or DURATION)")


def _series(events: list[icalendar.Event]) -> list[list[icalendar.Event]]:
    """The events grouped as recurrence sets: a main event first, then its overrides.

    Overrides with no main event in the file stand alone, as one-off events.
    """
    by_uid: dict[object, list[icalendar.Event]] = {}
    for event in events:
        by_uid.setdefault(str(event.get("UID") or "") or id(event), []).append(event)
    found: list[list[icalendar.Event]] = []
    for group in by_uid.values():
        mains = [event for event in group if "RECURRENCE-ID" not in event]
        overrides = [event for event in group if "RECURRENCE-ID" in event]
        if not mains:
            found.extend([override] for override in overrides)
            continue
        # Equal SEQUENCEs are most likely different events that a generator gave one UID.
        newest = max(_sequence(event) for event in mains)
        mains = [event for event in mains if _sequence(event) == newest]
        found.append([mains[0], *overrides])
        found.extend([event] for event in mains[1:])
    return found


def _sequence(event: icalendar.Event) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _recurs(series: list[icalendar.Event]) -> bool:
    main = series[0]
    return len(series) > 1 or "RRULE" in main or "RDATE" in main


def _occurrences(series: list[icalendar.Event], window: tuple[date, date]) -> list[icalendar.Event]:
    """Each occurrence of `series` as an event with its own DTSTART and DTEND."""
    if not _recurs(series):
        return series
    _check_overlap(series[0])
    calendar = icalendar.Calendar()
    for event in series:
        calendar.add_component(event)
    # CalendarQuery rather than recurring_ical_events.of(): of() would move floating times into
    # the file's X-WR-TIMEZONE, and floating times are the schedule's wall time here.
    query = recurring_ical_events.CalendarQuery(calendar)
    low = datetime.combine(window[0], time())
    stop = datetime.combine(window[1] + timedelta(days=1), time())
    found: list[icalendar.Event] = []
    for batch in _slices(query, low, stop):
        found.extend(batch)
        if len(found) >= MAX_OCCURRENCES:
            break
    return found[:MAX_OCCURRENCES]


def _check_overlap(main: icalendar.Event) -> None:
    length = main.end - main.start
    rules = main.get("RRULE") or []
    for rule in rules if isinstance(rules, list) else [rules]:
        if not isinstance(rule, icalendar.vRecur):
            continue  # unreadable: the library says so
        step = _RULE_STEPS.get(str((rule.get("FREQ") or [""])[0]).upper())
        interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
        if step and length > step * interval * MAX_OCCURRENCES:
            raise ValueError("each occurrence overlaps too many of the next ones")


def _slices(
    query: recurring_ical_events.CalendarQuery, low: datetime, stop: datetime
) -> Iterator[list[icalendar.Event]]:
    """The occurrences that start in [low, stop), a slice of that span at a time, in order.

    The span is wall time in each event's own zone, as the library reads a naive span.
    """
    cursor, step = low, _FIRST_SLICE
    while cursor < stop:
        end = min(cursor + step, stop)
        batch = query.between(cursor, end)
        # The library also returns occurrences that started earlier and still go on: those
        # were in an earlier slice, or began before the window.
        starting = [event for event in batch if cursor <= _wall(event.start) < end]
        yield sorted(starting, key=lambda event: _wall(event.start))
        if len(starting) > _OCCURRENCES_PER_SLICE:
            step = max(step / 2, _SMALLEST_SLICE)
        elif len(starting) < _OCCURRENCES_PER_SLICE // 2:
            step *= 2
        cursor = end


def _wall(moment: date | datetime) -> datetime:
    """`moment` as a naive datetime on its own zone's clock (a date: its midnight)."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    return moment.replace(tzinfo=None)


def _holiday(
    name: str, start: date | datetime, end: date | datetime, zone: ZoneInfo
) -> IcalHoliday:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return _timed(name, start, end, zone)
    # All-day DTEND is exclusive; an event without one lasts its start day.
    return IcalHoliday(name, start, max(end - timedelta(days=1), start))


def _timed(name: str, start: datetime, end: datetime, zone: ZoneInfo) -> IcalHoliday:
    if start.tzinfo is not None:
        start = start.astimezone(zone).replace(tzinfo=None)
        end = end.astimezone(zone).replace(tzinfo=None)
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    start_time: time | None = start.time()
    end_time: time | None = end.time()
    end_date = end.date()
    if end_time == time():
        # Ending at local midnight means the whole of the day before.
        end_date -= timedelta(days=1)
        end_time = None
    if start_time == time():
        start_time = None
    if end_date < start.date():
        raise ValueError("it ends before it starts")
    return IcalHoliday(name, start.date(), end_date, start_time, end_time)
