"""The analysis behind the trajectory pages, on a hand-made log imported through the real
pipeline, against figures computed by hand.

The jimmy trajectory (request, evaluation, services, closure); 14 cases, all events at 10:00:

* 6 cases (s1-s6): request, evaluation 4 days later, service 6 days after that, closure 10
  days after that;
* 3 cases (k1-k3): request, evaluation 2 days later, closure 3 days after that (never served);
* 5 cases (w1-w5): request, evaluation 8 days later, nothing since.

Moves: request -> evaluation 14 (waits 4 x6, 2 x3, 8 x5: median 4), evaluation -> services 6
(median 6), evaluation -> closure 3 (hidden "< 5", and its median), services -> closure 6
(median 10). Visits: request 14, evaluation 14, services 6, closure 9. Exits: evaluation 5,
closure 9.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pilotage.analytics import WeeklyMeasures
from pilotage.trajectories import analysis
from pilotage.trajectories.tests.test_computed import import_log

pytestmark = pytest.mark.usefixtures("storage_dirs")

REQUEST, EVALUATION, SERVICES, CLOSURE = range(4)


def event(case: str, activity: str, day: dt.date, team: str = "A") -> str:
    return f"{case},{activity},{day.isoformat()}T10:00:00,{team}\n"


def make_log() -> str:
    lines = []
    start = dt.date(2024, 1, 1)
    for k in range(6):
        d = start + dt.timedelta(days=7 * k)
        lines += [
            event(f"s{k}", "Signalement", d),
            event(f"s{k}", "Évaluation", d + dt.timedelta(days=4)),
            event(f"s{k}", "Suivi", d + dt.timedelta(days=10), "B"),
            event(f"s{k}", "Suivi", d + dt.timedelta(days=12), "B"),
            event(f"s{k}", "Fermeture", d + dt.timedelta(days=22), "B"),
        ]
    for k in range(3):
        d = start + dt.timedelta(days=7 * k + 1)
        lines += [
            event(f"k{k}", "Signalement", d),
            event(f"k{k}", "Évaluation", d + dt.timedelta(days=2)),
            event(f"k{k}", "Fermeture", d + dt.timedelta(days=5)),
        ]
    for k in range(5):
        d = start + dt.timedelta(days=7 * k + 2)
        lines += [
            event(f"w{k}", "Signalement", d, "B"),
            event(f"w{k}", "Évaluation", d + dt.timedelta(days=8), "B"),
        ]
    return "".join(lines)


@pytest.fixture
def imported(jimmy, tmp_path):
    import_log(jimmy, tmp_path, make_log())
    return jimmy


def flows(data) -> dict[tuple[int, int], tuple]:
    return {(f["source"], f["target"]): (f["count"], f["median_days"]) for f in data["flows"]}


def test_flows_volumes_and_medians_by_hand(imported):
    data = analysis.analyse(imported)
    # The 12 months up to the last event (the last closure, 2024-02-05 + 22 days).
    assert data["period"] == {"start": "2023-02-28", "end": "2024-02-27"}
    shown = flows(data)
    assert shown[(REQUEST, EVALUATION)] == (14, 4.0)
    assert shown[(EVALUATION, SERVICES)] == (analysis.COMPLEMENT, None)  # see below
    assert shown[(EVALUATION, CLOSURE)] == (analysis.PRIMARY, None)
    # Three service sessions in a row are one visit of the step: no services -> services.
    assert (SERVICES, SERVICES) not in shown
    steps = data["steps"]
    assert [s["visits"] for s in steps[:2]] == [14, 14]
    assert steps[REQUEST]["entries"] == 14
    assert [s["wait_median_days"] for s in steps] == [None, 4.0, 6.0, 10.0]
    assert data["n_cases"] == 14


def test_a_small_flow_cannot_be_recovered_from_the_totals(imported):
    data = analysis.analyse(imported)
    shown = flows(data)
    steps = data["steps"]
    # The evaluation's moves out: 6 to services, 3 hidden to closure, 5 exits = 14 visits.
    # With only the 3 hidden, 14 - 6 - 5 would give it back: the exits are hidden too.
    assert steps[EVALUATION]["visits"] == 14
    assert steps[EVALUATION]["exits"] == analysis.COMPLEMENT
    # The closure's moves in: 3 hidden and 6 from services = its visits: hidden as well.
    assert analysis.is_hidden(shown[(SERVICES, CLOSURE)][0])
    assert shown[(SERVICES, CLOSURE)][1] is None  # no median for a hidden count
    # The services' only move out is then hidden: its visits (6) are hidden rather than a
    # zero (zeros are never complements), and with them the only move in.
    assert steps[SERVICES]["visits"] == analysis.COMPLEMENT
    assert (SERVICES, REQUEST) not in shown
    # Whatever was hidden, no published line hides exactly one entry.
    for position in range(4):
        out = [c for (s, _), (c, _) in shown.items() if s == position]
        out += [steps[position]["exits"], steps[position]["visits"]]
        into = [c for (_, t), (c, _) in shown.items() if t == position]
        into += [steps[position]["entries"], steps[position]["visits"]]
        for line in (out, into):
            assert sum(analysis.is_hidden(c) for c in line) != 1, (position, line)


def test_bottlenecks_by_longest_median_wait(imported):
    data = analysis.analyse(imported)
    order = [step["index"] for step in analysis.bottlenecks(data)]
    assert order == [CLOSURE, SERVICES, EVALUATION, REQUEST]


def test_variants_at_step_level_with_rare_ones_grouped(imported):
    variants = analysis.analyse(imported)["variants"]
    rows = variants["rows"]
    assert rows[0]["steps"] == [REQUEST, EVALUATION, SERVICES, CLOSURE]
    assert rows[0]["count"] == 6
    assert rows[0]["share"] == pytest.approx(6 / 14)
    # The 3 cases of request, evaluation, closure are "other" (< 5), so the next smallest
    # (request, evaluation: 5) is hidden too, with its share.
    assert rows[1]["steps"] == [REQUEST, EVALUATION]
    assert rows[1]["count"] == analysis.COMPLEMENT and rows[1]["share"] is None
    assert rows[2]["other"] and rows[2]["count"] == analysis.PRIMARY
    assert variants["total"] == 14


def test_a_period_and_a_team_restrict_the_cases(imported):
    data = analysis.analyse(imported, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert data["period"] == {"start": "2024-01-01", "end": "2024-01-31"}
    # Team B: the served cases and the w cases (11), whose steps by team A are kept.
    only_b = analysis.analyse(imported, teams=["B"])
    assert only_b["n_cases"] == 11
    assert flows(only_b)[(REQUEST, EVALUATION)] == (11, 4.0)


def test_results_are_cached_until_the_batches_change(imported, tmp_path, settings):
    first = analysis.analyse(imported)
    cached = list(analysis.cache_dir().glob("*.json"))
    assert len(cached) == 1
    assert json.loads(cached[0].read_text()) == first
    assert analysis.analyse(imported) == first
    import_log(imported, tmp_path, "x1,Signalement,2024-03-01T10:00:00,A\n", "more.csv")
    again = analysis.analyse(imported)
    assert len(list(analysis.cache_dir().glob("*.json"))) == 2
    assert again["n_cases"] == 15


def test_no_batch_no_analysis(jimmy):
    assert analysis.analyse(jimmy) is None


def test_queue_trends_compare_the_first_and_last_four_weeks():
    monday = dt.date(2024, 1, 1)
    waiting = {"A": [10] * 6 + [20] * 6, "B": [30] * 12, "C": [9] * 11 + [3], "D": [5] * 12}
    rows = []
    for k in range(12):
        week = monday + dt.timedelta(weeks=k)
        total = sum(values[k] for values in waiting.values())
        rows.append(WeeklyMeasures("jimmy", None, week, "", waiting=total))
        rows += [WeeklyMeasures("jimmy", t, week, "", waiting=v[k]) for t, v in waiting.items()]
    queues = {q["team"]: q for q in analysis._queues(rows, None)}
    assert (queues["A"]["first"], queues["A"]["last"], queues["A"]["trend"]) == (10, 20, "growing")
    assert queues["B"]["trend"] == "stable"
    # A hidden week (3) in C's last weeks: no figures and no trend for C, nor for D, whose 5
    # that week is hidden so that the all-teams total does not give C's 3 back.
    assert queues["C"]["trend"] is None and queues["C"]["last"] is None
    assert queues["D"]["trend"] is None
    assert queues[None]["first"] == 54
    # With a team restriction, only those teams.
    assert [q["team"] for q in analysis._queues(rows, ["B"])] == ["B"]
