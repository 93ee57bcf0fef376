import datetime

import pytest
from django.utils import translation

from pilotage.indicators.actions import InvalidValue, Measurement, Outcome, do_set_value
from pilotage.indicators.models import Value, ValueChange
from pilotage.indicators.series import unit_series

MONDAY = datetime.date(2024, 1, 1)


def test_a_value_is_created_then_changed_with_its_history(delay, org, alice):
    assert do_set_value(
        delay, org["screening"], MONDAY, Measurement(None, 140, 10), user=alice
    ) == (Outcome.CREATED)
    stored = Value.objects.get()
    assert stored.value == 14 and stored.updated_by == alice
    assert do_set_value(
        delay, org["screening"], MONDAY, Measurement(None, 150, 10), user=alice
    ) == (Outcome.UPDATED)
    changes = list(ValueChange.objects.order_by("pk").values_list("old_value", "new_value"))
    assert changes == [(None, 14), (14, 15)]


def test_the_same_value_again_changes_nothing(delay, org, alice):
    do_set_value(delay, org["screening"], MONDAY, Measurement(None, 140, 10), user=alice)
    assert do_set_value(
        delay, org["screening"], MONDAY, Measurement(None, 140, 10), user=alice
    ) == (Outcome.UNCHANGED)
    assert ValueChange.objects.count() == 1


@pytest.mark.parametrize(
    ("period", "measurement", "field"),
    [
        (MONDAY + datetime.timedelta(days=1), Measurement(5), "period"),
        (MONDAY, Measurement(None, 5, None), "denominator"),
        (MONDAY, Measurement(None, 5, 0), "denominator"),
        (MONDAY, Measurement(3, 10, 2), "value"),
        (MONDAY, Measurement(float("nan")), "value"),
        (MONDAY, Measurement(None), "value"),
    ],
)
def test_invalid_values_name_their_field_and_store_nothing(
    delay, org, alice, period, measurement, field
):
    with pytest.raises(InvalidValue) as error:
        do_set_value(delay, org["screening"], period, measurement, user=alice)
    assert error.value.field == field
    assert not Value.objects.exists()


def test_a_rate_needs_its_ratio_and_gets_its_factor(served_rate, org, alice):
    with pytest.raises(InvalidValue) as error:
        do_set_value(served_rate, org["screening"], MONDAY, Measurement(80), user=alice)
    assert error.value.field == "numerator"
    do_set_value(served_rate, org["screening"], MONDAY, Measurement(None, 8, 10), user=alice)
    assert Value.objects.get().value == pytest.approx(80)


def test_a_count_cannot_be_negative(waiting, org, alice):
    with pytest.raises(InvalidValue):
        do_set_value(waiting, org["screening"], MONDAY, Measurement(-1), user=alice)


def test_messages_are_in_the_users_language(delay, org, alice):
    with translation.override("fr"), pytest.raises(InvalidValue) as error:
        do_set_value(delay, org["screening"], MONDAY, Measurement(None, 5, 0), user=alice)
    assert "dénominateur" in str(error.value)


def test_a_parent_without_values_shows_the_roll_up(served_rate, org, alice):
    do_set_value(served_rate, org["screening"], MONDAY, Measurement(None, 3, 3), user=alice)
    do_set_value(served_rate, org["evaluation"], MONDAY, Measurement(None, 150, 300), user=alice)
    series = unit_series(served_rate, org["youth"])
    assert series.rolled_up
    assert series.points[0].value == pytest.approx(153 / 303 * 100)


def test_a_median_is_not_rolled_up_and_says_so(median_delay, org, alice):
    do_set_value(median_delay, org["screening"], MONDAY, Measurement(9), user=alice)
    series = unit_series(median_delay, org["youth"])
    assert series.not_rollable and series.points == []


def test_targets_are_inherited_from_the_nearest_unit(delay, org):
    from pilotage.indicators.models import Target

    assert delay.target_for(org["screening"], MONDAY).value == 12
    Target.objects.create(indicator=delay, unit=org["youth"], value=10, effective_from=MONDAY)
    assert delay.target_for(org["screening"], MONDAY).value == 10
    Target.objects.create(indicator=delay, unit=org["screening"], value=9, effective_from=MONDAY)
    assert delay.target_for(org["screening"], MONDAY).value == 9
    assert delay.target_for(org["evaluation"], MONDAY).value == 10
    assert delay.target_for(org["school"], MONDAY).value == 12
    assert delay.target_for(org["school"], MONDAY - datetime.timedelta(days=7)) is None


def test_indicators_are_scoped_to_the_users_units(delay, waiting, org, alice, charlie):
    from pilotage.indicators.models import Indicator

    # A direction's indicators apply to its teams; charlie, elsewhere, sees none of them.
    assert set(Indicator.objects.visible_to(alice).values_list("code", flat=True)) == {
        "eval-delay",
        "waiting",
    }
    assert not Indicator.objects.visible_to(charlie).exists()


def test_many_values_at_once_keep_the_same_rules_and_history(delay, waiting, org, alice):
    from pilotage.indicators.actions import do_set_values

    week2 = MONDAY + datetime.timedelta(days=7)
    do_set_value(waiting, org["screening"], MONDAY, Measurement(4), user=alice)
    counts = do_set_values(
        [
            (waiting, org["screening"], MONDAY, Measurement(4)),  # unchanged
            (waiting, org["screening"], week2, Measurement(6)),  # new
            (delay, org["screening"], MONDAY, Measurement(None, 140, 10)),  # new, from ratio
        ],
        user=alice,
    )
    assert counts == {Outcome.UNCHANGED: 1, Outcome.CREATED: 2}
    assert Value.objects.get(indicator=delay).value == 14
    counts = do_set_values([(waiting, org["screening"], week2, Measurement(7))], user=alice)
    assert counts == {Outcome.UPDATED: 1}
    last = ValueChange.objects.filter(value__period=week2).order_by("-pk").first()
    assert (last.old_value, last.new_value, last.changed_by) == (6, 7, alice)
    with pytest.raises(InvalidValue):
        do_set_values([(waiting, org["screening"], week2, Measurement(-1))], user=alice)
    assert Value.objects.get(indicator=waiting, period=week2).value == 7
