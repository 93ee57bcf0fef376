"""Properties that hold for any series, checked on generated ones.

Values mix small integers (ties, points on the mean, runs) with arbitrary floats; series are
short so that every rule fires somewhere.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotage.spc import Series, analyse, analyse_many
from pilotage.spc.kernel import Layout, RMean

# No deadline: a loaded CI machine must not turn a slow example into a failure.
checked = settings(max_examples=60, deadline=None)

numbers = st.one_of(
    st.integers(-20, 20).map(float),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)
series_values = st.lists(numbers, min_size=1, max_size=60)
directions = st.sampled_from(["increase", "decrease", "neutral"])
targets = st.none() | st.floats(-50, 50, allow_nan=False)


@st.composite
def series(draw: st.DrawFn) -> Series:
    """A series without dates (positions), with rebases at some positions."""
    values = draw(series_values)
    rebase = draw(st.lists(st.integers(0, len(values) - 1), max_size=3))
    return Series(values, None, draw(targets), rebase, draw(directions))


def run(s: Series, **options: Any) -> Any:
    return analyse(
        s.values,
        s.dates,
        improvement_direction=s.improvement_direction or "increase",
        target=s.target,
        rebase_dates=s.rebase_dates,
        **options,
    )


@checked
@given(series(), st.booleans())
def test_limits_are_symmetric_about_the_mean(s: Series, screen: bool) -> None:
    for group in run(s, screen_outliers=screen).summary:
        assert (group.lpl is None) == (group.upl is None) == (group.amr is None)
        if group.upl is not None and group.lpl is not None:
            scale = 1e-12 * (1 + abs(group.mean) + abs(group.upl - group.lpl))
            assert math.isclose(group.upl - group.mean, group.mean - group.lpl, abs_tol=scale)
            assert group.lpl <= group.mean <= group.upl


@checked
@given(series(), st.sampled_from(["reference", "nhse_2023"]))
def test_a_point_outside_the_limits_is_always_labelled_outside(s: Series, rule: str) -> None:
    for p in run(s, two_in_three=rule).points:
        above = p.upl is not None and p.value > p.upl
        below = p.lpl is not None and p.value < p.lpl
        assert p.outside_limits == (above or below)
        assert p.special_cause_type == (
            "Above UCL" if above else "Below LCL" if below else p.special_cause_type
        )
        assert not (p.outside_limits and p.close_to_limits)
        assert (p.special_cause_type == "Common Cause") == (p.point_type == "common_cause")
        assert p.relative_to_mean == (p.value > p.mean) - (p.value < p.mean)


@checked
@given(st.lists(numbers, min_size=12, max_size=40), st.lists(numbers, max_size=20), st.data())
def test_with_a_fixed_baseline_appending_points_never_moves_the_limits(
    values: list[float], more: list[float], data: st.DataObject
) -> None:
    fix = data.draw(st.integers(12, len(values)))
    before = analyse(values, fix_after_n_points=fix)
    after = analyse(values + more, fix_after_n_points=fix)
    first, second = before.summary[0], after.summary[0]
    assert (first.mean, first.amr, first.lpl, first.upl) == (
        second.mean,
        second.amr,
        second.lpl,
        second.upl,
    )
    assert [(p.lpl, p.upl) for p in before.points] == [
        (p.lpl, p.upl) for p in after.points[: len(values)]
    ]


@checked
@given(
    st.lists(series(), min_size=1, max_size=6),
    st.booleans(),
    st.none() | st.integers(12, 30),
    st.sampled_from(["reference", "nhse_2023"]),
)
def test_batch_and_single_series_results_are_identical(
    many: list[Series], screen: bool, fix: int | None, rule: str
) -> None:
    options: dict[str, Any] = {
        "screen_outliers": screen,
        "fix_after_n_points": fix,
        "two_in_three": rule,
    }
    batch = analyse_many(many, **options)
    assert list(batch) == [run(s, **options) for s in many]


def _benchmark() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "spc.py"
    spec = importlib.util.spec_from_file_location("spc_benchmark", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


NAIVE = _benchmark().naive_analyse


@checked
@given(series(), st.booleans())
def test_the_engine_agrees_with_the_naive_loop_of_the_benchmark(s: Series, screen: bool) -> None:
    """The benchmark's loop-per-point transcription of the rules is an independent oracle."""
    values = list(s.values)
    positions = list(range(len(values)))
    expected = NAIVE(
        values, positions, s.target, list(s.rebase_dates), s.improvement_direction, screen
    )
    result = run(s, screen_outliers=screen)
    assert [p.special_cause_type for p in result.points] == expected.special_cause_type
    assert [p.point_type for p in result.points] == expected.point_type
    assert (result.icons.variation, result.icons.assurance) == (
        expected.variation,
        expected.assurance,
    )
    for p, lpl, upl in zip(result.points, expected.lpl, expected.upl, strict=True):
        assert same_limit(p.lpl, lpl) and same_limit(p.upl, upl)


def same_limit(engine: float | None, naive: float) -> bool:
    """The naive loop sums with math.fsum, R in long double: equal but for the last bits."""
    if engine is None:
        return math.isnan(naive)
    return math.isclose(engine, naive, rel_tol=1e-12, abs_tol=1e-9)


def r_mean_loop(values: list[float]) -> float:
    """R's mean() of doubles (summary.c), written out: long double, in order, refined once."""
    total = np.longdouble(0)
    for v in values:
        total += np.longdouble(v)
    mean = total / len(values)
    correction = np.longdouble(0)
    for v in values:
        correction += np.longdouble(v) - mean
    return float(mean + correction / len(values))


spread_numbers = st.builds(
    lambda m, e: m * 10.0**e, st.floats(-1, 1, allow_nan=False), st.integers(-8, 16)
)


@checked
@given(st.lists(st.lists(spread_numbers, min_size=1, max_size=40), min_size=1, max_size=5))
def test_group_means_are_r_means_to_the_bit(groups: list[list[float]]) -> None:
    is_start = np.zeros(sum(map(len, groups)), dtype=bool)
    is_start[np.cumsum([0] + [len(g) for g in groups[:-1]])] = True
    layout = Layout.from_starts(is_start)
    means = RMean(layout, max(map(len, groups)))(np.concatenate(groups))
    assert means.tolist() == [r_mean_loop(g) for g in groups]
