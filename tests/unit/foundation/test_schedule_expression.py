"""AWS schedule expressions checked field by field (EventBridge / Application Auto Scaling syntax)."""

import pytest

from modelyard.stacks.schedule_expression import schedule_expression_problem


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 19 ? * MON-FRI *)",
        "cron(0/15 8-17 ? * 2-6 *)",
        "cron(0 10 L * ? *)",
        "cron(0 10 15W * ? 2027)",
        "cron(0 10 ? * 6L *)",
        "cron(0 10 ? * 3#2 *)",
        "cron(30 2 1,15 JAN,JUL ? 2026-2030)",
        "rate(1 minute)",
        "rate(7 days)",
        "at(2026-12-31T23:59:00)",
    ],
)
def test_valid_expressions(expression):
    assert schedule_expression_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 25 ? * MON-FRI *)", "hours '25' is not in 0-23"),
        ("cron(60 1 ? * MON *)", "minutes '60' is not in 0-59"),
        ("cron(0 1 32 * ? *)", "day-of-month '32' is not in 1-31"),
        ("cron(0 1 ? FOO MON *)", "month 'FOO' is not in 1-12 or JAN-DEC"),
        ("cron(0 1 ? * 8 *)", "day-of-week '8' is not in 1-7 or SUN-SAT"),
        ("cron(0 1 ? * MON 1969)", "year '1969' is not in 1970-2199"),
        ("cron(0 1 ? * 2#6 *)", "day-of-week '2#6': the week of the month after '#' is 1-5"),
        ("cron(0/0 1 ? * MON *)", "minutes '0/0': the increment after '/' must be a positive integer"),
        ("cron(? 1 * * ? *)", "minutes cannot be '?'"),
        ("cron(0 1 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 1 ? * MON-FRI)", "a cron expression has 6 fields"),
        ("rate(5 minute)", "the unit is singular for a value of 1 and plural otherwise"),
        ("rate(2 weeks)", "a rate is rate(<positive integer> minute(s)|hour(s)|day(s))"),
        ("at(2026-02-30T10:00:00)", "day is out of range for month"),
        ("every day", "is not a cron(), rate() or at() expression"),
    ],
)
def test_invalid_expressions_name_the_field(expression, problem):
    assert problem in schedule_expression_problem(expression)
