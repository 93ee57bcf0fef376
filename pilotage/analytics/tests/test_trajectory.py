"""Weekly trajectory measures on a small hand-made log, against hand-computed values.

The log (all times 10:00 in Montreal; weeks start on Monday 2024-01-01, ISO week 1):

* case 1: request (A, Mon 01-01), screening (A, 01-03), evaluation (A, 01-08), orientation
  (A, 01-09), service by B (01-15, 01-22), service by C (01-29), closure (C, Fri 02-02).
  -> evaluation delay 7, first-service delay 14, one hand-off B->C with a 7-day gap.
* case 2: request (A, 01-02), evaluation (A, 01-04), evaluation again (A, 01-19); never served.
  -> the second evaluation is rework (same team, same step, same episode) and a repeated
  assessment; the case waits every week.
* case 3: request (A, 01-03), evaluation (A, Sat 01-20), service (B, 01-24), closure (B, 01-26);
  then a new request (A, 01-31) and evaluation (A, 02-01).
  -> second episode is a re-referral; its evaluation is a repeated assessment, not rework.
* case 4: request with no team (Wed 01-10); nothing else. Counts in the all-teams rows only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pilotage.analytics import (
    Step,
    TrajectoryDefinition,
    WeeklyMeasures,
    events_table,
    measures_as_dicts,
    suppress_weekly,
    weekly_measures,
)
from pilotage.analytics.backends import Dialect, DuckDBBackend
from pilotage.analytics.engine import EventLog

MONTREAL = ZoneInfo("America/Montreal")

JIMMY = TrajectoryDefinition(
    name="jimmy",
    steps=(
        Step("request", frozenset({"Signalement"})),
        Step("screening", frozenset({"Tri"})),
        Step("evaluation", frozenset({"Évaluation"})),
        Step("orientation", frozenset({"Orientation"})),
        Step("services", frozenset({"Suivi", "Intervention"})),
        Step("closure", frozenset({"Fermeture"})),
    ),
    request="request",
    evaluation="evaluation",
    first_service="services",
    closure="closure",
    evaluation_target_days=12,
    first_service_target_days=30,
)

W1, W2, W3, W4, W5 = (dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(5))


def event(case: str, activity: str, day: str, team: str | None) -> dict[str, object]:
    moment = dt.datetime.fromisoformat(f"2024-{day}T10:00").replace(tzinfo=MONTREAL)
    return {"case": case, "activity": activity, "timestamp": moment, "team": team}


LOG = [
    event("1", "Signalement", "01-01", "A"),
    event("1", "Tri", "01-03", "A"),
    event("1", "Évaluation", "01-08", "A"),
    event("1", "Orientation", "01-09", "A"),
    event("1", "Suivi", "01-15", "B"),
    event("1", "Intervention", "01-22", "B"),
    event("1", "Suivi", "01-29", "C"),
    event("1", "Fermeture", "02-02", "C"),
    event("2", "Signalement", "01-02", "A"),
    event("2", "Évaluation", "01-04", "A"),
    event("2", "Évaluation", "01-19", "A"),
    event("3", "Signalement", "01-03", "A"),
    event("3", "Évaluation", "01-20", "A"),
    event("3", "Suivi", "01-24", "B"),
    event("3", "Fermeture", "01-26", "B"),
    event("3", "Signalement", "01-31", "A"),
    event("3", "Évaluation", "02-01", "A"),
    event("4", "Signalement", "01-10", None),
    event("4", "Unrelated activity", "01-11", "Z"),  # marks no step: ignored
]


@pytest.fixture(scope="module")
def measures() -> dict[tuple[str | None, dt.date], WeeklyMeasures]:
    rows = weekly_measures(events_table(LOG), JIMMY)
    return {(row.team, row.week): row for row in rows}


def test_grid_covers_every_week_and_team(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    assert sorted(measures, key=lambda k: (k[1], k[0] or "")) == [
        (team, week) for week in (W1, W2, W3, W4, W5) for team in (None, "A", "B", "C")
    ]
    assert measures[(None, W1)].iso_week == "2024-W01"
    assert measures[(None, W1)].trajectory == "jimmy"


def test_new_requests_and_re_referrals(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    assert [measures[(None, w)].new_requests for w in (W1, W2, W3, W4, W5)] == [3, 1, 0, 0, 1]
    assert [measures[("A", w)].new_requests for w in (W1, W2, W3, W4, W5)] == [3, 0, 0, 0, 1]
    assert [measures[(None, w)].re_referrals for w in (W1, W2, W3, W4, W5)] == [0, 0, 0, 0, 1]
    assert measures[("A", W5)].re_referrals == 1


def test_evaluation_delays_and_target(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    delays = {
        w: (
            measures[("A", w)].evaluations,
            measures[("A", w)].evaluation_delay_mean_days,
            measures[("A", w)].evaluation_within_target,
        )
        for w in (W1, W2, W3, W4, W5)
    }
    assert delays == {
        W1: (1, 2.0, 1.0),  # case 2: 01-02 -> 01-04
        W2: (1, 7.0, 1.0),  # case 1: 01-01 -> 01-08
        W3: (1, 17.0, 0.0),  # case 3: 01-03 -> Sat 01-20, over 12 days
        W4: (0, None, None),
        W5: (1, 1.0, 1.0),  # case 3 again: 01-31 -> 02-01
    }
    assert measures[(None, W3)].evaluation_delay_median_days == 17.0


def test_first_service_delays(measures: dict[tuple[str | None, dt.date], WeeklyMeasures]) -> None:
    assert measures[("B", W3)].first_services == 1
    assert measures[("B", W3)].first_service_delay_mean_days == 14.0
    assert measures[("B", W4)].first_service_delay_p90_days == 21.0
    assert measures[("B", W4)].first_service_within_target == 1.0
    assert measures[(None, W5)].first_services == 0
    assert measures[(None, W5)].first_service_delay_mean_days is None


def test_waiting_list_at_week_end(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    total = measures[(None, W2)]
    # Sunday 01-14: cases 1 (13 days), 2 (12), 3 (11), 4 (4, no team).
    assert total.waiting == 4
    assert total.waiting_age_mean_days == 10.0
    assert total.waiting_age_median_days == 11.5
    assert total.waiting_age_p90_days == pytest.approx(12.7)
    assert measures[("A", W2)].waiting == 3
    assert measures[("A", W2)].waiting_age_p90_days == pytest.approx(12.8)
    assert [measures[(None, w)].waiting for w in (W1, W2, W3, W4, W5)] == [3, 4, 3, 2, 3]
    # Sunday 02-04: case 2 (33 days, A), case 4 (25, no team), case 3's new episode (4, A).
    assert measures[(None, W5)].waiting_age_median_days == 25.0
    assert measures[(None, W5)].waiting_age_p90_days == pytest.approx(31.4)
    assert measures[("A", W5)].waiting == 2
    assert measures[("B", W5)].waiting == 0


def test_handoff_versus_rework(measures: dict[tuple[str | None, dt.date], WeeklyMeasures]) -> None:
    # Case 1 moves from B to C: one hand-off, counted for C in the week C starts.
    assert measures[("C", W5)].handoffs == 1
    assert measures[("C", W5)].handoff_gap_mean_days == 7.0
    assert sum(row.handoffs for key, row in measures.items() if key[0] is None) == 1
    # Case 2 is evaluated twice by A in one episode: rework, not a hand-off.
    assert measures[("A", W3)].rework == 1
    assert measures[("A", W3)].handoffs == 0
    assert sum(row.rework for key, row in measures.items() if key[0] is None) == 1
    # Case 1's two B services are continuity, not rework (services are repeatable).
    assert measures[("B", W4)].rework == 0


def test_repeated_assessments(measures: dict[tuple[str | None, dt.date], WeeklyMeasures]) -> None:
    assert [measures[(None, w)].repeated_assessments for w in (W1, W2, W3, W4, W5)] == [
        0,
        0,
        1,
        0,
        1,
    ]


def test_closures_and_continuity(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    single = measures[("B", W4)]  # case 3, first episode: served by B only
    assert (single.episodes_closed, single.closed_with_services) == (1, 1)
    assert single.handoffs_per_closed_episode == 0.0
    assert single.same_team_continuity_rate == 1.0
    moved = measures[("C", W5)]  # case 1: served by B then C
    assert moved.episodes_closed == 1
    assert moved.handoffs_per_closed_episode == 1.0
    assert moved.same_team_continuity_rate == 0.0
    assert measures[(None, W1)].same_team_continuity_rate is None


def test_explicit_episodes_are_used_as_given() -> None:
    rows = [
        dict(event("9", "Signalement", "01-01", "A"), episode="e1"),
        dict(event("9", "Évaluation", "01-05", "A"), episode="e1"),
        dict(event("9", "Signalement", "01-02", "A"), episode="e2"),
        dict(event("9", "Évaluation", "01-03", "A"), episode="e2"),
    ]
    result = weekly_measures(events_table(rows), JIMMY)
    total = next(r for r in result if r.team is None and r.week == W1)
    assert total.new_requests == 2
    assert total.evaluation_delay_mean_days == 2.5  # (4 + 1) / 2
    assert total.rework == 0  # one evaluation per episode
    assert total.repeated_assessments == 1  # same case, within 12 months


def test_weeks_follow_the_time_zone() -> None:
    # Sunday 2024-01-07 23:30 in Montreal is Monday 04:30 UTC: still week 1 in Montreal.
    late = dt.datetime(2024, 1, 7, 23, 30, tzinfo=MONTREAL)
    rows = [{"case": "x", "activity": "Signalement", "timestamp": late, "team": "A"}]
    montreal = weekly_measures(events_table(rows), JIMMY)
    utc = weekly_measures(events_table(rows), JIMMY, time_zone="UTC")
    assert [r.week for r in montreal if r.team is None] == [W1]
    assert [r.week for r in utc if r.team is None] == [W2]


def test_no_trajectory_event_gives_no_rows() -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=MONTREAL)
    table = events_table([{"case": "x", "activity": "Other", "timestamp": moment}])
    assert weekly_measures(table, JIMMY) == []


def test_definition_is_validated() -> None:
    with pytest.raises(ValueError, match="not a step"):
        TrajectoryDefinition.from_dict(
            {
                "name": "t",
                "steps": [{"name": "a", "activities": ["x"]}],
                "request": "a",
                "evaluation": "a",
                "first_service": "a",
                "closure": "missing",
            }
        )
    with pytest.raises(ValueError, match="marks both"):
        TrajectoryDefinition(
            name="t",
            steps=(Step("a", frozenset({"x"})), Step("b", frozenset({"x"}))),
            request="a",
            evaluation="a",
            first_service="a",
            closure="b",
        )


def test_plain_dicts(measures: dict[tuple[str | None, dt.date], WeeklyMeasures]) -> None:
    data = measures_as_dicts([measures[(None, W1)]])
    assert data[0]["week"] == "2024-01-01"
    assert data[0]["new_requests"] == 3


def test_suppression_of_weekly_counts(
    measures: dict[tuple[str | None, dt.date], WeeklyMeasures],
) -> None:
    shown = suppress_weekly(list(measures.values()), "new_requests")
    # Week 1: A has 3 requests (hidden), the total is 3 (hidden too: under 5).
    assert shown[("A", W1)] is None
    assert shown[(None, W1)] is None
    # Week 2: the only request has no team; B and C show 0 and stay visible, but the
    # unattributed 1 would be total minus teams, so the total is hidden.
    assert shown[(None, W2)] is None
    assert shown[("B", W2)] == 0
    # Week 3: nothing, nothing to hide.
    assert shown[(None, W3)] == 0
    with pytest.raises(ValueError, match="not a count measure"):
        suppress_weekly(list(measures.values()), "waiting_age_mean_days")


class ClashingDialect(Dialect):
    """DuckDB's dialect with a hash under which every case clashes with every other."""

    def hash64(self, value: str) -> str:
        return "CAST(7 AS UBIGINT)"


