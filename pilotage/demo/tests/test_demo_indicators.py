import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from pilotage import spc
from pilotage.demo.indicators import (
    END,
    FLU_WEEK,
    JIMMY_START,
    OVERTIME_RISE,
    PIJ_OUTAGE,
    WEEKS,
    build_indicators,
    generate_values,
)
from pilotage.demo.organisation import build_organisation
from pilotage.indicators.models import (
    Dimension,
    Indicator,
    Priority,
    Rebase,
    Source,
    Value,
    ValueChange,
)
from pilotage.indicators.series import analyse, unit_series
from pilotage.organisation.models import Membership, Role, Unit

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo, built once for the module inside a transaction rolled back at its end; each
    test runs in a savepoint within it (pytest-django's `db`), so tests stay independent."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
            build_organisation()
            counts = build_indicators()
        yield counts
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(built, db):
    return built


def reading(code: str, unit_code: str) -> spc.SpcResult:
    """What the unit's board shows: its series with its target and rebases."""
    indicator, unit = Indicator.objects.get(code=code), Unit.objects.get(code=unit_code)
    target = indicator.target_for(unit, END)
    result = analyse(unit_series(indicator, unit), target.value if target else None)
    assert result is not None
    return result


def at(result: spc.SpcResult, day: datetime.date) -> spc.Point:
    return next(p for p in result.points if p.date == day)


def test_loading_twice_leaves_one_copy_and_changes_nothing(demo):
    before = list(Value.objects.values_list())
    assert build_indicators() == demo
    assert list(Value.objects.values_list()) == before  # updated_at included
    assert not ValueChange.objects.exists()


def test_a_value_changed_by_hand_is_set_back(demo):
    value = Value.objects.filter(indicator__code="delai-evaluation").first()
    right = value.value
    Value.objects.filter(pk=value.pk).update(value=right + 5)
    assert build_indicators() == demo
    value.refresh_from_db()
    assert value.value == right


def test_two_years_of_weekly_values_per_team(demo):
    assert demo["indicators"] == 10 and demo["priorities"] == 3
    assert demo["values"] == sum(len(series) for series in generate_values().values())
    eo = Value.objects.filter(indicator__code="delai-evaluation", unit__code="eo")
    assert eo.count() == WEEKS
    assert eo.order_by("period").last().period == END
    assert {v.period.weekday() for v in Value.objects.filter(indicator__frequency="weekly")} == {0}
    # Evaluation-orientation evaluates 15 to 30 children in an ordinary week.
    assert 15 <= sorted(eo.values_list("denominator", flat=True))[WEEKS // 2] <= 30
    # Hand-entered values name who entered them; imported ones come from a file.
    entered = Value.objects.filter(indicator__source=Source.ENTERED)
    assert entered.exists() and not entered.filter(updated_by=None).exists()


def test_every_indicator_serves_a_priority_in_both_languages(demo):
    jimmy = Unit.objects.get(code="jimmy")
    assert set(Priority.objects.values_list("unit", flat=True)) == {jimmy.pk}
    for indicator in Indicator.objects.select_related("priority"):
        assert indicator.priority is not None, indicator.code
        assert indicator.name_fr and indicator.name_en and indicator.name_fr != indicator.name_en
        assert indicator.definition_fr and indicator.definition_en
        assert indicator.measure_unit_fr and indicator.measure_unit_en
        assert indicator.values.exists(), indicator.code
    dimensions = set(Indicator.objects.values_list("dimension", flat=True))
    assert {Dimension.ACCESSIBILITY, Dimension.CONTINUITY, Dimension.WELL_BEING} <= dimensions


def test_the_evaluation_delay_shifts_down_with_the_jimmy_organisation(demo):
    rebase = Rebase.objects.get(indicator__code="delai-evaluation", unit__code="eo")
    director = Membership.objects.get(unit__code="dpj", role=Role.DIRECTOR).person.user
    assert rebase.from_period == JIMMY_START and rebase.decided_by == director
    assert "Jimmy" in rebase.reason

    # Read as one process, every week since the reorganisation is an improvement (and every
    # week before it a run above the mean): the process changed, hence the rebase...
    indicator = Indicator.objects.get(code="delai-evaluation")
    series = unit_series(indicator, Unit.objects.get(code="eo"))
    raw = spc.analyse(
        [p.value for p in series.points],
        [p.period for p in series.points],
        improvement_direction="decrease",
    )
    after = {p.point_type for p in raw.points if p.date >= JIMMY_START}
    before = {p.point_type for p in raw.points if p.date < JIMMY_START}
    assert after == {"special_cause_improvement"} and before == {"special_cause_concern"}

    # ...and with it, a new stable process: from about 16 days to about 8, now meeting 12.
    result = reading("delai-evaluation", "eo")
    before, now = result.summary
    assert now.first_date == JIMMY_START
    assert 14 <= before.mean <= 18 and 7 <= now.mean <= 10 and now.upl < before.mean
    assert now.special_cause_improvement == now.special_cause_concern == 0
    assert result.icons.assurance == "consistent_pass"


def test_overtime_in_the_13_17_team_is_a_worsening_trend(demo):
    result = reading("heures-sup-etp", "am-13-17")
    last = [p for p in result.points if p.date > OVERTIME_RISE]
    assert {p.point_type for p in last} == {"special_cause_concern"}
    assert any(p.special_cause_type == "7 Point Trend (Increasing)" for p in last)
    assert result.icons.variation == "concern_high"
    earlier = [p for p in result.points if p.date < OVERTIME_RISE - datetime.timedelta(days=7)]
    assert {p.point_type for p in earlier} == {"common_cause"}


@pytest.mark.parametrize(
    ("code", "unit", "day"),
    [("liste-attente", "rts", PIJ_OUTAGE), ("taux-absence", "readaptation", FLU_WEEK)],
)
def test_one_week_far_above_the_limits(demo, code, unit, day):
    result = reading(code, unit)
    point = at(result, day)
    assert point.special_cause_type == "Above UCL" and point.point_type == "special_cause_concern"
    assert point.value > point.upl * 1.5
    assert [p.date for p in result.points if p.point_type != "common_cause"] == [day]


def test_the_early_childhood_team_consistently_misses_its_continuity_target(demo):
    result = reading("continuite-equipe", "jef-0-5")
    assert result.target == 80
    assert result.icons.assurance == "consistent_fail"
    assert result.summary[-1].upl < 80
    # The Jimmy team has its own, higher target.
    assert reading("continuite-equipe", "jef-famille").target == 90


def test_ordinary_series_vary_by_common_causes(demo):
    for code, unit in [
        ("evaluations-12-jours", "eo"),
        ("continuite-equipe", "am-0-12"),
        ("transitions-episode", "jef-famille"),
        ("delai-premier-service", "readaptation"),
        ("pouls-equipe", "liaison"),
        ("heures-sup-etp", "eo"),
    ]:
        result = reading(code, unit)
        assert {p.point_type for p in result.points} == {"common_cause"}, (code, unit)


def test_the_load_demo_command_prints_the_indicators(db, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "units: 13" in out and "indicators: 10" in out
