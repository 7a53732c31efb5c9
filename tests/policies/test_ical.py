"""policies.ical on small calendars: recurrences (RRULE, RDATE, EXDATE, RECURRENCE-ID), all-day
and timed events, and the time zones they are read in."""

from __future__ import annotations

from datetime import date, time

import pytest

from policies import ical

WINDOW = (date(2026, 1, 1), date(2027, 12, 31))


def calendar(*events: str, header: tuple[str, ...] = ()) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//slaweb tests//EN", *header]
    return ("\r\n".join([*lines, *events, "END:VCALENDAR"]) + "\r\n").encode()


def event(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT"])


def parse(content: bytes, time_zone: str = "Europe/Berlin") -> ical.IcalResult:
    return ical.parse_holidays(content, time_zone=time_zone, window=WINDOW)


def rows(result: ical.IcalResult) -> list[tuple[str, date, date, time | None, time | None]]:
    return sorted(
        (h.name, h.start_date, h.end_date, h.start_time, h.end_time) for h in result.holidays
    )


def test_rdate_adds_occurrences_to_a_rule_and_to_a_single_event() -> None:
    result = parse(
        calendar(
            event(
                "UID:company@example.com",
                "SUMMARY:Company day",
                "DTSTART;VALUE=DATE:20260305",
                "RRULE:FREQ=YEARLY;COUNT=2",
                "RDATE;VALUE=DATE:20260911",
            ),
            event(
                "UID:team@example.com",
                "SUMMARY:Team day",
                "DTSTART;VALUE=DATE:20260601",
                "RDATE;VALUE=DATE:20260615,20260629",
            ),
        )
    )
    assert result.skipped == []
    assert rows(result) == [
        ("Company day", date(2026, 3, 5), date(2026, 3, 5), None, None),
        ("Company day", date(2026, 9, 11), date(2026, 9, 11), None, None),
        ("Company day", date(2027, 3, 5), date(2027, 3, 5), None, None),
        ("Team day", date(2026, 6, 1), date(2026, 6, 1), None, None),
        ("Team day", date(2026, 6, 15), date(2026, 6, 15), None, None),
        ("Team day", date(2026, 6, 29), date(2026, 6, 29), None, None),
    ]


def test_rdate_period_gives_that_occurrence_its_own_length() -> None:
    result = parse(
        calendar(
            event(
                "UID:offsite@example.com",
                "SUMMARY:Offsite",
                "DTSTART:20260601T090000",
                "DTEND:20260601T120000",
                "RDATE;VALUE=PERIOD:20260608T090000/20260608T170000",
            )
        )
    )
    assert rows(result) == [
        ("Offsite", date(2026, 6, 1), date(2026, 6, 1), time(9), time(12)),
        ("Offsite", date(2026, 6, 8), date(2026, 6, 8), time(9), time(17)),
    ]


def test_recurrence_id_moves_one_friday_of_a_weekly_holiday_to_thursday() -> None:
    result = parse(
        calendar(
            event(
                "UID:friday@example.com",
                "SUMMARY:Summer Friday",
                "DTSTART;VALUE=DATE:20260703",
                "RRULE:FREQ=WEEKLY;COUNT=4",
            ),
            event(
                "UID:friday@example.com",
                "SUMMARY:Summer Thursday",
                "RECURRENCE-ID;VALUE=DATE:20260717",
                "DTSTART;VALUE=DATE:20260716",
            ),
        )
    )
    assert result.skipped == []
    assert [(h.name, h.start_date, h.end_date) for h in result.holidays] == [
        ("Summer Friday", date(2026, 7, 3), date(2026, 7, 3)),
        ("Summer Friday", date(2026, 7, 10), date(2026, 7, 10)),
        ("Summer Thursday", date(2026, 7, 16), date(2026, 7, 16)),  # not also on the 17th
        ("Summer Friday", date(2026, 7, 24), date(2026, 7, 24)),
    ]


def test_recurrence_id_of_a_timed_series_moves_its_time_and_a_cancelled_one_is_left_out() -> None:
    result = parse(
        calendar(
            event(
                "UID:afternoon@example.com",
                "SUMMARY:Afternoon off",
                "DTSTART;TZID=Europe/Berlin:20260105T140000",
                "DTEND;TZID=Europe/Berlin:20260105T180000",
                "RRULE:FREQ=WEEKLY;COUNT=3",
            ),
            event(
                "UID:afternoon@example.com",
                "SUMMARY:Afternoon off",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260112T140000",
                "DTSTART;TZID=Europe/Berlin:20260113T150000",
                "DTEND;TZID=Europe/Berlin:20260113T170000",
            ),
            event(
                "UID:afternoon@example.com",
                "SUMMARY:Afternoon off",
                "STATUS:CANCELLED",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260119T140000",
                "DTSTART;TZID=Europe/Berlin:20260119T140000",
                "DTEND;TZID=Europe/Berlin:20260119T180000",
            ),
        )
    )
    assert rows(result) == [
        ("Afternoon off", date(2026, 1, 5), date(2026, 1, 5), time(14), time(18)),
        ("Afternoon off", date(2026, 1, 13), date(2026, 1, 13), time(15), time(17)),
    ]


def test_exdate_still_removes_an_occurrence() -> None:
    result = parse(
        calendar(
            event(
                "UID:inventory@example.com",
                "SUMMARY:Inventory day",
                "DTSTART;VALUE=DATE:20260201",
                "RRULE:FREQ=MONTHLY;COUNT=4",
                "EXDATE;VALUE=DATE:20260301",
            ),
            # An EXDATE in UTC removes the occurrence at the same instant in the event's zone.
            event(
                "UID:lunch@example.com",
                "SUMMARY:Long lunch",
                "DTSTART;TZID=Europe/Berlin:20260105T130000",
                "DTEND;TZID=Europe/Berlin:20260105T150000",
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "EXDATE:20260112T120000Z",
            ),
        )
    )
    assert rows(result) == [
        ("Inventory day", date(2026, 2, 1), date(2026, 2, 1), None, None),
        ("Inventory day", date(2026, 4, 1), date(2026, 4, 1), None, None),
        ("Inventory day", date(2026, 5, 1), date(2026, 5, 1), None, None),
        ("Long lunch", date(2026, 1, 5), date(2026, 1, 5), time(13), time(15)),
        ("Long lunch", date(2026, 1, 19), date(2026, 1, 19), time(13), time(15)),
    ]


def test_all_day_multi_day_event_ends_the_day_before_its_dtend() -> None:
    result = parse(
        calendar(
            event(
                "UID:break@example.com",
                "SUMMARY:Winter break",
                "DTSTART;VALUE=DATE:20261224",
                "DTEND;VALUE=DATE:20261227",
            ),
            event(
                "UID:closing@example.com",
                "SUMMARY:Year-end closing",
                "DTSTART;VALUE=DATE:20261230",
                "DTEND;VALUE=DATE:20270102",
                "RRULE:FREQ=YEARLY",
            ),
        )
    )
    assert rows(result) == [
        ("Winter break", date(2026, 12, 24), date(2026, 12, 26), None, None),
        # Each occurrence keeps the length, across the turn of the year; the one starting on
        # 2027-12-30 is in the window, the next is not.
        ("Year-end closing", date(2026, 12, 30), date(2027, 1, 1), None, None),
        ("Year-end closing", date(2027, 12, 30), date(2028, 1, 1), None, None),
    ]


def test_timed_event_with_tzid_in_another_zone_is_read_in_the_schedules_zone() -> None:
    result = parse(
        calendar(
            # 05:00-10:00 in Tokyo (UTC+9) is 22:00-03:00 in Berlin summer time (UTC+2).
            event(
                "UID:tokyo@example.com",
                "SUMMARY:Tokyo office closed",
                "DTSTART;TZID=Asia/Tokyo:20260701T050000",
                "DTEND;TZID=Asia/Tokyo:20260701T100000",
            ),
            # New York moves to summer time on 2026-03-08, Berlin on 2026-03-29: the same 09:00
            # in New York is 15:00 in Berlin on the 2nd and 14:00 on the 9th and 16th.
            event(
                "UID:newyork@example.com",
                "SUMMARY:New York standup",
                "DTSTART;TZID=America/New_York:20260302T090000",
                "DTEND;TZID=America/New_York:20260302T100000",
                "RRULE:FREQ=WEEKLY;COUNT=3",
            ),
        )
    )
    assert rows(result) == [
        ("New York standup", date(2026, 3, 2), date(2026, 3, 2), time(15), time(16)),
        ("New York standup", date(2026, 3, 9), date(2026, 3, 9), time(14), time(15)),
        ("New York standup", date(2026, 3, 16), date(2026, 3, 16), time(14), time(15)),
        ("Tokyo office closed", date(2026, 6, 30), date(2026, 7, 1), time(22), time(3)),
    ]


def test_floating_times_are_the_schedules_wall_time_despite_x_wr_timezone() -> None:
    result = parse(
        calendar(
            event(
                "UID:float@example.com",
                "SUMMARY:Morning off",
                "DTSTART:20260105T090000",
                "DTEND:20260105T120000",
                "RRULE:FREQ=DAILY;COUNT=2",
            ),
            header=("X-WR-TIMEZONE:America/New_York",),
        ),
        time_zone="Asia/Tokyo",
    )
    assert rows(result) == [
        ("Morning off", date(2026, 1, 5), date(2026, 1, 5), time(9), time(12)),
        ("Morning off", date(2026, 1, 6), date(2026, 1, 6), time(9), time(12)),
    ]


def test_recurrences_stay_in_the_window_and_a_single_event_outside_it_is_kept() -> None:
    result = parse(
        calendar(
            event(
                "UID:founders@example.com",
                "SUMMARY:Founders day",
                "DTSTART;VALUE=DATE:20200415",
                "RRULE:FREQ=YEARLY",
            ),
            event("UID:old@example.com", "SUMMARY:Long ago", "DTSTART;VALUE=DATE:20190101"),
        )
    )
    assert rows(result) == [
        ("Founders day", date(2026, 4, 15), date(2026, 4, 15), None, None),
        ("Founders day", date(2027, 4, 15), date(2027, 4, 15), None, None),
        # Left to the import, which says why it cannot be added.
        ("Long ago", date(2019, 1, 1), date(2019, 1, 1), None, None),
    ]


def test_a_recurring_event_stops_at_max_occurrences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical, "MAX_OCCURRENCES", 5)
    result = parse(
        calendar(
            event(
                "UID:hourly@example.com",
                "SUMMARY:Every hour",
                "DTSTART:20251231T220000",
                "DTEND:20251231T221500",
                "RRULE:FREQ=HOURLY",
            )
        )
    )
    # The first five that start inside the window, from its first midnight.
    assert [(h.start_date, h.start_time) for h in result.holidays] == [
        (date(2026, 1, 1), None),
        (date(2026, 1, 1), time(1)),
        (date(2026, 1, 1), time(2)),
        (date(2026, 1, 1), time(3)),
        (date(2026, 1, 1), time(4)),
    ]


