"""Closed stretches of running time, and how a carried state stores them.

A clock that pauses keeps every stretch it ran, since a target lowered later may turn out to
have been reached inside any of them. A long thread pauses hundreds of times and its state is
read, decoded, encoded and written at every save, so a state keeps the stretches as one string
that a save only extends at its end and never parses unless a target falls inside them.

Each stretch is "gap,length", or "gap,length,schedule" when it was measured by a schedule other
than the one in force (its place in the state's "schedules"); the gap runs from the end of the
stretch before (from the Unix epoch for the first); both are seconds, with six decimals when
not whole; stretches are separated by spaces. The state's value is [text, end of the last
stretch in the same notation], so new stretches are added without reading the old ones: about
eight bytes a pause, against twenty-five as a list of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from policies.engine.business_time import Schedule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)


def after_epoch(seconds: int) -> datetime:
    """The moment `seconds` after the Unix epoch; ValueError if no datetime holds it (a
    damaged state must read as unreadable, never fail a save)."""
    try:
        return EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{seconds} s from the epoch is past the years a datetime holds") from None


def _later(moment: datetime, span: timedelta) -> datetime:
    try:
        return moment + span
    except OverflowError:
        raise ValueError(f"{span} from {moment} is past the years a datetime holds") from None


def whole_seconds(start: datetime, end: datetime) -> int:
    delta = end - start
    return delta.days * 86400 + delta.seconds


class Stretch:
    """A closed stretch of running time, measured in calendar and business seconds by the
    schedule in force while it ran."""

    __slots__ = ("start", "end", "calendar", "business", "schedule")

    def __init__(self, start: datetime, end: datetime, schedule: Schedule | None) -> None:
        self.start = start
        self.end = end
        self.calendar = whole_seconds(start, end)
        self.business = self.calendar if schedule is None else schedule.between(start, end)
        self.schedule = schedule


class StoredStretches:
    """Stretches as a carried state stored them, measured only when `read`."""

    __slots__ = ("text", "end")

    def __init__(self, text: str = "", end: datetime | None = None) -> None:
        self.text = text
        self.end = end

    def __bool__(self) -> bool:
        return bool(self.text)

    @classmethod
    def load(cls, value: Any) -> StoredStretches:
        """From a state's value; TypeError or ValueError if it is not one."""
        if value == []:
            return cls()
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(part, str) and part for part in value)
        ):
            raise TypeError("closed stretches must be [text, end]")
        return cls(value[0], _later(EPOCH, _span_load(value[1])))

    def dump(
        self, closed: Iterable[Stretch], schedule_ref: Callable[[Schedule | None], int]
    ) -> list[str]:
        """The state's value for these stretches followed by `closed` (`schedule_ref`: a
        schedule's place in the state, -1 for the one in force)."""
        parts = [self.text] if self.text else []
        end = self.end or EPOCH
        for stretch in closed:
            token = f"{_span(stretch.start - end)},{_span(stretch.end - stretch.start)}"
            ref = schedule_ref(stretch.schedule)
            parts.append(token if ref == -1 else f"{token},{ref}")
            end = stretch.end
        return [" ".join(parts), _span(end - EPOCH)] if parts else []

    def read(self, current: Schedule | None, schedules: Sequence[Schedule | None]) -> list[Stretch]:
        """The stretches, each measured by `current` unless it names one of `schedules`.
        ValueError or IndexError if the text is damaged."""
        stretches = []
        end = EPOCH
        for token in self.text.split(" "):
            gap, length, *ref = token.split(",")
            start = _later(end, _span_load(gap))
            run = _span_load(length)
            if run < _ZERO:
                raise ValueError(f"a stretch cannot run backwards: {token!r}")
            end = _later(start, run)
            if not ref:
                schedule = current
            elif len(ref) == 1 and int(ref[0]) >= 0:
                schedule = schedules[int(ref[0])]
            else:
                raise ValueError(f"a stretch names no schedule: {token!r}")
            stretches.append(Stretch(start, end, schedule))
        if end != self.end:
            raise ValueError("the stretches do not end where the state says")
        return stretches


def _span(delta: timedelta) -> str:
    seconds, micro = divmod(delta // _MICROSECOND, 1_000_000)
    return f"{seconds}.{micro:06d}" if micro else str(seconds)


def _span_load(text: str) -> timedelta:
    if not _SPAN.fullmatch(text):
        raise ValueError(f"not a span of seconds: {text!r}")
    seconds, dot, micro = text.partition(".")
    try:
        return timedelta(seconds=int(seconds), microseconds=int(micro) if dot else 0)
    except OverflowError:
        raise ValueError(f"not a span a datetime can hold: {text!r}") from None


_SPAN = re.compile(r"-?[0-9]+(?:\.[0-9]{6})?")  # as `_span` writes them
