"""Public entry points: check the input, run the vectorised kernel, give back plain records.

analyse() is analyse_many() on one series, so a single chart and a whole board go through the
same arithmetic and cannot disagree.
"""

from __future__ import annotations

import numbers
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import Any, NamedTuple

import numpy as np

from . import kernel
from .kernel import BoolArray, FloatArray, Int8Array, IntArray
from .results import (
    ASSURANCE_ICONS,
    POINT_TYPES,
    SPECIAL_CAUSE_TYPES,
    VARIATION_ICONS,
    GroupSummary,
    Icons,
    Point,
    SpcResult,
    When,
)

DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}
TWO_IN_THREE = ("reference", "nhse_2023")
MIN_FIX_AFTER = 12  # the reference refuses fixed baselines shorter than this

Number = float | int | Decimal
Values = Iterable[Number] | np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Series:
    """One series for analyse_many(): its values and what belongs to it alone.

    improvement_direction None takes the batch's default.
    """

    values: Values
    dates: Iterable[date] | None = None
    target: Number | None = None
    rebase_dates: Iterable[When] = ()
    improvement_direction: str | None = None


@dataclass(frozen=True, slots=True)
class _Options:
    """Options shared by every series of a batch, checked once."""

    screen_outliers: bool
    fix_after_n_points: int | None
    outside_counts_as_near: bool

    @classmethod
    def check(
        cls, screen_outliers: object, fix_after_n_points: object, two_in_three: object
    ) -> _Options:
        if not isinstance(screen_outliers, bool | np.bool_):
            raise ValueError(f"screen_outliers must be True or False, not {screen_outliers!r}")
        if fix_after_n_points is not None and (
            isinstance(fix_after_n_points, bool)
            or not isinstance(fix_after_n_points, numbers.Integral)
            or fix_after_n_points < MIN_FIX_AFTER
        ):
            raise ValueError(
                f"fix_after_n_points must be a whole number >= {MIN_FIX_AFTER} (or None), "
                f"not {fix_after_n_points!r}: fewer points cannot fix reliable limits"
            )
        if two_in_three not in TWO_IN_THREE:
            raise ValueError(f"two_in_three must be one of {TWO_IN_THREE}, not {two_in_three!r}")
        return cls(
            screen_outliers=bool(screen_outliers),
            fix_after_n_points=None if fix_after_n_points is None else int(fix_after_n_points),
            outside_counts_as_near=two_in_three == "nhse_2023",
        )


class _Prepared(NamedTuple):
    """A checked series in date order, with the positions where its rebase groups start."""

    values: FloatArray
    dates: tuple[date, ...] | None
    rebase_at: tuple[int, ...]
    target: float | None
    direction: str


def _check_direction(direction: object) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(
            f"improvement_direction must be one of {tuple(DIRECTIONS)}, not {direction!r}"
        )
    return str(direction)


def _is_number_type(kind: type) -> bool:
    if kind is float or kind is int:
        return True  # the common case, without the slow abstract-class check
    return not issubclass(kind, bool) and issubclass(kind, numbers.Real | Decimal)


def _check_values(values: Values) -> FloatArray:
    """Values as float64; anything but a number is refused with its position."""
    if isinstance(values, str | bytes):
        raise ValueError("values must be a sequence of numbers, not a string")
    seq = values if isinstance(values, list | tuple | np.ndarray) else list(values)
    array = np.asarray(seq)
    if array.ndim != 1:
        raise ValueError("values must be a flat sequence of numbers")
    if array.dtype.kind not in "iuf":
        # Decimal, Fraction, None, text...: let through only what is a real number.
        for i, value in enumerate(seq):
            if not _is_number_type(type(value)):
                raise ValueError(f"values[{i}] is {value!r}: every value must be a number")
    array = array.astype(np.float64, copy=False)  # _run concatenates: no aliasing
    if not len(array):
        raise ValueError("values is empty: a chart needs at least one point")
    return array


