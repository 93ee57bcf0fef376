"""Vectorised XmR arithmetic and special-cause rules over many series at once.

Every series is concatenated into flat arrays. A point is addressed by its group (one rebase group
of one series) and its position inside that group, so each rule is a handful of whole-array
operations whatever the number of series, and no rule can see across a group boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

LIMIT = 2.66  # process limits: mean +/- 2.66 x AMR (3 sigma, 2.66 = 3 / 1.128)
LIMIT_CLOSE = 2 * (LIMIT / 3)  # the 2-sigma band, written as the reference writes it
SCREEN = 3.267  # a moving range >= 3.267 x AMR is an outlier (upper limit of the mR chart)
RUN = 7  # points in a trend or a shift
TRIAL_BELOW = 13  # a group with fewer points has trial limits
_GRID_CELLS = 1 << 19  # long doubles per block of r_mean (8 MiB)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]
Int8Array = NDArray[np.int8]

# Special-cause codes, in the order of SPECIAL_CAUSE_TYPES in results.py; odd codes are
# "above/increasing", even non-zero codes "below/decreasing".
COMMON, ABOVE_UCL, BELOW_LCL, TREND_UP, TREND_DOWN, TWO_ABOVE, TWO_BELOW, SHIFT_UP, SHIFT_DOWN = (
    range(9)
)
_CODE_SIDE = np.array([0, 1, -1, 1, -1, 1, -1, 1, -1], dtype=np.int8)
_I8 = np.arange(9, dtype=np.int8)  # int8 scalars, so that np.where keeps arrays one byte wide

# Point-type codes, in the order of POINT_TYPES in results.py.
COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL_HIGH, NEUTRAL_LOW = range(5)


@dataclass(frozen=True)
class Layout:
    """Where each point of the flat arrays sits: its group and its 0-based position in it."""

    group: IntArray
    position: IntArray
    n_groups: int

    @classmethod
    def from_starts(cls, is_start: BoolArray) -> Layout:
        """Build the layout from a mask marking the first point of every group."""
        group = np.cumsum(is_start, dtype=np.intp) - 1
        starts = np.flatnonzero(is_start)
        position = np.arange(len(is_start), dtype=np.intp) - starts[group]
        return cls(group=group, position=position, n_groups=len(starts))

    def sizes(self) -> IntArray:
        """Number of points in each group."""
        return np.bincount(self.group, minlength=self.n_groups).astype(np.intp)


class RMean:
    """Per-group means computed the way R's mean() computes them, bit for bit.

    R sums in long double, in order, then adds a refining pass (mean += sum(x - mean) / n)
    before rounding to double. Plain float64 means differ from R's in the last bit for most
    random series, and a point on a limit would then be judged differently. Each group is laid
    out as a column of a (position, group) grid and the grid is reduced row after row, which is
    R's order (numpy adds whole rows when they are wider than one element, hence a spare column;
    with a single column it would switch to pairwise summation). np.longdouble is the
    platform's C long double, as in R. The grid holds a block of groups at a time so that it
    stays small enough to be reused rather than mapped afresh for every series.
    """

    def __init__(self, layout: Layout, n_rows: int) -> None:
        """Plan the blocks for values at positions below n_rows."""
        width = max(1, min(layout.n_groups, _GRID_CELLS // max(n_rows, 1)))
        self.n_groups = layout.n_groups
        self.width = width
        self.grid = np.empty((max(n_rows, 1), width + 1), dtype=np.longdouble)
        self.mask = np.empty(self.grid.shape, dtype=bool)
        group_starts = np.searchsorted(layout.group, np.arange(layout.n_groups + 1))
        self.blocks = []
        for first in range(0, layout.n_groups, width):
            starts = group_starts[first : first + width + 1]
            lo, hi = int(starts[0]), int(starts[-1])
            cell = layout.position[lo:hi] * (width + 1) + (layout.group[lo:hi] - first)
            self.blocks.append((first, lo, hi, starts[:-1] - lo, cell))

    def __call__(self, x: FloatArray, include: BoolArray | None = None) -> FloatArray:
        """Mean of the included values of each group (all if None); NaN for none, as in R."""
        out = np.empty(self.n_groups)
        flat, flat_mask = self.grid.reshape(-1), self.mask.reshape(-1)
        for first, lo, hi, starts, cell in self.blocks:
            values = x[lo:hi]
            if include is None:
                n = np.diff(np.append(starts, hi - lo))
            else:
                keep = include[lo:hi]
                n = np.add.reduceat(keep, starts, dtype=np.intp)
                values, cell = values[keep], cell[keep]
            self.grid.fill(0)
            flat[cell] = values
            self.mask.fill(False)
            flat_mask[cell] = True
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = self.grid.sum(axis=0)[: len(n)] / n
                np.subtract(
                    self.grid[:, : len(n)],
                    mean,
                    out=self.grid[:, : len(n)],
                    where=self.mask[:, : len(n)],
                )
                mean += self.grid.sum(axis=0)[: len(n)] / n
            out[first : first + len(n)] = mean
        return out


@dataclass(frozen=True)
class Limits:
    """Per-group centre line and limits; NaN where the reference has no moving range to use."""

    mean: FloatArray
    amr: FloatArray
    lpl: FloatArray
    upl: FloatArray
    near_lower: FloatArray
    near_upper: FloatArray


def group_limits(
    y: FloatArray, layout: Layout, fix_after_n_points: int | None, screen_outliers: bool
) -> Limits:
    """Mean, average moving range and limits of every group from its baseline points."""
    position = layout.position
    longest = int(position.max(initial=0)) + 1
    if fix_after_n_points is None or fix_after_n_points >= longest:
        baseline = None
        r_mean = RMean(layout, longest)
    else:
        baseline = position < fix_after_n_points
        r_mean = RMean(layout, fix_after_n_points)
    mean = r_mean(y, baseline)
    mr = np.zeros(len(y))
    np.abs(np.diff(y), out=mr[1:])
    has_mr = position >= 1
    if baseline is not None:
        has_mr &= baseline
    amr = r_mean(mr, has_mr)
    if screen_outliers:
        amr = r_mean(mr, has_mr & (mr < SCREEN * amr[layout.group]))
    return Limits(
        mean=mean,
        amr=amr,
        lpl=mean - LIMIT * amr,
        upl=mean + LIMIT * amr,
        near_lower=mean - LIMIT_CLOSE * amr,
        near_upper=mean + LIMIT_CLOSE * amr,
    )


@dataclass(frozen=True)
class Flags:
    """Per point: beyond the limits, side of the mean, beyond the 2-sigma band (all strict)."""

    outside_limits: BoolArray
    relative_to_mean: Int8Array
    close_to_limits: BoolArray


def point_flags(y: FloatArray, layout: Layout, limits: Limits) -> Flags:
    """Compare each point with its group's lines (comparisons with NaN limits are False)."""
    line = np.empty(len(y))  # one buffer for every line: large temporaries are slow to map
    group = layout.group
    np.take(limits.upl, group, out=line)
    outside = y > line
    np.take(limits.lpl, group, out=line)
    outside |= y < line
    np.take(limits.mean, group, out=line)
    relative = (y > line).view(np.int8) - (y < line).view(np.int8)
    np.take(limits.near_upper, group, out=line)
    close = y > line
    np.take(limits.near_lower, group, out=line)
    close |= y < line
    close &= ~outside
    return Flags(outside_limits=outside, relative_to_mean=relative, close_to_limits=close)


