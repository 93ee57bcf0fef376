"""Benchmark of the SPC engine against a naive pure-Python baseline, on the same data.

    .venv/bin/python benchmarks/spc.py [--series 10000] [--points 260]

A board recomputes every indicator's chart: 10,000 weekly series of five years each (seeded
random data with shifts, trends, spikes and ties; a target in half, a rebase in a third, all
three improvement directions). No published Python package implements the Making Data Count
rules of NHSRplotthedots (abspc, the closest, uses 8-point shifts, 6-point trends and no
outlier screening), so the peer is the naive pure-Python baseline below: a loop-per-point
transcription of the same rules, written for clarity, not part of the package. Both are checked
to agree before timing; the last line printed is the headline figure.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pilotage.spc import POINT_TYPES, SPECIAL_CAUSE_TYPES, Series, analyse_many  # noqa: E402
from pilotage.spc.engine import assurance_type, variation_icon  # noqa: E402

DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}


@dataclass(frozen=True)
class NaiveResult:
    """What the naive baseline computes for one series, point by point."""

    lpl: list[float]
    upl: list[float]
    special_cause_type: list[str]
    point_type: list[str]
    variation: str
    assurance: str | None


def naive_analyse(
    values: list[float],
    dates: list[date],
    target: float | None,
    rebase_dates: list[date],
    improvement_direction: str,
    screen_outliers: bool = True,
) -> NaiveResult:
    """Naive pure-Python baseline: the same rules, one point at a time (not the package)."""
    order = sorted(range(len(values)), key=dates.__getitem__)
    ys = [float(values[i]) for i in order]
    index = {dates[i]: k for k, i in enumerate(order)}
    starts = sorted({0} | {index[d] for d in rebase_dates})
    bounds = list(zip(starts, [*starts[1:], len(ys)], strict=True))
    lpl: list[float] = []
    upl: list[float] = []
    labels: list[str] = []
    for lo, hi in bounds:
        group = ys[lo:hi]
        mean = _mean(group)
        mrs = [abs(group[i] - group[i - 1]) for i in range(1, len(group))]
        amr = _mean(mrs)
        if screen_outliers:
            amr = _mean([m for m in mrs if m < 3.267 * amr])
        low, high = mean - 2.66 * amr, mean + 2.66 * amr
        near_low, near_high = mean - 2 * (2.66 / 3) * amr, mean + 2 * (2.66 / 3) * amr
        outside = [y > high or y < low for y in group]
        rtm = [(y > mean) - (y < mean) for y in group]
        close = [
            not out and (y < near_low or y > near_high)
            for y, out in zip(group, outside, strict=True)
        ]
        labels.extend(_naive_labels(group, rtm, close, outside))
        lpl.extend([low] * len(group))
        upl.extend([high] * len(group))
    direction = DIRECTIONS[improvement_direction]
    types = []
    for label in labels:
        side = 1 if ("Above" in label or "Increasing" in label) else -1
        if label == "Common Cause":
            types.append("common_cause")
        elif direction == 0:
            types.append("special_cause_neutral_high" if side > 0 else "special_cause_neutral_low")
        elif side == direction:
            types.append("special_cause_improvement")
        else:
            types.append("special_cause_concern")
    last_lpl = None if math.isnan(lpl[-1]) else lpl[-1]
    last_upl = None if math.isnan(upl[-1]) else upl[-1]
    return NaiveResult(
        lpl=lpl,
        upl=upl,
        special_cause_type=labels,
        point_type=types,
        variation=variation_icon(types[-1], improvement_direction),
        assurance=assurance_type(target, last_lpl, last_upl, improvement_direction),
    )


def _mean(xs: list[float]) -> float:
    """R's two-pass mean in double precision (R sums in long double: equal but for rare ulps)."""
    if not xs:
        return math.nan
    mean = math.fsum(xs) / len(xs)
    return mean + math.fsum(x - mean for x in xs) / len(xs)


def _naive_labels(
    ys: list[float], rtm: list[int], close: list[bool], outside: list[bool]
) -> list[str]:
    n = len(ys)
    step = [0] + [(ys[i] > ys[i - 1]) - (ys[i] < ys[i - 1]) for i in range(1, n)]
    edge_in_trend = [False] * n  # the move into point i lies in a run of 7
    shift = [False] * n
    for end in range(6, n):
        window = step[end - 5 : end + 1]
        if all(s == 1 for s in window) or all(s == -1 for s in window):
            for i in range(end - 5, end + 1):
                edge_in_trend[i] = True
        if rtm[end] != 0 and all(rtm[end - k] == rtm[end] for k in range(1, 7)):
            for i in range(end - 6, end + 1):
                shift[i] = True
    two = [False] * n
    for start in range(n - 2):
        if sum(close[start : start + 3]) >= 2 and abs(sum(rtm[start : start + 3])) == 3:
            for i in range(start, start + 3):
                two[i] = two[i] or close[i]
    labels = []
    for i in range(n):
        above = rtm[i] > 0
        leaving = i + 1 < n and edge_in_trend[i + 1]
        if outside[i]:
            labels.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif leaving or edge_in_trend[i]:
            rising = (step[i + 1] if leaving else step[i]) == 1
            labels.append(f"7 Point Trend ({'Increasing' if rising else 'Decreasing'})")
        elif two[i]:
            labels.append(f"2 in 3 {'Above' if above else 'Below'} CL")
        elif shift[i]:
            labels.append(f"7 Points {'Above' if above else 'Below'} CL")
        else:
            labels.append("Common Cause")
    return labels