def _refuse_non_finite(values: Values) -> None:
    """Name the first value that is not finite (the batch checks all of them at once first).

    The reference lets NA through and then flags wrong points (NHSRplotthedots issue #156),
    so a missing period is the caller's decision to make (drop it or fill it), not ours.
    """
    seq = list(values)
    array = np.asarray(seq, dtype=np.float64)
    i = int(np.flatnonzero(~np.isfinite(array))[0])
    raise ValueError(
        f"values[{i}] is {seq[i]!r}: every value must be a finite number "
        "(drop the missing period or fill it)"
    )


def _reusable(values: Values) -> Values:
    """The values as something that can be read twice (again to name a value not finite)."""
    if isinstance(values, list | tuple | np.ndarray | str | bytes):
        return values
    return list(values)


class _NotFiniteError(Exception):
    """Raised by _run with the index of the first series holding a value that is not finite."""

    def __init__(self, series: int) -> None:
        self.series = series


def _as_datetime(when: date) -> datetime:
    return when if isinstance(when, datetime) else datetime.combine(when, time())


def _sort_dates(
    dates: Iterable[date], n: int, rebase: list[date]
) -> tuple[list[date], list[date], list[date], list[int] | None]:
    """The dates, their sort keys, the rebase keys and the stable date order (None if sorted).

    Dates and datetimes can be mixed: a date then stands for its midnight, as the reference
    converts everything to datetimes. Duplicates and non-dates are refused.
    """
    if isinstance(dates, str | bytes | date):
        raise ValueError("dates must be a sequence of dates, one per value")
    checked = dates if type(dates) is list else list(dates)
    if len(checked) != n:
        raise ValueError(f"dates has {len(checked)} items but values has {n}: give one per value")
    try:
        # Fast path: one kind of date, already increasing (a date and a datetime, or an aware
        # and a naive datetime, do not compare, so such a mix always takes the long way).
        if (
            isinstance(checked[0], date)
            and all(map(operator.lt, checked, islice(checked, 1, None)))
            and all(isinstance(r, datetime) == isinstance(checked[0], datetime) for r in rebase)
        ):
            return checked, checked, rebase, None
    except TypeError:
        pass
    kinds = set(map(type, checked))
    if not all(issubclass(kind, date) for kind in kinds):
        i, bad = next((i, d) for i, d in enumerate(checked) if not isinstance(d, date))
        raise ValueError(f"dates[{i}] is {bad!r}: dates must be datetime.date or datetime")
    kinds.update(map(type, rebase))
    keys: Sequence[date] = checked
    rebase_keys: Sequence[date] = rebase
    if len({issubclass(kind, datetime) for kind in kinds}) > 1:
        keys = [_as_datetime(d) for d in checked]
        rebase_keys = [_as_datetime(d) for d in rebase]
    try:
        order = sorted(range(n), key=keys.__getitem__)
    except TypeError:
        raise ValueError(
            "dates mix timezone-aware and naive datetimes, so they cannot be ordered"
        ) from None
    for a, b in zip(order, order[1:], strict=False):
        if keys[a] == keys[b]:
            raise ValueError(
                f"duplicate date {checked[a]} (dates[{a}] and dates[{b}]): "
                "each period must appear once"
            )
    return [checked[i] for i in order], [keys[i] for i in order], list(rebase_keys), order


def _rebase_positions(rebase: Sequence[date], keys: Sequence[date]) -> tuple[int, ...]:
    """Positions (in date order) where a rebase starts a new group; the first point is not one.

    The reference silently ignores a rebase date that is not a point's date; here it is an
    error, since a rebase is a recorded decision that would otherwise vanish from the chart.
    """
    positions = set()
    for when in rebase:
        i = bisect_left(keys, when)
        if i == len(keys) or keys[i] != when:
            raise ValueError(f"rebase date {when} matches no point's date")
        positions.add(i)
    positions.discard(0)
    return tuple(sorted(positions))


def _position(when: object, n: int) -> int:
    """A rebase given as a position, for a series without dates."""
    if isinstance(when, bool) or not isinstance(when, numbers.Integral) or not 0 <= int(when) < n:
        raise ValueError(
            f"rebase position {when!r} is not a position 0..{n - 1} "
            "(without dates, rebases are given as positions)"
        )
    return int(when)


