import datetime

import pytest

from pilotage.indicators.rollup import NotRollable, StoredValue, roll_up

W1 = datetime.date(2024, 1, 1)
W2 = datetime.date(2024, 1, 8)


def test_counts_add_up():
    rolled = roll_up(
        [StoredValue("/1/2/", W1, 3, None, None), StoredValue("/1/3/", W1, 4, None, None)], "count"
    )
    assert [(r.period, r.value, r.units) for r in rolled] == [(W1, 7, 2)]


def test_rates_sum_numerators_and_denominators_never_average_rates():
    # A team of 3 at 100% and a team of 300 at 50%: the rate is 50.5%, not 75%.
    rolled = roll_up(
        [StoredValue("/1/2/", W1, 100, 3, 3), StoredValue("/1/3/", W1, 50, 150, 300)],
        "rate",
        factor=100,
    )
    assert rolled[0].value == pytest.approx(153 / 303 * 100)
    assert (rolled[0].numerator, rolled[0].denominator) == (153, 303)


def test_means_are_weighted_by_their_denominators():
    rolled = roll_up(
        [StoredValue("/1/2/", W1, 10, 20, 2), StoredValue("/1/3/", W1, 20, 160, 8)], "mean"
    )
    assert rolled[0].value == pytest.approx(18)


def test_medians_and_percentiles_never_roll_up():
    for kind in ("median", "percentile"):
        with pytest.raises(NotRollable):
            roll_up([StoredValue("/1/2/", W1, 10, None, None)], kind)


def test_a_branch_is_not_counted_twice():
    # /1/2/ holds its own value; its team /1/2/5/ too: only /1/2/ counts for that branch.
    rolled = roll_up(
        [
            StoredValue("/1/2/", W1, 10, None, None),
            StoredValue("/1/2/5/", W1, 4, None, None),
            StoredValue("/1/3/", W1, 1, None, None),
        ],
        "count",
    )
    assert rolled[0].value == 11


def test_a_ratio_period_missing_a_denominator_is_left_out():
    rolled = roll_up(
        [
            StoredValue("/1/2/", W1, 10, 20, 2),
            StoredValue("/1/3/", W1, 5, None, None),
            StoredValue("/1/2/", W2, 10, 20, 2),
        ],
        "mean",
    )
    assert [r.period for r in rolled] == [W2]