def _window_sum(x: BoolArray | Int8Array, width: int) -> Int8Array:
    """Sum over each point and the width-1 points before it (clipped at the array start)."""
    x8: Int8Array = x.view(np.int8)
    out = x8.copy()
    for k in range(1, width):
        out[k:] += x8[:-k]
    return out


def _any_ahead(flags: BoolArray, width: int) -> BoolArray:
    """Whether a flag sits on each point or on one of the width-1 points after it.

    Used on run ends: a run end always lies in its own group, so the look-ahead never takes a
    flag from the next group.
    """
    out = flags.copy()
    for k in range(1, width):
        out[:-k] |= flags[k:]
    return out


def shift_ends(relative_to_mean: Int8Array, position: IntArray) -> BoolArray:
    """Points ending a run of 7 on one side of the mean (ptd_seven_point_one_side_mean)."""
    full = position >= RUN - 1
    above: BoolArray = _window_sum(relative_to_mean == 1, RUN) == RUN
    below: BoolArray = _window_sum(relative_to_mean == -1, RUN) == RUN
    return full & (above | below)


def steps(y: FloatArray, position: IntArray) -> Int8Array:
    """Sign of the move into each point from the previous one; 0 at a group's first point."""
    out = np.zeros(len(y), dtype=np.int8)
    out[1:] = (y[1:] > y[:-1]).view(np.int8)
    out[1:] -= (y[1:] < y[:-1]).view(np.int8)
    out[position == 0] = 0
    return out


