"""Computed indicators on a small hand-made log, against values computed by hand.

The jimmy trajectory: request (Signalement), evaluation (Évaluation), services (Suivi), closure
(Fermeture); target 12 days; teams A -> screening, B -> evaluation, C not linked. All events
at 10:00 in Montreal; weeks W1 = Monday 2024-01-01 ... W4 = 2024-01-22.

* c1: request A (Mon 01-01), evaluation A (01-05: 4 days), service B (01-09: first service
  after 8 days), service C (01-16: a hand-off B -> C), closure C (01-17, W3).
* c2: request A (01-02), evaluation B (01-16: 14 days, over the target); never served.
* c3: request B (01-03), evaluation B (01-10: 7 days), service B (01-11: 8 days), closure B
  (01-24, W4): one team all along.

Waiting list at each Sunday (episodes requested, neither served nor closed), by the team of
their latest event: W1 c1 (A), c2 (A), c3 (B); W2 c2 (A); W3 c2 (B); W4 c2 (B).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import TestCase

from pilotage.indicators.actions import Measurement, do_set_value
from pilotage.indicators.models import Indicator, Kind, Source, Value, ValueChange
from pilotage.indicators.series import read
from pilotage.trajectories import computed, tasks
from pilotage.trajectories.actions import do_queue_import, do_withdraw_import
from pilotage.trajectories.models import TrajectoryTeam

pytestmark = pytest.mark.usefixtures("storage_dirs")

W1, W2, W3, W4, W5, W6 = (dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(6))
HEADER = "case:concept:name,concept:name,time:timestamp,org:group\n"
LOG = """c1,Signalement,2024-01-01T10:00:00,A
c1,Évaluation,2024-01-05T10:00:00,A
c1,Suivi,2024-01-09T10:00:00,B
c1,Suivi,2024-01-16T10:00:00,C
c1,Fermeture,2024-01-17T10:00:00,C
c2,Signalement,2024-01-02T10:00:00,A
c2,Évaluation,2024-01-16T10:00:00,B
c3,Signalement,2024-01-03T10:00:00,B
c3,Évaluation,2024-01-10T10:00:00,B
c3,Suivi,2024-01-11T10:00:00,B
c3,Fermeture,2024-01-24T10:00:00,B
"""
LATER = """c4,Signalement,2024-02-05T10:00:00,A
c4,Évaluation,2024-02-06T10:00:00,A
"""

Y, S, E = "youth", "screening", "evaluation"


def counts(per_unit: dict[str, list[int]]) -> dict[tuple[str, dt.date], tuple]:
    return {
        (unit, week): (float(n), None, None)
        for unit, values in per_unit.items()
        for week, n in zip((W1, W2, W3, W4), values, strict=True)
    }


def ratio(numerator: float, denominator: float, factor: float = 1.0) -> tuple:
    return (numerator / denominator * factor, float(numerator), float(denominator))


EXPECTED: dict[str, dict[tuple[str, dt.date], tuple]] = {
    "requests": counts({Y: [3, 0, 0, 0], S: [2, 0, 0, 0], E: [1, 0, 0, 0]}),
    "waiting": counts({Y: [3, 1, 1, 1], S: [2, 1, 0, 0], E: [1, 0, 1, 1]}),
    "eval-delay": {
        (Y, W1): ratio(4, 1),
        (Y, W2): ratio(7, 1),
        (Y, W3): ratio(14, 1),
        (S, W1): ratio(4, 1),
        (E, W2): ratio(7, 1),
        (E, W3): ratio(14, 1),
    },
    "eval-target": {
        (Y, W1): ratio(1, 1, 100),
        (Y, W2): ratio(1, 1, 100),
        (Y, W3): ratio(0, 1, 100),
        (S, W1): ratio(1, 1, 100),
        (E, W2): ratio(1, 1, 100),
        (E, W3): ratio(0, 1, 100),
    },
    "service-delay": {(Y, W2): ratio(16, 2), (E, W2): ratio(16, 2)},
    "handoffs": {(Y, W3): ratio(1, 1), (Y, W4): ratio(0, 1), (E, W4): ratio(0, 1)},
    "continuity": {
        (Y, W3): ratio(0, 1, 100),
        (Y, W4): ratio(1, 1, 100),
        (E, W4): ratio(1, 1, 100),
    },
    "re-referrals": counts({Y: [0] * 4, S: [0] * 4, E: [0] * 4}),
    "reassess": counts({Y: [0] * 4, S: [0] * 4, E: [0] * 4}),
    # One evaluation a week: a median of one child is not written (test below for five).
    "eval-median": {},
}


def import_log(trajectory, tmp_path: Path, text: str, name: str = "log.csv"):
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    batch = do_queue_import(trajectory, path.read_bytes(), name, None, {}, None)
    with TestCase.captureOnCommitCallbacks(execute=False):
        tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "done", batch.problems
    return batch


def stored(trajectory) -> dict[str, dict[tuple[str, dt.date], tuple]]:
    """The computed values by measure slug; every measure present, an empty one included."""
    result: dict[str, dict] = {slug: {} for slug in EXPECTED}
    prefix = f"traj-{trajectory.code}-"
    for v in Value.objects.filter(indicator__code__startswith=prefix, source=Source.COMPUTED):
        slug = v.indicator.code.removeprefix(prefix)
        result.setdefault(slug, {})[(v.unit.code, v.period)] = (v.value, v.numerator, v.denominator)
    return result


def test_values_match_the_hand_computation(jimmy, tmp_path):
    import_log(jimmy, tmp_path, LOG)
    result = tasks.recompute_trajectory.call(jimmy.pk)
    assert result is None
    assert stored(jimmy) == EXPECTED


def test_a_median_needs_five_evaluations_in_the_week(jimmy, tmp_path):
    """The median delay is written for a week with 5 evaluations or more, over all teams;
    a week with fewer has no value (a median of 1 to 4 children would describe them)."""
    # Week 2 (Jan 8-14): c3 (7 days), m0, m1, m2 (7, 8, 9 days): four evaluations.
    four = "".join(
        f"m{i},Signalement,2024-01-0{1 + i}T09:00:00,A\n"
        f"m{i},Évaluation,2024-01-{8 + 2 * i:02d}T09:00:00,{'AB'[i % 2]}\n"
        for i in range(3)
    )
    import_log(jimmy, tmp_path, LOG + four)
    tasks.recompute_trajectory.call(jimmy.pk)
    assert stored(jimmy)["eval-median"] == {}
    # A fifth (1 day): 1, 7, 7, 8, 9 days.
    fifth = "n0,Signalement,2024-01-08T09:00:00,A\nn0,Évaluation,2024-01-09T09:00:00,A\n"
    import_log(jimmy, tmp_path, fifth, name="more.csv")
    tasks.recompute_trajectory.call(jimmy.pk)
    assert stored(jimmy)["eval-median"] == {(Y, W2): (7.0, None, None)}


def test_the_indicators_are_created_with_their_definition(jimmy, tmp_path, org):
    import_log(jimmy, tmp_path, LOG)
    computed.recompute(jimmy)
    indicators = {i.code: i for i in Indicator.objects.filter(code__startswith="traj-jimmy-")}
    assert set(indicators) == {f"traj-jimmy-{slug}" for slug in EXPECTED}
    assert {i.owner_unit for i in indicators.values()} == {org["youth"]}
    assert {i.source for i in indicators.values()} == {Source.COMPUTED}
    assert {i.frequency for i in indicators.values()} == {"weekly"}
    delay = indicators["traj-jimmy-eval-delay"]
    assert (delay.kind, delay.direction, delay.measure_unit_en) == (
        Kind.DURATION,
        "decrease",
        "days",
    )
    assert delay.name_en == "Jimmy: delay to evaluation (mean)"
    assert delay.name_fr == "Jimmy : délai avant l'évaluation (moyenne)"
    assert delay.definition_fr and delay.definition_en
    target = indicators["traj-jimmy-eval-target"]
    assert (target.kind, target.factor, target.direction) == (Kind.RATE, 100.0, "increase")
    assert indicators["traj-jimmy-waiting"].direction == "decrease"
    assert indicators["traj-jimmy-requests"].kind == Kind.COUNT
    assert indicators["traj-jimmy-handoffs"].kind == Kind.MEAN
    assert indicators["traj-jimmy-eval-median"].kind == Kind.MEDIAN
    # What people tune is theirs: a second recomputation does not reset it.
    delay.decimals, delay.is_outcome = 3, False
    delay.save()
    computed.recompute(jimmy)
    delay.refresh_from_db()
    assert (delay.decimals, delay.is_outcome) == (3, False)


def test_the_computed_counts_hide_their_small_values_wherever_they_are_read(jimmy, tmp_path, org):
    import_log(jimmy, tmp_path, LOG)
    computed.recompute(jimmy)
    prefix = "traj-jimmy-"
    flags = dict(
        Indicator.objects.filter(code__startswith=prefix).values_list("code", "hides_small_counts")
    )
    assert flags == {f"{prefix}{slug}": slug != "eval-median" for slug in EXPECTED}
    waiting = Indicator.objects.get(code=f"{prefix}waiting")
    # Waiting at W2: youth 1, screening 1, evaluation 0 (EXPECTED): the ones go, the zero stays.
    shown = {
        unit: {p.period: p.value for p in read(waiting, org[unit]).series.points}
        for unit in (Y, S, E)
    }
    assert shown[Y][W2] is None and shown[S][W2] is None and shown[E][W2] == 0
    assert shown[Y][W1] is None and shown[S][W1] is None and shown[E][W1] is None  # 3 = 2 + 1
    # The flag is part of the definition: a recomputation sets it again.
    waiting.hides_small_counts = False
    waiting.save()
    computed.recompute(jimmy)
    waiting.refresh_from_db()
    assert waiting.hides_small_counts


def test_recomputing_again_changes_nothing(jimmy, tmp_path):
    import_log(jimmy, tmp_path, LOG)
    first = computed.recompute(jimmy)
    assert first.created == sum(len(v) for v in EXPECTED.values())
    changes = ValueChange.objects.count()
    again = computed.recompute(jimmy)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.created
    assert ValueChange.objects.count() == changes
    assert stored(jimmy) == EXPECTED


def test_two_team_names_of_one_unit_add_up(jimmy, tmp_path, org):
    import_log(jimmy, tmp_path, LOG)
    TrajectoryTeam.objects.create(trajectory=jimmy, unit=org["screening"], source_name="C")
    computed.recompute(jimmy)
    values = stored(jimmy)
    # C's hand-off and closure now count for screening, beside A's figures.
    assert values["handoffs"][(S, W3)] == ratio(1, 1)
    assert values["continuity"][(S, W3)] == ratio(0, 1, 100)
    assert values["requests"][(S, W1)] == (2.0, None, None)
    assert values["waiting"] == EXPECTED["waiting"]
    # The direction's figures do not move: they are computed from every event already.
    for slug in EXPECTED:
        assert {k: v for k, v in values[slug].items() if k[0] == Y} == {
            k: v for k, v in EXPECTED[slug].items() if k[0] == Y
        }


def test_withdrawing_a_batch_removes_the_values_of_its_weeks(jimmy, tmp_path, diana, org):
    import_log(jimmy, tmp_path, LOG)
    later = import_log(jimmy, tmp_path, LATER, "later.csv")
    indicator_requests = Indicator.objects.filter(code="traj-jimmy-requests")
    computed.recompute(jimmy)
    values = stored(jimmy)
    assert values["requests"][(Y, W6)] == (1.0, None, None)
    assert values["requests"][(Y, W5)] == (0.0, None, None)
    assert values["eval-delay"][(S, W6)] == ratio(1, 1)
    # A value typed by hand is never the recomputation's to delete.
    do_set_value(
        indicator_requests.get(),
        org["screening"],
        W6 + dt.timedelta(weeks=4),
        Measurement(9),
        user=diana,
    )

    with TestCase.captureOnCommitCallbacks(execute=True):
        do_withdraw_import(later, diana, "a test extraction")
    result = computed.recompute(jimmy)

    assert result.deleted > 0
    assert stored(jimmy) == EXPECTED
    entered = Value.objects.get(source=Source.ENTERED)
    assert entered.value == 9


def test_no_live_batch_leaves_no_computed_value(jimmy, tmp_path, diana):
    batch = import_log(jimmy, tmp_path, LOG)
    computed.recompute(jimmy)
    do_withdraw_import(batch, diana, "wrong trajectory")
    result = computed.recompute(jimmy)
    assert result.deleted == sum(len(v) for v in EXPECTED.values())
    assert not Value.objects.exists()


def test_without_a_target_there_is_no_share_within_target(jimmy, tmp_path):
    jimmy.evaluation_target_days = None
    jimmy.save()
    import_log(jimmy, tmp_path, LOG)
    computed.recompute(jimmy)
    assert stored(jimmy)["eval-target"] == {}
    assert not Indicator.objects.filter(code="traj-jimmy-eval-target").exists()


def test_a_trajectory_not_fully_defined_is_skipped(jimmy, tmp_path):
    import_log(jimmy, tmp_path, LOG)
    jimmy.steps.all().delete()
    result = computed.recompute(jimmy)
    assert result.skipped
    assert not Value.objects.exists()


def test_a_long_trajectory_code_still_gives_valid_indicator_codes(jimmy):
    jimmy.code = "a-very-long-trajectory-code-for-children-and-families-x"[:50]
    codes = {computed.indicator_code(jimmy, spec) for spec in computed.MEASURES}
    assert len(codes) == len(computed.MEASURES)
    assert all(len(code) <= 50 and code.startswith("traj-a-very") for code in codes)
    jimmy.code = "jimmy"
    assert computed.indicator_code(jimmy, computed.MEASURES[0]) == "traj-jimmy-requests"


def test_overlapping_extracts_are_flagged(jimmy, tmp_path):
    import_log(jimmy, tmp_path, LOG)
    overlapping = import_log(jimmy, tmp_path, LOG + LATER, "overlap.csv")
    (warning,) = [p for p in overlapping.problems if p["code"] == "duplicate_events"]
    assert warning["params"] == {"count": 11}
    assert warning["level"] == "warning"