def _prepare(series: Series, default_direction: str) -> _Prepared:
    direction = _check_direction(
        default_direction if series.improvement_direction is None else series.improvement_direction
    )
    values = _check_values(series.values)
    n = len(values)
    target = None if series.target is None else _check_target(series.target)
    rebase = series.rebase_dates
    if isinstance(rebase, str | bytes | date | int):
        raise ValueError("rebase_dates must be a sequence of dates (positions without dates)")
    if series.dates is None:
        starts = tuple(sorted({_position(when, n) for when in rebase} - {0}))
        return _Prepared(values, None, starts, target, direction)
    rebase_dates = []
    for when in rebase:
        if not isinstance(when, date):
            raise ValueError(f"rebase date {when!r} is not a date")
        rebase_dates.append(when)
    dates, keys, rebase_keys, order = _sort_dates(series.dates, n, rebase_dates)
    if order is not None:
        values = values[order]
    try:
        starts = _rebase_positions(rebase_keys, keys) if rebase_keys else ()
    except TypeError:
        raise ValueError("rebase dates and dates mix timezone-aware and naive datetimes") from None
    return _Prepared(values, tuple(dates), starts, target, direction)


def _check_target(target: object) -> float:
    if not _is_number_type(type(target)):
        raise ValueError(f"target must be a number or None, not {target!r}")
    value = float(target)  # type: ignore[arg-type]
    if not np.isfinite(value):
        raise ValueError(f"target must be a finite number, not {target!r}")
    return value


def assurance_type(
    target: float | None, lpl: float | None, upl: float | None, improvement_direction: str
) -> str | None:
    """Whether the current limits say the target will be met (ptd_calculate_assurance_type).

    A target on a limit, or limits that cannot be computed, give "inconsistent", as in the
    reference; no target or a neutral direction give None.
    """
    direction = DIRECTIONS[_check_direction(improvement_direction)]
    if target is None or direction == 0:
        return None
    if upl is not None and target > upl:
        return "consistent_fail" if direction > 0 else "consistent_pass"
    if lpl is not None and target < lpl:
        return "consistent_pass" if direction > 0 else "consistent_fail"
    return "inconsistent"


_VARIATION_ICONS = {
    (point_type, direction): icon
    for direction in DIRECTIONS
    for point_type, icon in {
        "common_cause": "common_cause",
        "special_cause_improvement": (
            "improvement_high" if direction == "increase" else "improvement_low"
        ),
        "special_cause_concern": "concern_low" if direction == "increase" else "concern_high",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
    }.items()
}


def variation_icon(point_type: str, improvement_direction: str) -> str:
    """The variation icon for the last point's type: high/low is the side the signal is on."""
    return _VARIATION_ICONS[point_type, improvement_direction]


def _or_none(x: float) -> float | None:
    return None if x != x else x


