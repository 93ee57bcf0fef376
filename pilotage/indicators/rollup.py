"""Rolling values of sub-units up to a parent unit (pure, no Django).

Counts add up. Rates, means and durations add their numerators and denominators and divide
once: averaging the sub-units' rates would weigh a team of 3 like a team of 300. Medians and
percentiles cannot be made from the sub-units' medians; they roll up only when recomputed from
the source records, which is the trajectory engine's job, never this module's.

A unit whose own value is stored covers its sub-tree: values stored further down that branch
are not counted again.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredValue:
    unit_path: str
    period: datetime.date
    value: float
    numerator: float | None
    denominator: float | None


@dataclass(frozen=True)
class RolledValue:
    period: datetime.date
    value: float
    numerator: float | None
    denominator: float | None
    units: int  # how many sub-units contributed


class NotRollable(ValueError):
    """This kind of indicator cannot be rolled up from sub-units' values."""


def roll_up(values: Iterable[StoredValue], kind: str, factor: float = 1.0) -> list[RolledValue]:
    """Aggregate sub-units' stored values per period, without counting any branch twice."""
    if kind in {"median", "percentile"}:
        raise NotRollable(kind)
    by_period: dict[datetime.date, list[StoredValue]] = defaultdict(list)
    for v in values:
        by_period[v.period].append(v)
    result = []
    for period in sorted(by_period):
        # Keep the topmost stored value of each branch (paths sort parents first).
        kept: list[StoredValue] = []
        for v in sorted(by_period[period], key=lambda v: v.unit_path):
            if not any(v.unit_path.startswith(k.unit_path) for k in kept):
                kept.append(v)
        if kind == "count":
            total = sum(v.value for v in kept)
            result.append(RolledValue(period, total, None, None, len(kept)))
            continue
        if any(v.numerator is None or v.denominator is None for v in kept):
            # Without every numerator and denominator the ratio would be wrong: skip the period.
            continue
        numerator = sum(v.numerator for v in kept)  # type: ignore[misc]
        denominator = sum(v.denominator for v in kept)  # type: ignore[misc]
        if denominator <= 0:
            continue
        scale = factor if kind == "rate" else 1.0
        result.append(
            RolledValue(period, numerator / denominator * scale, numerator, denominator, len(kept))
        )
    return result
