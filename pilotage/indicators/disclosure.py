"""Which values of an indicator are hidden because they would show a small count (pure, no
Django).

Indicators flagged `hides_small_counts` (those computed from event logs) count children and
families: a board tile saying that 2 children waited in a team this week can point at them.
Their *count* is the value of a count, and the denominator of a rate, mean or duration (the
people or events it is computed over). For one indicator and one period:

* *Primary suppression*: a count from 1 to 4 (`THRESHOLD`, the analytics engine's) is hidden.
  Zero is shown: it discloses nothing about anyone.
* *Complementary suppression*: a unit's value is the sum of the values below it (a roll-up,
  `rollup.py`) or its own all-teams figure, whose difference from its sub-units' values is
  counts nobody sees (events of teams not linked to a unit, or of no team). Each unit with a
  value and the nearest units below it with a value form a *line*: total, parts and that
  remainder. While a line hides exactly one of them (the remainder counts as hidden when it
  is from 1 to 4), its smallest visible non-zero part is hidden too, else its total; a zero
  is never chosen (hiding a zero protects nothing, see `trajectories/analysis.py`), nor the
  remainder (a page elsewhere may show it). Hiding a total or a part closes another line, so
  the rule runs until nothing changes.

The whole unit tree of the indicator is worked out at once, so a unit's page and its sibling's
hide the same values; the result depends only on the stored values, never on who asks.

As for `analytics.suppress_counts`, this is the row-and-column heuristic of statistical
agencies: no hidden count is the difference of shown ones; narrower intervals derived across
many lines are not audited.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum

from pilotage.analytics.suppression import DEFAULT_THRESHOLD
from pilotage.indicators.rollup import StoredValue, roll_up

THRESHOLD = DEFAULT_THRESHOLD

#: Kinds whose values are ratios: their count is the denominator.
_RATIO_KINDS = frozenset({"rate", "mean", "duration"})


class Hidden(StrEnum):
    PRIMARY = "primary"  # a count from 1 to THRESHOLD - 1
    COMPLEMENT = "complement"  # hidden so that a total does not give a primary one back


def count_of(kind: str, value: float | None, denominator: float | None) -> float | None:
    """The count a value discloses: a count's value, a ratio's denominator (None: none)."""
    if kind == "count":
        return value
    if kind in _RATIO_KINDS:
        return denominator
    return None


def is_small(count: float, threshold: int = THRESHOLD) -> bool:
    return 0 < count < threshold


def _parent_path(path: str) -> str:
    """ "/1/4/9/" -> "/1/4/"; the root's parent is "/"."""
    return path[: path.rstrip("/").rfind("/") + 1]


def _ancestors_and_self(path: str) -> list[str]:
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def shown_counts(values: Iterable[StoredValue], kind: str) -> dict[datetime.date, dict[str, float]]:
    """Per period, the count each unit shows (by path): its own value's when it has values
    of its own, else its sub-units' rolled up (as `series.unit_series` reads them), for the
    units holding values and every unit above them."""
    if count_of(kind, 0, 0) is None:
        return {}  # a median or percentile: no count to hide
    stored = list(values)
    own = {v.unit_path for v in stored}
    counts: dict[datetime.date, dict[str, float]] = defaultdict(dict)
    for v in stored:
        count = count_of(kind, v.value, v.denominator)
        if count is not None:
            counts[v.period][v.unit_path] = count
    above = {node for path in own for node in _ancestors_and_self(path)} - own
    for node in sorted(above):
        below = [v for v in stored if v.unit_path.startswith(node)]
        for rolled in roll_up(below, kind):
            count = count_of(kind, rolled.value, rolled.denominator)
            if count is not None:
                counts[rolled.period][node] = count
    return counts


def protect(cells: Mapping[str, float], threshold: int = THRESHOLD) -> dict[str, Hidden]:
    """The hidden units of one period, from the count each unit shows (by path)."""
    parts: dict[str, list[str]] = defaultdict(list)
    for path in sorted(cells):
        # The nearest unit above with a value this period holds this one in its total.
        parent = _parent_path(path)
        while parent != "/" and parent not in cells:
            parent = _parent_path(parent)
        if parent in cells:
            parts[parent].append(path)
    lines = [
        (total, below, is_small(cells[total] - sum(cells[p] for p in below), threshold))
        for total, below in sorted(parts.items())
    ]
    hidden = {path for path, count in cells.items() if is_small(count, threshold)}
    primary = set(hidden)
    changed = True
    while changed:
        changed = False
        for total, below, small_remainder in lines:
            if (total in hidden) + sum(p in hidden for p in below) + small_remainder != 1:
                continue
            visible = [p for p in below if p not in hidden and cells[p] > 0]
            if visible:
                hidden.add(min(visible, key=lambda p: (cells[p], p)))
            elif total not in hidden and cells[total] > 0:
                hidden.add(total)
            else:
                continue  # nothing left to hide in this line
            changed = True
    return {path: Hidden.PRIMARY if path in primary else Hidden.COMPLEMENT for path in hidden}


def suppress(
    values: Iterable[StoredValue], kind: str, threshold: int = THRESHOLD
) -> dict[tuple[str, datetime.date], Hidden]:
    """Every hidden (unit path, period) of one indicator, from all its stored values."""
    hidden = {}
    for period, cells in shown_counts(values, kind).items():
        for path, why in protect(cells, threshold).items():
            hidden[(path, period)] = why
    return hidden