def test_an_event_that_overlaps_many_of_its_own_occurrences_is_skipped() -> None:
    # A week long, every minute: each occurrence would overlap 10,080 others.
    result = parse(
        calendar(
            event(
                "UID:storm@example.com",
                "SUMMARY:Storm",
                "DTSTART:20260101T000000",
                "DTEND:20260108T000000",
                "RRULE:FREQ=MINUTELY",
            ),
            event("UID:fine@example.com", "SUMMARY:Fine", "DTSTART;VALUE=DATE:20260105"),
        )
    )
    assert rows(result) == [("Fine", date(2026, 1, 5), date(2026, 1, 5), None, None)]
    assert result.skipped == [("Storm", "each occurrence overlaps too many of the next ones")]


def test_same_uid_a_higher_sequence_replaces_and_an_equal_one_is_another_event() -> None:
    result = parse(
        calendar(
            event("UID:v@x.org", "SEQUENCE:0", "SUMMARY:Draft", "DTSTART;VALUE=DATE:20260105"),
            event("UID:v@x.org", "SEQUENCE:1", "SUMMARY:Final", "DTSTART;VALUE=DATE:20260106"),
            event("UID:same@example.com", "SUMMARY:One", "DTSTART;VALUE=DATE:20260107"),
            event("UID:same@example.com", "SUMMARY:Two", "DTSTART;VALUE=DATE:20260108"),
        )
    )
    assert [(h.name, h.start_date) for h in result.holidays] == [
        ("Final", date(2026, 1, 6)),
        ("One", date(2026, 1, 7)),
        ("Two", date(2026, 1, 8)),
    ]


