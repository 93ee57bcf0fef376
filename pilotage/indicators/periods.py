"""Reporting periods: a period is named by its first day (pure helpers, no Django)."""

import datetime


def period_start(day: datetime.date, frequency: str) -> datetime.date:
    """The first day of the period holding `day`: Monday, first of the month or quarter."""
    if frequency == "weekly":
        return day - datetime.timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    if frequency == "quarterly":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    raise ValueError(f"unknown frequency {frequency!r}")


def is_period_start(day: datetime.date, frequency: str) -> bool:
    return period_start(day, frequency) == day


def next_period(day: datetime.date, frequency: str) -> datetime.date:
    if frequency == "weekly":
        return day + datetime.timedelta(days=7)
    months = 1 if frequency == "monthly" else 3
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)