def trend_ends(y: FloatArray, position: IntArray) -> Int8Array:
    """+1 / -1 where a point ends 7 points each strictly above / below the one before."""
    return _trend_ends(steps(y, position), position)


def _trend_ends(step: Int8Array, position: IntArray) -> Int8Array:
    full = position >= RUN - 1
    up: BoolArray = full & (_window_sum(step == 1, RUN - 1) == RUN - 1)
    down: BoolArray = full & (_window_sum(step == -1, RUN - 1) == RUN - 1)
    ends: Int8Array = up.view(np.int8) - down.view(np.int8)
    return ends


def part_of_run(ends: BoolArray) -> BoolArray:
    """Every point of a run of 7, given the points that end one (ptd_part_of_seven_trend)."""
    return _any_ahead(ends, RUN)


def trend_direction(y: FloatArray, position: IntArray) -> Int8Array:
    """Direction of travel of the trend each point belongs to, 0 outside any trend.

    A move belongs to a trend when it lies inside a run of 7. A point takes the direction of
    the move that leaves it when that move is in a trend, else of the move that reaches it, so
    the peak shared by a rise and a fall takes the fall (as the reference does).
    """
    step = steps(y, position)
    in_trend = _any_ahead(_trend_ends(step, position) != 0, RUN - 1)
    out = np.where(in_trend, step, _I8[0])
    leaving_in_trend = in_trend[1:]
    out[:-1][leaving_in_trend] = step[1:][leaving_in_trend]
    return out


def two_in_three_windows(
    near: BoolArray, relative_to_mean: Int8Array, position: IntArray
) -> BoolArray:
    """Points inside a window of 3 with at least 2 near points, all 3 on one side of the mean.

    This is the reference's ptd_two_in_three; only the near points of such a window are
    flagged (see special_cause_codes).
    """
    full = position >= 2
    enough = _window_sum(near, 3) >= 2
    one_side = np.abs(_window_sum(relative_to_mean, 3)) == 3
    return _any_ahead(full & enough & one_side, 3)


def _pick(condition: BoolArray, if_true: int, if_false: int) -> Int8Array:
    picked: Int8Array = np.where(condition, _I8[if_true], _I8[if_false])
    return picked


def special_cause_codes(
    y: FloatArray,
    relative_to_mean: Int8Array,
    close_to_limits: BoolArray,
    outside_limits: BoolArray,
    position: IntArray,
    outside_counts_as_near: bool,
) -> Int8Array:
    """The first rule each point matches: outside limits, trend, two in three, shift, none."""
    trend = trend_direction(y, position)
    near = close_to_limits | outside_limits if outside_counts_as_near else close_to_limits
    two = two_in_three_windows(near, relative_to_mean, position) & near
    shift = part_of_run(shift_ends(relative_to_mean, position))
    above = relative_to_mean > 0
    codes = _pick(above, SHIFT_UP, SHIFT_DOWN)
    codes[~shift] = COMMON
    # Lower-precedence labels first, each overwritten by the rules that come before it.
    np.copyto(codes, _pick(above, TWO_ABOVE, TWO_BELOW), where=two)
    np.copyto(codes, _pick(trend == 1, TREND_UP, TREND_DOWN), where=trend != 0)
    np.copyto(codes, _pick(above, ABOVE_UCL, BELOW_LCL), where=outside_limits)
    return codes


def point_type_codes(codes: Int8Array, direction: Int8Array) -> Int8Array:
    """Improvement, concern or neutral high/low from the side of the special cause."""
    side = _CODE_SIDE[codes]
    oriented = side * direction
    out = _pick(oriented > 0, IMPROVEMENT, COMMON_CAUSE)
    out[oriented < 0] = CONCERN
    neutral = direction == 0
    out[neutral & (side > 0)] = NEUTRAL_HIGH
    out[neutral & (side < 0)] = NEUTRAL_LOW
    return out