def test_events_that_cannot_be_holidays_are_skipped_with_a_reason_and_the_rest_import() -> None:
    result = parse(
        calendar(
            event("UID:a@example.com", "SUMMARY:No start"),
            event(
                "UID:b@example.com",
                "SUMMARY:Bad rule",
                "DTSTART;VALUE=DATE:20260105",
                "RRULE:FREQ=SOMETIMES",
            ),
            event(
                "UID:c@example.com",
                "SUMMARY:Backwards",
                "DTSTART:20260105T120000",
                "DTEND:20260105T110000",
            ),
            event("UID:d@example.com", "SUMMARY:Fine", "DTSTART;VALUE=DATE:20260105"),
        )
    )
    assert rows(result) == [("Fine", date(2026, 1, 5), date(2026, 1, 5), None, None)]
    assert result.skipped == [
        ("No start", "it has no start (DTSTART)"),
        ("Backwards", "it ends before it starts"),
        ("Bad rule", "its repeat rule (RRULE) cannot be read"),
    ]


def test_a_name_loses_its_nul_characters_which_postgresql_text_cannot_hold() -> None:
    result = parse(calendar(event("UID:1", "SUMMARY:New\x00 Year", "DTSTART;VALUE=DATE:20270101")))
    assert rows(result) == [("New Year", date(2027, 1, 1), date(2027, 1, 1), None, None)]