@dataclass(frozen=True, eq=False)
class SpcBatch:
    """The analysis of many series as flat arrays; index it for one series' SpcResult.

    Series i owns points offsets[i]:offsets[i + 1] and rebase groups
    group_offsets[i]:group_offsets[i + 1]; the points of a series fill its groups in order.
    Codes decode through SPECIAL_CAUSE_TYPES and POINT_TYPES. Limits are kept per group (NaN
    where a group has none) and point records are only built when a series is asked for,
    which keeps a board of thousands of indicators fast.
    """

    offsets: IntArray
    value: FloatArray
    outside_limits: BoolArray
    relative_to_mean: Int8Array
    close_to_limits: BoolArray
    special_cause_code: Int8Array
    point_type_code: Int8Array
    group_offsets: IntArray
    group_n: IntArray
    group_mean: FloatArray
    group_amr: FloatArray
    group_lpl: FloatArray
    group_upl: FloatArray
    dates: tuple[tuple[date, ...] | None, ...]
    targets: tuple[float | None, ...]
    directions: tuple[str, ...]
    icons: tuple[Icons, ...]

    def __len__(self) -> int:
        return len(self.icons)

    def __iter__(self) -> Iterator[SpcResult]:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, i: int) -> SpcResult:
        if not -len(self) <= i < len(self):
            raise IndexError(f"series {i} out of range")
        i %= len(self)
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        when: Sequence[When] = self.dates[i] or range(hi - lo)
        target, direction = self.targets[i], self.directions[i]
        g_lo, g_hi = int(self.group_offsets[i]), int(self.group_offsets[i + 1])
        points: list[Point] = []
        summary = []
        for g in range(g_lo, g_hi):
            n = int(self.group_n[g])
            mean = float(self.group_mean[g])
            lpl, upl = _or_none(float(self.group_lpl[g])), _or_none(float(self.group_upl[g]))
            short = n < kernel.TRIAL_BELOW
            start = lo + len(points)
            members = [
                Point(
                    date=when[k - lo],
                    value=value,
                    mean=mean,
                    lpl=lpl,
                    upl=upl,
                    outside_limits=outside,
                    relative_to_mean=relative,
                    close_to_limits=close,
                    special_cause_type=SPECIAL_CAUSE_TYPES[code],
                    point_type=POINT_TYPES[kind],
                    rebase_group=g - g_lo,
                    short_group_warning=short,
                    target=target,
                )
                for k, value, outside, relative, close, code, kind in zip(
                    range(start, start + n),
                    self.value[start : start + n].tolist(),
                    self.outside_limits[start : start + n].tolist(),
                    self.relative_to_mean[start : start + n].tolist(),
                    self.close_to_limits[start : start + n].tolist(),
                    self.special_cause_code[start : start + n].tolist(),
                    self.point_type_code[start : start + n].tolist(),
                    strict=True,
                )
            ]
            points.extend(members)
            counts = Counter(p.point_type for p in members)
            summary.append(
                GroupSummary(
                    rebase_group=g - g_lo,
                    first_date=members[0].date,
                    last_date=members[-1].date,
                    n=n,
                    mean=mean,
                    amr=_or_none(float(self.group_amr[g])),
                    lpl=lpl,
                    upl=upl,
                    short_group_warning=short,
                    variation_type=members[-1].point_type,
                    assurance_type=(
                        assurance_type(target, lpl, upl, direction) if g == g_hi - 1 else None
                    ),
                    common_cause=counts["common_cause"],
                    special_cause_improvement=counts["special_cause_improvement"],
                    special_cause_concern=counts["special_cause_concern"],
                    special_cause_neutral=counts["special_cause_neutral_high"]
                    + counts["special_cause_neutral_low"],
                )
            )
        return SpcResult(
            points=tuple(points),
            summary=tuple(summary),
            icons=self.icons[i],
            improvement_direction=direction,
            target=target,
        )


_ICONS = {
    (variation, assurance): Icons(variation, assurance)
    for variation in VARIATION_ICONS
    for assurance in (*ASSURANCE_ICONS, None)
}


def _icons(
    prepared: Sequence[_Prepared], last_type: Int8Array, limits: kernel.Limits, last_group: IntArray
) -> tuple[Icons, ...]:
    """Both icons of every series, from its last point and its last group's limits."""
    target = np.array([np.nan if p.target is None else p.target for p in prepared])
    direction = np.array([DIRECTIONS[p.direction] for p in prepared])
    above = target > limits.upl[last_group]  # NaN target or limits compare False:
    below = target < limits.lpl[last_group]  # inconsistent, as in the reference
    fail = np.where(direction > 0, above, below)
    meets = np.where(direction > 0, below, above)
    verdict = np.select([fail, meets], ["consistent_fail", "consistent_pass"], "inconsistent")
    none = np.isnan(target) | (direction == 0)
    return tuple(
        _ICONS[variation_icon(POINT_TYPES[t], p.direction), None if no else a]
        for p, t, a, no in zip(
            prepared, last_type.tolist(), verdict.tolist(), none.tolist(), strict=True
        )
    )