def test_cases_whose_hashes_clash_are_kept_apart() -> None:
    """The instances are keyed by a hash of the case; when two cases share one, they are built
    again keyed by the case itself, and nothing changes. Merged under one key, the four cases
    would be one case of 19 events: one variant, no re-referral, other delays."""
    backend = DuckDBBackend()
    backend.dialect = ClashingDialect()
    clashing = EventLog(events_table(LOG), backend=backend)
    plain = EventLog(events_table(LOG))
    try:
        assert clashing.stats() == plain.stats()
        assert clashing.stats()["n_cases"] == 4
        assert weekly_measures(clashing, JIMMY) == weekly_measures(plain, JIMMY)
    finally:
        clashing.close()
        plain.close()


def test_starts_pair_within_their_own_case_when_hashes_clash() -> None:
    """Case "s" has a start never completed; case "t" an orientation, then a screening with no
    start. Paired by hash, the screening of "t" would take the start of "s", begin first and
    reverse the order of the case."""
    moment = dt.datetime(2024, 1, 1, tzinfo=MONTREAL)
    rows = [
        {"case": "s", "activity": "Tri", "timestamp": moment, "lifecycle": "start"},
        {"case": "t", "activity": "Orientation", "timestamp": moment + dt.timedelta(hours=5)},
        {"case": "t", "activity": "Tri", "timestamp": moment + dt.timedelta(hours=9)},
    ]
    backend = DuckDBBackend()
    backend.dialect = ClashingDialect()
    clashing = EventLog(events_table(rows), backend=backend)
    try:
        follows = clashing.directly_follows()
        assert [(d.source, d.target, d.mean_seconds) for d in follows] == [
            ("Orientation", "Tri", 4 * 3600.0)
        ]
    finally:
        clashing.close()
