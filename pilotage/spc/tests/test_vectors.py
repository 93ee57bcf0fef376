"""Every published reference vector of NHSRplotthedots is reproduced within its tolerance.

The vectors live in shared/spc/vectors.json beside the repository. A missing file fails the
run: skipping would let the engine drift from the reference unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pilotage.spc import Series, analyse, analyse_many, assurance_type
from pilotage.spc.kernel import part_of_run, shift_ends, trend_ends, two_in_three_windows

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "spc" / "vectors.json"
if not VECTORS.exists():
    raise FileNotFoundError(f"reference vectors not found at {VECTORS}")
DATA = json.loads(VECTORS.read_text(encoding="utf-8"))

SERIES_OPTIONS = {"improvement_direction", "screen_outliers"}


def near(actual: float | None, expected: float, tolerance: float) -> bool:
    return actual is not None and abs(actual - expected) <= tolerance


@pytest.mark.parametrize("case", DATA["series_cases"], ids=lambda c: c["id"])
def test_series_case(case: dict[str, Any]) -> None:
    options = dict(case["options"])
    facets = options.pop("facets", None)
    assert set(options) <= SERIES_OPTIONS, f"unhandled options {set(options) - SERIES_OPTIONS}"
    expected = dict(case["expected"])
    tolerance = case["tolerance"]

    if facets is not None:
        # Facets are independent series: one batch, one series per facet.
        want_by_facet = expected.pop("facets")
        names = sorted(set(facets))
        values = case["values"]
        batch = analyse_many(
            [Series([v for v, f in zip(values, facets, strict=True) if f == n]) for n in names],
            **options,
        )
        for name, result in zip(names, batch, strict=True):
            want = want_by_facet[str(name)]
            assert set(want) <= {"mean", "lpl", "upl", "n", "short_group_warning"}
            (group,) = result.summary
            assert near(group.mean, want["mean"], tolerance)
            assert near(group.lpl, want["lpl"], tolerance)
            assert near(group.upl, want["upl"], tolerance)
            assert group.n == want["n"]
            assert all(p.short_group_warning == want["short_group_warning"] for p in result.points)
        assert not expected, f"unhandled expectations {set(expected)}"
        return

    result = analyse(case["values"], **options)
    points = result.points
    (group,) = result.summary
    for key in ("mean", "lpl", "upl"):
        if key in expected:
            assert near(getattr(group, key), expected.pop(key), tolerance), key
    if "special_cause_points" in expected:
        flagged = [i for i, p in enumerate(points, 1) if p.special_cause_type != "Common Cause"]
        assert flagged == expected.pop("special_cause_points")
    if "special_cause_types" in expected:
        for number, label in expected.pop("special_cause_types").items():
            assert points[int(number) - 1].special_cause_type == label
    if "point_types" in expected:
        for number, kind in expected.pop("point_types").items():
            assert points[int(number) - 1].point_type == kind
    if "relative_to_mean_first_15" in expected:
        want = expected.pop("relative_to_mean_first_15")
        assert [p.relative_to_mean for p in points[:15]] == want
    if "close_to_limits_any" in expected:
        assert any(p.close_to_limits for p in points) == expected.pop("close_to_limits_any")
    if "last_two_point_types" in expected:
        assert [p.point_type for p in points[-2:]] == expected.pop("last_two_point_types")
    assert not expected, f"unhandled expectations {set(expected)}"


ASSURANCE = [
    pytest.param(row, direction, id=f"assurance-row{i}-{direction}")
    for i, row in enumerate(DATA["assurance"]["rows"])
    for direction in ("increase", "decrease", "neutral")
]


@pytest.mark.parametrize(("row", "direction"), ASSURANCE)
def test_assurance_case(row: dict[str, Any], direction: str) -> None:
    target = DATA["assurance"]["target"]
    assert assurance_type(target, row["lpl"], row["upl"], direction) == row[direction]


RULES = [
    pytest.param(case, id=f"rule-{i}-{case['rule'].split(':')[0].split(' (')[0]}")
    for i, case in enumerate(DATA["rule_cases"]["cases"])
]


@pytest.mark.parametrize("case", RULES)
def test_rule_case(case: dict[str, Any]) -> None:
    case = dict(case)
    case.pop("rule")
    if "values" in case:
        values = np.array(case.pop("values"), dtype=float)
        ends = trend_ends(values, np.arange(len(values)))
        assert ends.tolist() == case.pop("flag_end_of_run")
    elif "close_to_limits" in case:
        close = np.array(case.pop("close_to_limits"), dtype=bool)
        relative = np.array(case.pop("relative_to_mean"), dtype=np.int8)
        windows = two_in_three_windows(close, relative, np.arange(len(close)))
        if "window_flag" in case:
            assert windows.astype(int).tolist() == case.pop("window_flag")
        if "points_flagged" in case:
            assert (windows & close).astype(int).tolist() == case.pop("points_flagged")
    else:
        relative = np.array(case.pop("relative_to_mean"), dtype=np.int8)
        shift = shift_ends(relative, np.arange(len(relative)))
        assert shift.astype(int).tolist() == case.pop("flag_end_of_run")
        if case.pop("then_every_point_of_the_run_is_part_of_the_shift", False):
            side = relative[shift][0]
            assert part_of_run(shift).tolist() == (relative == side).tolist()
    assert not case, f"unhandled keys {set(case)}"


def test_every_section_has_cases() -> None:
    assert DATA["series_cases"]
    assert DATA["assurance"]["rows"]
    assert DATA["rule_cases"]["cases"]