def _run(prepared: Sequence[_Prepared], options: _Options) -> SpcBatch:
    """Concatenate the series, run the kernel once and keep its arrays."""
    sizes = np.array([len(p.values) for p in prepared], dtype=np.intp)
    offsets = np.zeros(len(prepared) + 1, dtype=np.intp)
    np.cumsum(sizes, out=offsets[1:])
    y = np.concatenate([p.values for p in prepared]) if prepared else np.zeros(0)
    if not np.isfinite(y).all():
        first = int(np.flatnonzero(~np.isfinite(y))[0])
        raise _NotFiniteError(int(np.searchsorted(offsets, first, side="right")) - 1)
    is_start = np.zeros(len(y), dtype=bool)
    is_start[offsets[:-1]] = True
    is_start[
        [int(off) + r for p, off in zip(prepared, offsets, strict=False) for r in p.rebase_at]
    ] = True
    layout = kernel.Layout.from_starts(is_start)
    limits = kernel.group_limits(y, layout, options.fix_after_n_points, options.screen_outliers)
    flags = kernel.point_flags(y, layout, limits)
    codes = kernel.special_cause_codes(
        y,
        flags.relative_to_mean,
        flags.close_to_limits,
        flags.outside_limits,
        layout.position,
        options.outside_counts_as_near,
    )
    direction = np.repeat(
        np.array([DIRECTIONS[p.direction] for p in prepared], dtype=np.int8), sizes
    )
    types = kernel.point_type_codes(codes, direction)
    group_offsets = np.zeros(len(prepared) + 1, dtype=np.intp)
    np.cumsum([len(p.rebase_at) + 1 for p in prepared], out=group_offsets[1:])
    icons = _icons(prepared, types[offsets[1:] - 1], limits, group_offsets[1:] - 1)
    return SpcBatch(
        offsets=offsets,
        value=y,
        outside_limits=flags.outside_limits,
        relative_to_mean=flags.relative_to_mean,
        close_to_limits=flags.close_to_limits,
        special_cause_code=codes,
        point_type_code=types,
        group_offsets=group_offsets,
        group_n=layout.sizes(),
        group_mean=limits.mean,
        group_amr=limits.amr,
        group_lpl=limits.lpl,
        group_upl=limits.upl,
        dates=tuple(p.dates for p in prepared),
        targets=tuple(p.target for p in prepared),
        directions=tuple(p.direction for p in prepared),
        icons=icons,
    )


def analyse(
    values: Values,
    dates: Iterable[date] | None = None,
    *,
    improvement_direction: str = "increase",
    target: Number | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase_dates: Iterable[When] = (),
    two_in_three: str = "reference",
) -> SpcResult:
    """Analyse one series with the Making Data Count rules (see the package docstring).

    Without dates the points are positions 0..n-1 and rebases are given as positions.
    Raises ValueError naming the problem for any input the rules cannot use.
    """
    options = _Options.check(screen_outliers, fix_after_n_points, two_in_three)
    values = _reusable(values)
    series = Series(values, dates, target, rebase_dates, improvement_direction)
    try:
        return _run([_prepare(series, improvement_direction)], options)[0]
    except _NotFiniteError:
        _refuse_non_finite(values)
        raise


def analyse_many(
    series: Iterable[Series | Values],
    *,
    improvement_direction: str = "increase",
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    two_in_three: str = "reference",
) -> SpcBatch:
    """Analyse many series in one vectorised pass; same results as analyse() on each.

    A plain sequence of numbers is a Series with no dates; improvement_direction is the default
    for series that do not set their own. Errors name the series by its index.
    """
    options = _Options.check(screen_outliers, fix_after_n_points, two_in_three)
    _check_direction(improvement_direction)
    items = [s if isinstance(s, Series) else Series(s) for s in series]
    prepared = []
    for i, item in enumerate(items):
        values = _reusable(item.values)
        if values is not item.values:
            item = items[i] = replace(item, values=values)
        try:
            prepared.append(_prepare(item, improvement_direction))
        except ValueError as error:
            raise ValueError(f"series {i}: {error}") from None
    try:
        return _run(prepared, options)
    except _NotFiniteError as bad:
        try:
            _refuse_non_finite(items[bad.series].values)
        except ValueError as error:
            raise ValueError(f"series {bad.series}: {error}") from None
        raise
