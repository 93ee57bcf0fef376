"""Durations as a clock reads them (12:05, 1:02:03), for timers, minutes and measures."""

import datetime

from django import template

register = template.Library()


@register.filter
def clock(value: datetime.timedelta | int | float | None) -> str:
    """A duration or a number of seconds as m:ss or h:mm:ss ("" for None); negative values
    (over time) get a leading minus sign."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, datetime.timedelta) else value)
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes}:{seconds:02d}"
