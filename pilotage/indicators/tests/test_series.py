import datetime

from pilotage.indicators.models import Rebase, Target, Value
from pilotage.indicators.series import (
    assurance_badge,
    read,
    read_many,
    target_in_force,
    unit_series,
    variation_badge,
)

MONDAY = datetime.date(2024, 1, 1)
WEEK = datetime.timedelta(weeks=1)


def add_values(indicator, unit, values, start=MONDAY, skip=()):
    Value.objects.bulk_create(
        Value(indicator=indicator, unit=unit, period=start + i * WEEK, value=v, source="entered")
        for i, v in enumerate(values)
        if i not in skip
    )


def test_own_values_win_over_the_roll_up(org, waiting):
    add_values(waiting, org["screening"], [1, 2])
    add_values(waiting, org["evaluation"], [3, 4])
    rolled = unit_series(waiting, org["youth"])
    assert rolled.rolled_up and [p.value for p in rolled.points] == [4, 6]
    add_values(waiting, org["youth"], [10])
    own = unit_series(waiting, org["youth"])
    assert not own.rolled_up and [p.value for p in own.points] == [10]


def test_a_median_with_no_own_value_is_not_rolled_up(org, median_delay):
    add_values(median_delay, org["screening"], [9, 10])
    reading = read(median_delay, org["youth"])
    assert reading.series.not_rollable and reading.result is None
    assert reading.variation.label == variation_badge(None).label


def test_the_nearest_target_wins_then_the_latest(org, delay):
    youth = Target.objects.create(
        indicator=delay, unit=org["youth"], value=10, effective_from=MONDAY
    )
    later = Target.objects.create(
        indicator=delay, unit=org["youth"], value=8, effective_from=MONDAY + 10 * WEEK
    )
    targets = list(delay.targets.all())
    unit = org["screening"]
    assert target_in_force(targets, unit, MONDAY) == youth
    assert target_in_force(targets, unit, MONDAY + 12 * WEEK) == later
    assert target_in_force(targets, unit, MONDAY - WEEK) is None
    for day in (MONDAY, MONDAY + 12 * WEEK):
        assert target_in_force(targets, unit, day) == delay.target_for(unit, day)


def test_a_rebase_on_a_missing_period_starts_at_the_next_value(org, delay, alice):
    add_values(delay, org["screening"], [16] * 15 + [11] * 15, skip={15})
    Rebase.objects.create(
        indicator=delay,
        unit=org["screening"],
        from_period=MONDAY + 15 * WEEK,
        reason="New process",
        decided_by=alice,
    )
    # One after the last value waits for data; it changes nothing yet.
    Rebase.objects.create(
        indicator=delay,
        unit=org["screening"],
        from_period=MONDAY + 40 * WEEK,
        reason="Later",
        decided_by=alice,
    )
    reading = read(delay, org["screening"])
    assert [g.first_date for g in reading.result.summary] == [MONDAY, MONDAY + 16 * WEEK]
    rows = reading.table()
    assert [r.group for r in rows[13:16]] == [1, 1, 2]
    assert [r.rebase_start for r in rows[13:16]] == [False, False, True]


def test_the_reading_gives_icons_trial_limits_and_targets(org, delay):
    add_values(delay, org["screening"], [16, 17, 15, 16, 18, 16, 15, 17])
    reading = read(delay, org["screening"])
    assert reading.target.value == 12
    assert reading.has_trial_limits and all(r.trial for r in reading.table())
    assert reading.variation.code == "common_cause"
    assert reading.assurance == assurance_badge("consistent_fail")
    assert [r.target for r in reading.table()] == [12] * 8


def test_read_many_keeps_the_order_and_a_fixed_query_count(
    org, delay, waiting, median_delay, served_rate, django_assert_num_queries
):
    add_values(delay, org["screening"], [16, 17])
    indicators = [waiting, delay, median_delay, served_rate]
    with django_assert_num_queries(4):
        readings = read_many(indicators, org["screening"])
    assert [r.indicator for r in readings] == indicators
    assert [len(r.series.points) for r in readings] == [0, 2, 0, 0]
