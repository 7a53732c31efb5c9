"""Holidays from an iCalendar (.ics) file, for a schedule's holiday import.

Each VEVENT becomes one holiday per occurrence, in the schedule's time zone: all-day events are
whole days (DTEND is exclusive, so a two-day event ends on its second day), and timed events are
partial days from their local start to their local end. Floating times (no TZID, no Z) are read
as the schedule's own wall time. Recurring events (RRULE) are expanded over the given window,
leaving out their EXDATEs.

Problems with the file as a whole raise `IcalError`; an event that cannot become a holiday is
reported in `IcalResult.skipped` with the reason and the rest still import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr

MAX_BYTES = 2 * 1024 * 1024
MAX_OCCURRENCES = 1000  # per recurring event, inside the window


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
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    if not events:
        raise IcalError("The calendar has no events (VEVENT).")
    zone = ZoneInfo(time_zone)
    result = IcalResult()
    for event in events:
        name = str(event.get("SUMMARY") or "").strip()[:255] or "Holiday"
        try:
            result.holidays.extend(_holidays(event, name, zone, window))
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            result.skipped.append((name, _reason(error)))
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, icalendar.IncompleteComponent):
        return "it has no start (DTSTART)"
    return str(error) or type(error).__name__


def _holidays(
    event: icalendar.Event, name: str, zone: ZoneInfo, window: tuple[date, date]
) -> list[IcalHoliday]:
    start = event.start
    end = event.end
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError("its start and end are not both dates or both times")
    if end < start:
        raise ValueError("it ends before it starts")
    if end == start and isinstance(start, datetime):
        raise ValueError("it has no length (no DTEND or DURATION)")
    length = end - start
    starts = [start]
    if event.get("RRULE") is not None:
        starts = _occurrences(event, start, window)
    holidays = []
    for first in starts:
        if isinstance(first, datetime):
            holidays.append(_timed(name, first, first + length, zone))
        else:
            # All-day DTEND is exclusive; an event without one lasts its start day.
            last = first + max(length - timedelta(days=1), timedelta(0))
            holidays.append(IcalHoliday(name, first, last))
    return holidays


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


def _occurrences(
    event: icalendar.Event, start: date | datetime, window: tuple[date, date]
) -> list[date | datetime]:
    is_date = not isinstance(start, datetime)
    anchor = datetime.combine(start, time()) if is_date else start
    # A floating or all-day start reads an UNTIL given in UTC as a wall time, as calendars mean.
    rule = rrulestr(
        event["RRULE"].to_ical().decode(), dtstart=anchor, ignoretz=anchor.tzinfo is None
    )
    low = datetime.combine(window[0], time())
    high = datetime.combine(window[1], time.max)
    if anchor.tzinfo is not None:
        low, high = low.replace(tzinfo=anchor.tzinfo), high.replace(tzinfo=anchor.tzinfo)
    excluded: set[date | datetime] = set()
    exdates = event.get("EXDATE") or []
    for exdate in exdates if isinstance(exdates, list) else [exdates]:
        for item in exdate.dts:
            excluded.add(item.dt)
    found: list[date | datetime] = []
    for moment in rule.xafter(low, count=MAX_OCCURRENCES, inc=True):
        if moment > high:
            break
        occurrence = moment.date() if is_date else moment
        if occurrence not in excluded:
            found.append(occurrence)
    return found
