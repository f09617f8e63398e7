"""Checks an AWS schedule expression (cron(), rate(), at()) field by field, as Application Auto Scaling and
EventBridge Scheduler read it, so a config error names the field instead of failing at `pulumi up`.

Syntax: botocore's models (application-autoscaling PutScheduledAction.Schedule, scheduler
CreateSchedule.ScheduleExpression: six cron fields, rate value a positive integer with unit minute(s), hour(s) or
day(s), at(yyyy-mm-ddThh:mm:ss)); field ranges and wildcards from
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html; a rate's unit is singular for 1
and plural otherwise (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_FORM = re.compile(r"^(cron|rate|at)\((.*)\)$")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    """Names standing for low, low + 1, ... (JAN = 1, SUN = 1)."""
    any_allowed: bool = False
    """Whether `?` may stand for the field (day-of-month, day-of-week)."""

    def value(self, token: str) -> int:
        if token in self.names:
            return self.low + self.names.index(token)
        if not token.isdigit() or not self.low <= int(token) <= self.high:
            named = f" or {self.names[0]}-{self.names[-1]}" if self.names else ""
            raise ValueError(f"{self.name} {token!r} is not in {self.low}-{self.high}{named}")
        return int(token)


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31, any_allowed=True),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _WEEKDAYS, any_allowed=True),
    _Field("year", 1970, 2199),
)


def schedule_expression_problem(expression: str) -> str | None:
    """What is wrong with `expression`, or None when AWS accepts it."""
    form = _FORM.match(expression)
    if form is None:
        return f"{expression!r} is not a cron(), rate() or at() expression"
    kind, body = form.groups()
    try:
        if kind == "cron":
            _check_cron(body)
        elif kind == "rate":
            _check_rate(expression)
        else:
            datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError as error:
        return f"{expression!r}: {error}"
    return None


def _check_rate(expression: str) -> None:
    match = _RATE.match(expression)
    if match is None:
        raise ValueError("a rate is rate(<positive integer> minute(s)|hour(s)|day(s))")
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise ValueError("the rate's value must be a positive integer")
    if (value == 1) != (not unit.endswith("s")):
        raise ValueError("the unit is singular for a value of 1 and plural otherwise")


def _check_cron(body: str) -> None:
    fields = body.split()
    if len(fields) != len(_FIELDS):
        raise ValueError(
            f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    for spec, field in zip(_FIELDS, fields):
        if field == "?":
            if not spec.any_allowed:
                raise ValueError(f"{spec.name} cannot be '?'")
            continue
        for item in field.split(","):
            _check_item(spec, item)
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")


def _check_item(spec: _Field, item: str) -> None:
    if spec.name == "day-of-month" and item in ("L", "LW"):
        return
    if spec.name == "day-of-month" and item.endswith("W"):
        spec.value(item[:-1])
        return
    if spec.name == "day-of-week" and item == "L":
        return
    if spec.name == "day-of-week" and item.endswith("L"):
        spec.value(item[:-1])
        return
    if spec.name == "day-of-week" and "#" in item:
        day, _, nth = item.partition("#")
        spec.value(day)
        if nth not in ("1", "2", "3", "4", "5"):
            raise ValueError(f"day-of-week {item!r}: the week of the month after '#' is 1-5")
        return
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        raise ValueError(f"{spec.name} {item!r}: the increment after '/' must be a positive integer")
    if base == "*":
        return
    start, dash, end = base.partition("-")
    spec.value(start)
    if dash:
        spec.value(end)