def make_series(n_series: int, n_points: int, seed: int = 20240101) -> list[Series]:
    """Seeded weekly series with the features the rules look for."""
    rng = np.random.default_rng(seed)
    weeks = [(date(2020, 1, 6) + timedelta(weeks=k)).toordinal() for k in range(n_points)]
    directions = list(DIRECTIONS)
    out = []
    for i in range(n_series):
        dates = [date.fromordinal(w) for w in weeks]  # fresh objects, as read from a database
        level, noise = rng.uniform(50, 150), rng.uniform(1, 10)
        y = level + noise * rng.standard_normal(n_points)
        if rng.random() < 0.3:
            y[rng.integers(n_points) :] += rng.choice([-1, 1]) * 2 * noise
        if rng.random() < 0.2:
            at = rng.integers(n_points - 10)
            y[at : at + 10] += np.arange(10) * noise
        if rng.random() < 0.2:
            y[rng.integers(n_points, size=3)] += 8 * noise
        if rng.random() < 0.5:
            y = np.round(y)
        rebase = [dates[rng.integers(52, n_points - 52)]] if rng.random() < 1 / 3 else []
        target = float(level + rng.normal(0, 3 * noise)) if rng.random() < 0.5 else None
        out.append(
            Series(
                values=y.tolist(),
                dates=dates,
                target=target,
                rebase_dates=rebase,
                improvement_direction=directions[i % 3],
            )
        )
    return out


def run_naive(series: list[Series]) -> list[NaiveResult]:
    return [
        naive_analyse(
            list(s.values),  # type: ignore[arg-type]
            list(s.dates or []),
            None if s.target is None else float(s.target),
            list(s.rebase_dates),  # type: ignore[arg-type]
            s.improvement_direction or "increase",
        )
        for s in series
    ]


def check_agreement(series: list[Series], naive: list[NaiveResult]) -> None:
    """Fail loudly unless both implementations say the same thing about every point."""
    batch = analyse_many(series)
    for i, expected in enumerate(naive):
        lo, hi = batch.offsets[i], batch.offsets[i + 1]
        groups = slice(batch.group_offsets[i], batch.group_offsets[i + 1])
        lpl = np.repeat(batch.group_lpl[groups], batch.group_n[groups])
        upl = np.repeat(batch.group_upl[groups], batch.group_n[groups])
        labels = [SPECIAL_CAUSE_TYPES[c] for c in batch.special_cause_code[lo:hi]]
        types = [POINT_TYPES[c] for c in batch.point_type_code[lo:hi]]
        icons = batch.icons[i]
        same = (
            labels == expected.special_cause_type
            and types == expected.point_type
            and np.allclose(lpl, expected.lpl, rtol=1e-12, equal_nan=True)
            and np.allclose(upl, expected.upl, rtol=1e-12, equal_nan=True)
            and (icons.variation, icons.assurance) == (expected.variation, expected.assurance)
        )
        if not same:
            raise SystemExit(f"series {i}: the engine and the naive baseline disagree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=260)
    args = parser.parse_args()
    series = make_series(args.series, args.points)
    sample = series[: min(len(series), 1000)]
    check_agreement(sample, run_naive(sample))
    print(f"agreement checked on {len(sample)} series (limits, labels, point types, icons)")

    start = time.perf_counter()
    batch = analyse_many(series)
    engine_s = time.perf_counter() - start
    start = time.perf_counter()
    naive = run_naive(series)
    naive_s = time.perf_counter() - start
    check_agreement(series, naive)
    special = int((batch.special_cause_code != 0).sum())
    print(f"all {len(series)} series agree; {special} special-cause points")
    print(f"engine (pilotage.spc.analyse_many): {engine_s:.2f} s")
    print(f"peer (naive pure-Python baseline): {naive_s:.1f} s, x{naive_s / engine_s:.0f} slower")
    print(
        f"spc: {len(series)} series x {args.points} points in {engine_s:.2f} s "
        f"(peer: {naive_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
