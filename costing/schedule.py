"""Replays Application Auto Scaling cron schedules over a reference year: the capacity they leave running."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelyard.catalog.errors import InputError

# 52 whole weeks starting on a Monday, so weekly patterns come out exact (60 h of 168 is 35.71 %).
REFERENCE_START = datetime(2025, 1, 6)
REFERENCE_END = REFERENCE_START + timedelta(weeks=52)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
# AWS numbers days of the week 1-7 from Sunday.
_WEEKDAYS = {
    name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)
}
_CRON = re.compile(r"^cron\((.*)\)$")


class ScheduleError(InputError, ValueError):
    """A schedule expression this estimator cannot replay (rate(), at(), L/W/# fields, a malformed cron)."""


@dataclass(frozen=True)
class CronSchedule:
    """An AWS six-field cron expression: minutes hours day-of-month month day-of-week year."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    """None when the field is `?` (the day is chosen by day-of-week)."""
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    """AWS numbering, 1 = Sunday; None when the field is `?`."""

    def matches_day(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        if self.days_of_month is not None:
            return day.day in self.days_of_month
        aws_weekday = (day.isoweekday() % 7) + 1  # isoweekday: Monday 1 .. Sunday 7
        return self.days_of_week is None or aws_weekday in self.days_of_week

    def firings(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every time in [start, end) at which the schedule fires, in order."""
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        moment = day.replace(hour=hour, minute=minute)
                        if start <= moment < end:
                            yield moment
            day += timedelta(days=1)


def parse_cron(expression: str) -> CronSchedule:
    """Parse `cron(m h dom mon dow year)`; raise ScheduleError for anything this replay cannot model."""
    match = _CRON.match(expression.strip())
    if not match:
        raise ScheduleError(f"{expression!r} is not a cron() expression (rate() and at() are not replayed)")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(
            f"{expression!r} must have 6 fields (minutes hours day-of-month month day-of-week year)"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if year != "*":
        raise ScheduleError(f"{expression!r}: a year restriction is not replayed over a reference year")
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        expression=expression,
        minutes=_field(minutes, 0, 59, {}, expression),
        hours=_field(hours, 0, 23, {}, expression),
        days_of_month=None if day_of_month == "?" else _field(day_of_month, 1, 31, {}, expression),
        months=_field(month, 1, 12, _MONTHS, expression),
        days_of_week=None if day_of_week == "?" else _field(day_of_week, 1, 7, _WEEKDAYS, expression),
    )


def _field(text: str, low: int, high: int, names: dict[str, int], expression: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, names, expression) if step_text else 1
        if step < 1:
            raise ScheduleError(f"{expression!r}: step {step_text!r} must be at least 1")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = _number(first_text, names, expression), _number(last_text, names, expression)
        else:
            first = _number(base, names, expression)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ScheduleError(f"{expression!r}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, names: dict[str, int], expression: str) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError(
            f"{expression!r}: {text!r} is not a number or a name (L, W and # are not replayed)"
        )
    return int(text)


@dataclass(frozen=True)
class ScheduledCapacity:
    """One scheduled action: from each firing on, the target's minimum and/or maximum change."""

    schedule: str
    min_capacity: int | None
    max_capacity: int | None


@dataclass(frozen=True)
class CapacityProfile:
    """How much of the reference year each capacity level was in effect, and the time-weighted average."""

    average: float
    share_by_capacity: dict[int, float]


def capacity_profile(
    base_min: int, base_max: int | None, actions: list[ScheduledCapacity]
) -> CapacityProfile:
    """The minimum capacity in effect over the reference year when `actions` fire on their schedules.

    The pattern is taken to repeat, so the state at the start of the year is the state the last
    firing of the year leaves behind. Raises ScheduleError when a schedule cannot be replayed.
    """
    events = sorted(
        (moment, index)
        for index, action in enumerate(actions)
        for moment in parse_cron(action.schedule).firings(REFERENCE_START, REFERENCE_END)
    )
    state = (base_min, base_max)
    for _, index in events:
        state = _apply(state, actions[index])
    seconds_by_capacity: dict[int, float] = {}
    previous = REFERENCE_START
    for moment, index in [*events, (REFERENCE_END, None)]:
        capacity = _running(state)
        seconds_by_capacity[capacity] = (
            seconds_by_capacity.get(capacity, 0.0) + (moment - previous).total_seconds()
        )
        if index is not None:
            state = _apply(state, actions[index])
        previous = moment
    total = (REFERENCE_END - REFERENCE_START).total_seconds()
    shares = {
        capacity: seconds / total for capacity, seconds in sorted(seconds_by_capacity.items()) if seconds > 0
    }
    return CapacityProfile(
        average=sum(capacity * share for capacity, share in shares.items()), share_by_capacity=shares
    )


def _apply(state: tuple[int, int | None], action: ScheduledCapacity) -> tuple[int, int | None]:
    minimum, maximum = state
    return (
        minimum if action.min_capacity is None else action.min_capacity,
        maximum if action.max_capacity is None else action.max_capacity,
    )


def _running(state: tuple[int, int | None]) -> int:
    # With no load the target scales in to its minimum; a lower maximum caps it.
    minimum, maximum = state
    return minimum if maximum is None else min(minimum, maximum)
