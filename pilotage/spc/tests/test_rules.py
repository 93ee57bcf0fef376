"""Edge cases of the rules and refusals of bad input, one behaviour per test.

Most series start with BASE, a fixed baseline of 12 points (mean 5, AMR 10, limits -21.6 and
31.6, 2-sigma band -12.73 to 22.73) ending below the mean, so that the points after it can be
placed exactly where a rule looks.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from pilotage.spc import Series, SpcResult, analyse, analyse_many

BASE = [10.0, 0.0] * 6
DAY = date(2024, 1, 1)


def weeks(n: int) -> list[date]:
    return [DAY + timedelta(weeks=k) for k in range(n)]


def after_base(tail: list[float], **options: object) -> SpcResult:
    return analyse(BASE + tail, fix_after_n_points=12, **options)  # type: ignore[arg-type]


def tail_labels(tail: list[float], **options: object) -> list[str]:
    return [p.special_cause_type for p in after_base(tail, **options).points[12:]]


def test_base_has_the_documented_limits() -> None:
    (group,) = after_base([]).summary
    assert (group.mean, group.amr) == (5.0, 10.0)
    assert all(p.special_cause_type == "Common Cause" for p in after_base([]).points)


def test_limits_are_the_reference_expressions_to_the_bit() -> None:
    result = analyse([3.1, 4.7, 2.2, 5.9, 4.4, 3.3, 6.1, 2.8, 4.0, 5.2, 3.7, 4.9, 4.1])
    (group,) = result.summary
    assert group.amr is not None
    assert group.upl == group.mean + 2.66 * group.amr
    assert group.lpl == group.mean - 2.66 * group.amr


def test_a_point_exactly_on_a_limit_is_inside() -> None:
    upl, lpl = after_base([]).summary[0].upl, after_base([]).summary[0].lpl
    assert upl is not None and lpl is not None
    on_upper, on_lower = after_base([upl]).points[-1], after_base([lpl]).points[-1]
    assert not on_upper.outside_limits and not on_lower.outside_limits
    beyond = after_base([math.nextafter(upl, math.inf)]).points[-1]
    assert beyond.outside_limits and beyond.special_cause_type == "Above UCL"
    below = after_base([math.nextafter(lpl, -math.inf)]).points[-1]
    assert below.special_cause_type == "Below LCL"


def test_the_two_sigma_band_is_strict_and_written_as_the_reference() -> None:
    near_upper = 5.0 + (2 * (2.66 / 3)) * 10.0
    assert not after_base([near_upper]).points[-1].close_to_limits
    assert after_base([math.nextafter(near_upper, math.inf)]).points[-1].close_to_limits


def test_a_point_on_the_mean_is_zero_and_breaks_a_shift() -> None:
    broken = after_base([6.0] * 6 + [5.0] + [6.0] * 6)
    assert broken.points[18].relative_to_mean == 0
    assert all(p.special_cause_type == "Common Cause" for p in broken.points)
    assert tail_labels([6.0] * 7) == ["7 Points Above CL"] * 7


def test_shift_below_the_mean() -> None:
    assert tail_labels([4.0] * 7)[-1] == "7 Points Below CL"


def test_a_tie_breaks_a_trend() -> None:
    assert set(tail_labels([1, 2, 3, 3, 4, 5, 6])) == {"Common Cause"}


def test_trends_carry_their_direction_and_point_type() -> None:
    rising = after_base([1, 2, 3, 4, 5, 6])
    assert [p.special_cause_type for p in rising.points[11:]] == ["7 Point Trend (Increasing)"] * 7
    assert rising.points[-1].point_type == "special_cause_improvement"
    falling = after_base([9, 8, 7, 6, 5.5, 4, 3], improvement_direction="increase")
    assert falling.points[-1].special_cause_type == "7 Point Trend (Decreasing)"
    assert falling.points[-1].point_type == "special_cause_concern"


def test_a_peak_shared_by_a_rise_and_a_fall_takes_the_fall() -> None:
    labels = tail_labels([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1])
    assert labels[6] == "7 Point Trend (Decreasing)"


def test_a_point_ending_one_trend_keeps_its_direction_when_the_next_starts() -> None:
    # The reference labels value 7 "Decreasing" here (it reads the move to the next point);
    # the README says the label follows the direction of travel of the run.
    tied = tail_labels([1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13], screen_outliers=False)
    assert set(tied) == {"7 Point Trend (Increasing)"}
    dropped = tail_labels([1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6])
    assert dropped[6] == "7 Point Trend (Increasing)"


def test_precedence_outside_then_trend_then_two_in_three_then_shift() -> None:
    assert set(tail_labels([6, 7, 8, 9, 10, 11, 12])) == {"7 Point Trend (Increasing)"}
    assert tail_labels([6, 6, 25, 25, 6, 6, 6]) == [
        "7 Points Above CL",
        "7 Points Above CL",
        "2 in 3 Above CL",
        "2 in 3 Above CL",
        "7 Points Above CL",
        "7 Points Above CL",
        "7 Points Above CL",
    ]
    assert tail_labels([6, 6, 40, 6, 6, 6, 6])[2] == "Above UCL"


def test_two_in_three_needs_one_side_and_only_flags_the_near_points() -> None:
    assert tail_labels([6, 25, -15, 6]) == ["Common Cause"] * 4
    assert tail_labels([6, 25, 6, 25, 6]) == [
        "Common Cause",
        "2 in 3 Above CL",
        "Common Cause",
        "2 in 3 Above CL",
        "Common Cause",
    ]


def test_two_in_three_option_counts_points_beyond_the_limits() -> None:
    assert tail_labels([6, 40, 25, 6]) == ["Common Cause", "Above UCL", "Common Cause"] + [
        "Common Cause"
    ]
    assert tail_labels([6, 40, 25, 6], two_in_three="nhse_2023") == [
        "Common Cause",
        "Above UCL",
        "2 in 3 Above CL",
        "Common Cause",
    ]


def test_point_types_follow_the_improvement_direction() -> None:
    def last_type(value: float, direction: str) -> str:
        return after_base([value], improvement_direction=direction).points[-1].point_type

    assert last_type(40, "increase") == "special_cause_improvement"
    assert last_type(40, "decrease") == "special_cause_concern"
    assert last_type(40, "neutral") == "special_cause_neutral_high"
    assert last_type(-30, "neutral") == "special_cause_neutral_low"


@pytest.mark.parametrize(
    ("value", "direction", "icon"),
    [
        (40, "increase", "improvement_high"),
        (-30, "increase", "concern_low"),
        (-30, "decrease", "improvement_low"),
        (40, "decrease", "concern_high"),
        (40, "neutral", "neutral_high"),
        (-30, "neutral", "neutral_low"),
        (6, "increase", "common_cause"),
    ],
)
def test_variation_icon_is_the_last_point(value: float, direction: str, icon: str) -> None:
    assert after_base([value], improvement_direction=direction).icons.variation == icon


def test_assurance_uses_the_last_group_and_needs_a_target_and_a_direction() -> None:
    values = [10.0, 0.0] * 7 + [110.0, 100.0] * 7
    dates = weeks(len(values))
    rebased = analyse(values, dates, target=50, rebase_dates=[dates[14]])
    assert rebased.icons.assurance == "consistent_pass"
    assert [g.assurance_type for g in rebased.summary] == [None, "consistent_pass"]
    assert analyse(values, dates, target=50).icons.assurance == "inconsistent"
    assert analyse(values, dates).icons.assurance is None
    assert (
        analyse(values, dates, target=50, improvement_direction="neutral").icons.assurance is None
    )
    assert all(p.target == 50 for p in rebased.points)


def test_rebase_groups_have_their_own_limits_and_runs_do_not_cross_them() -> None:
    first = [10.0, 0.0] * 6 + [9.0] * 4
    second = [12.0] * 3 + [0.0, 20.0] * 6
    dates = weeks(len(first) + len(second))
    result = analyse(first + second, dates, rebase_dates=[dates[len(first)]])
    assert [g.n for g in result.summary] == [16, 15]
    assert [g.mean for g in result.summary] == [6.0, 10.4]
    assert (result.summary[1].first_date, result.summary[1].last_date) == (dates[16], dates[-1])
    assert [p.rebase_group for p in result.points] == [0] * 16 + [1] * 15
    assert all(p.special_cause_type == "Common Cause" for p in result.points)


def test_rebase_on_the_first_date_changes_nothing() -> None:
    dates = weeks(20)
    values = [float(v % 7) for v in range(20)]
    assert analyse(values, dates, rebase_dates=[dates[0]]) == analyse(values, dates)


def test_rebase_without_dates_uses_positions() -> None:
    result = analyse([1.0, 2.0, 3.0, 10.0, 11.0, 12.0], rebase_dates=[3])
    assert [g.mean for g in result.summary] == [2.0, 11.0]
    assert [p.date for p in result.points] == list(range(6))


def test_fixed_baseline_is_applied_per_group() -> None:
    first, second = [float(v) for v in range(15)], [float(v * v) for v in range(15)]
    dates = weeks(30)
    fixed = analyse(first + second, dates, fix_after_n_points=12, rebase_dates=[dates[15]])
    alone = [analyse(first[:12]).summary[0], analyse(second[:12]).summary[0]]
    for group, reference in zip(fixed.summary, alone, strict=True):
        assert (group.mean, group.lpl, group.upl) == (reference.mean, reference.lpl, reference.upl)


def test_short_groups_have_trial_limits() -> None:
    assert all(p.short_group_warning for p in analyse([1.0, 2.0] * 6).points)
    assert not any(p.short_group_warning for p in analyse([1.0, 2.0] * 6 + [1.0]).points)
    assert analyse([1.0, 2.0] * 6).summary[0].short_group_warning


def test_constant_series_follows_the_reference() -> None:
    # Every moving range is 0, and 0 < 3.267 x 0 is false: screening drops them all and the
    # reference is left without limits; without screening the limits sit on the mean.
    screened = analyse([5.0] * 20, target=6)
    assert (screened.summary[0].lpl, screened.summary[0].upl, screened.summary[0].amr) == (
        None,
        None,
        None,
    )
    assert all(p.point_type == "common_cause" and p.relative_to_mean == 0 for p in screened.points)
    assert screened.icons.assurance == "inconsistent"
    plain = analyse([5.0] * 20, screen_outliers=False)
    assert (plain.summary[0].lpl, plain.summary[0].upl) == (5.0, 5.0)
    assert all(p.special_cause_type == "Common Cause" for p in plain.points)


def test_single_point() -> None:
    result = analyse([3.0], target=2)
    (point,) = result.points
    assert (point.mean, point.lpl, point.upl, point.relative_to_mean) == (3.0, None, None, 0)
    assert point.short_group_warning and point.special_cause_type == "Common Cause"
    assert result.icons.variation == "common_cause"
    assert result.icons.assurance == "inconsistent"


def test_dates_are_sorted_and_values_follow() -> None:
    dates = weeks(4)
    result = analyse([4.0, 1.0, 3.0, 2.0], [dates[3], dates[0], dates[2], dates[1]])
    assert [p.date for p in result.points] == dates
    assert [p.value for p in result.points] == [1.0, 2.0, 3.0, 4.0]


def test_dates_and_datetimes_mix_a_date_being_its_midnight() -> None:
    dates: list[date] = [date(2024, 1, 1), datetime(2024, 1, 8, 9), date(2024, 1, 15)]
    assert [p.date for p in analyse([1.0, 2.0, 3.0], dates).points] == dates
    with pytest.raises(ValueError, match="duplicate date"):
        analyse([1.0, 2.0], [date(2024, 1, 1), datetime(2024, 1, 1)])


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            [DAY, DAY + timedelta(1), DAY],
            r"duplicate date 2024-01-01 \(dates\[0\] and dates\[2\]\)",
        ),
        ([DAY, "2024-01-02", DAY + timedelta(2)], r"dates\[1\] is '2024-01-02'"),
        ([DAY, DAY + timedelta(1)], "dates has 2 items but values has 3"),
        (
            [datetime(2024, 1, 1), datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 3)],
            "timezone-aware and naive",
        ),
        ("2024-01-01", "dates must be a sequence"),
    ],
)
def test_bad_dates_are_refused(dates: list[date], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse([1.0, 2.0, 3.0], dates)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1.0, float("nan"), 2.0], r"values\[1\] is nan: every value must be a finite number"),
        ([1.0, None, 2.0], r"values\[1\] is None: every value must be a number"),
        ([1.0, float("inf")], r"values\[1\] is inf"),
        ([1.0, "2"], r"values\[1\] is '2'"),
        ([], "values is empty"),
        ("123", "not a string"),
        ([[1.0, 2.0]], "flat sequence"),
    ],
)
def test_bad_values_are_refused(values: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(values)  # type: ignore[arg-type]


def test_any_sequence_of_numbers_is_accepted() -> None:
    floats = analyse([1.5, 2.0, 2.5, 3.0])
    assert analyse([Decimal("1.5"), 2, Decimal("2.5"), 3]) == floats
    assert analyse(np.array([1.5, 2.0, 2.5, 3.0])) == floats
    assert analyse(v / 2 for v in (3, 4, 5, 6)) == floats


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"improvement_direction": "up"}, "improvement_direction must be one of"),
        ({"two_in_three": "nhs"}, "two_in_three must be one of"),
        ({"screen_outliers": "yes"}, "screen_outliers must be True or False"),
        ({"fix_after_n_points": 11}, "fix_after_n_points must be a whole number >= 12"),
        ({"fix_after_n_points": 12.0}, "fix_after_n_points must be a whole number >= 12"),
        ({"fix_after_n_points": True}, "fix_after_n_points must be a whole number >= 12"),
        ({"target": float("nan")}, "target must be a finite number"),
        ({"target": "5"}, "target must be a number or None"),
        ({"rebase_dates": [DAY + timedelta(3)]}, "rebase date 2024-01-04 matches no point"),
        ({"rebase_dates": DAY}, "rebase_dates must be a sequence"),
        ({"rebase_dates": [1]}, "rebase date 1 is not a date"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse([1.0, 2.0, 3.0], weeks(3), **options)  # type: ignore[arg-type]


def test_rebase_positions_without_dates_are_checked() -> None:
    with pytest.raises(ValueError, match="rebase position 5 is not a position 0..2"):
        analyse([1.0, 2.0, 3.0], rebase_dates=[5])


def test_batch_errors_name_the_series() -> None:
    with pytest.raises(ValueError, match=r"series 1: values\[0\] is nan"):
        analyse_many([[1.0], [float("nan")]])
    with pytest.raises(ValueError, match="improvement_direction must be one of"):
        analyse_many([[1.0]], improvement_direction="sideways")


def test_batch_indexing() -> None:
    batch = analyse_many([[1.0, 2.0], [3.0]])
    assert len(batch) == 2
    assert batch[-1] == batch[1] == analyse([3.0])
    assert [r.points[0].value for r in batch] == [1.0, 3.0]
    with pytest.raises(IndexError):
        batch[2]
    assert len(analyse_many([])) == 0


def test_a_value_that_is_not_finite_is_named_even_in_a_generator() -> None:
    with pytest.raises(ValueError, match=r"values\[2\] is nan"):
        analyse(v for v in (1.0, 2.0, float("nan")))
    with pytest.raises(ValueError, match=r"series 0: values\[1\] is inf"):
        analyse_many([Series(v for v in (1.0, float("inf")))])
