"""Weekly measures of a service trajectory (accessibility and continuity), per team.

A trajectory definition is plain data: ordered steps, each marked by a set of source
activities, and which steps are the request, the evaluation, the first service and the
closure. `weekly_measures` turns canonical events into one row per ISO week (Monday start, in
a configurable time zone) for the whole trajectory and for each team. Every definition, and
the choice made at each ambiguity, is written out in docs/trajectory-measures.md; the short
version is in the docstrings below.

All time arithmetic is on calendar dates in the chosen time zone: a delay is the number of
days between the local date of one step and the local date of the other, as administrative
standards count them ("evaluated within 12 days").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pyarrow as pa

from .canonical import zone
from .engine import EventLog, EventSource, opened

DEFAULT_TIME_ZONE = "America/Montreal"


@dataclass(frozen=True)
class Step:
    """One step of a trajectory, recognised by any of its source activities.

    `repeatable` says whether doing the step again in the same episode is normal (service
    sessions) or rework (a second evaluation by the same team). None means: the request step
    and the service steps are repeatable, the others are not.
    """

    name: str
    activities: frozenset[str]
    repeatable: bool | None = None


@dataclass(frozen=True)
class TrajectoryDefinition:
    """A service trajectory as plain data.

    The service steps are the steps from `first_service` up to, not including, `closure`;
    hand-offs and continuity look at the steps from `continuity_from` (default: the first
    service step) up to the closure, so a trajectory room can choose to count the move from
    the evaluating team to the serving team as a hand-off.
    """

    name: str
    steps: tuple[Step, ...]
    request: str
    evaluation: str
    first_service: str
    closure: str
    evaluation_target_days: int | None = 12
    first_service_target_days: int | None = None
    re_referral_months: int = 12
    continuity_from: str | None = None

    def __post_init__(self) -> None:
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError("step names must be unique")
        for role in ("request", "evaluation", "first_service", "closure"):
            if getattr(self, role) not in names:
                raise ValueError(f"{role} step {getattr(self, role)!r} is not a step")
        if self.continuity_from is not None and self.continuity_from not in names:
            raise ValueError(f"continuity_from step {self.continuity_from!r} is not a step")
        seen: dict[str, str] = {}
        for step in self.steps:
            for activity in step.activities:
                if activity in seen:
                    raise ValueError(
                        f"activity {activity!r} marks both {seen[activity]!r} and {step.name!r}"
                    )
                seen[activity] = step.name
        if self.index(self.first_service) >= self.index(self.closure):
            raise ValueError("the first service step must come before the closure step")
        if self.index(self.continuity_from or self.first_service) >= self.index(self.closure):
            raise ValueError("continuity_from must come before the closure step")
        if self.re_referral_months < 1:
            raise ValueError("re_referral_months must be at least 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrajectoryDefinition:
        """From JSON-like data: steps as ``{"name", "activities": [...], "repeatable"?}``."""
        values = dict(data)
        values["steps"] = tuple(
            Step(s["name"], frozenset(s["activities"]), s.get("repeatable")) for s in data["steps"]
        )
        return cls(**values)

    def index(self, step_name: str) -> int:
        return [step.name for step in self.steps].index(step_name)

    def is_repeatable(self, position: int) -> bool:
        step = self.steps[position]
        if step.repeatable is not None:
            return step.repeatable
        service = self.index(self.first_service) <= position < self.index(self.closure)
        return service or position == self.index(self.request)

    def steps_table(self) -> pa.Table:
        """activity -> step position and repeatability, to join events against."""
        rows = [
            (activity, position, self.is_repeatable(position))
            for position, step in enumerate(self.steps)
            for activity in sorted(step.activities)
        ]
        return pa.table(
            {
                "activity": pa.array([r[0] for r in rows], pa.string()),
                "step_index": pa.array([r[1] for r in rows], pa.int32()),
                "repeatable": pa.array([r[2] for r in rows], pa.bool_()),
            }
        )


@dataclass
class WeeklyMeasures:
    """The measures of one trajectory for one ISO week, for one team or (team None) all.

    Counts are 0 when nothing happened; a statistic over nothing is None. Delays and ages are
    in days; ``*_within_target`` and rates are shares between 0 and 1. Events without a team
    count in the all-teams row only, so team rows may add up to less than it.
    """

    trajectory: str
    team: str | None
    week: dt.date
    iso_week: str
    new_requests: int = 0
    re_referrals: int = 0
    waiting: int = 0
    waiting_age_mean_days: float | None = None
    waiting_age_median_days: float | None = None
    waiting_age_p90_days: float | None = None
    evaluations: int = 0
    evaluation_delay_mean_days: float | None = None
    evaluation_delay_median_days: float | None = None
    evaluation_delay_p90_days: float | None = None
    evaluation_within_target: float | None = None
    first_services: int = 0
    first_service_delay_mean_days: float | None = None
    first_service_delay_median_days: float | None = None
    first_service_delay_p90_days: float | None = None
    first_service_within_target: float | None = None
    handoffs: int = 0
    handoff_gap_mean_days: float | None = None
    handoff_gap_median_days: float | None = None
    handoff_gap_p90_days: float | None = None
    rework: int = 0
    repeated_assessments: int = 0
    episodes_closed: int = 0
    closed_with_services: int = 0
    handoffs_per_closed_episode: float | None = None
    same_team_continuity_rate: float | None = None


#: Measures that are counts of people or events: the ones small-count suppression applies to.
COUNT_MEASURES = tuple(
    f.name for f in fields(WeeklyMeasures) if f.type == "int" and f.name != "week"
)


# --- The queries. Inputs are bound as named parameters ($tz, $request, ...). ---------------

# Trajectory events: activity instances whose activity marks a step, with their local date,
# ISO week and episode. Without an explicit episode, a request opens an episode when the case
# has none open (no request yet, or a closure since the last request); a request while one is
# open joins it. Instances before a case's first request belong to no episode and are left out.
EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE tr_events AS
WITH stepped AS (
    SELECT i.case_id, i.episode, i.start_ts, i.team, i.pos, s.step_index, s.repeatable,
           CAST(timezone($tz, i.start_ts) AS DATE) AS d
    FROM instances i
    JOIN tr_steps s ON s.activity = i.activity
),
flagged AS (
    SELECT *,
           max(CASE WHEN step_index = $request THEN pos END) OVER earlier AS last_request,
           max(CASE WHEN step_index = $closure THEN pos END) OVER earlier AS last_closure
    FROM stepped
    WINDOW earlier AS (PARTITION BY case_id ORDER BY pos
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
numbered AS (
    SELECT *,
           sum(CASE WHEN step_index = $request
                     AND (last_request IS NULL OR coalesce(last_closure, 0) > last_request)
                    THEN 1 ELSE 0 END)
               OVER (PARTITION BY case_id ORDER BY pos ROWS UNBOUNDED PRECEDING) AS opened
    FROM flagged
),
kept AS (
    SELECT case_id, episode, CASE WHEN episode IS NULL THEN opened END AS derived,
           start_ts, team, pos, step_index, repeatable, d,
           CAST(date_trunc('week', d) AS DATE) AS week
    FROM numbered
    WHERE episode IS NOT NULL OR opened > 0
)
SELECT *, dense_rank() OVER (ORDER BY case_id, episode, derived) AS ep_id
FROM kept
"""

EPISODES_SQL = """
CREATE OR REPLACE TEMP TABLE tr_episodes AS
WITH handoff_counts AS (
    SELECT ep_id, count(*) AS n_handoffs FROM tr_handoffs GROUP BY ep_id
)
SELECT e.ep_id, any_value(e.case_id) AS case_id,
       min(e.pos) FILTER (WHERE e.step_index = $request) AS request_pos,
       min(e.d) FILTER (WHERE e.step_index = $request) AS request_d,
       first(e.team ORDER BY e.pos) FILTER (WHERE e.step_index = $request) AS request_team,
       min(e.d) FILTER (WHERE e.step_index = $evaluation) AS evaluation_d,
       first(e.team ORDER BY e.pos) FILTER (WHERE e.step_index = $evaluation)
           AS evaluation_team,
       min(e.d) FILTER (WHERE e.step_index >= $first_service AND e.step_index < $closure)
           AS service_d,
       first(e.team ORDER BY e.pos)
           FILTER (WHERE e.step_index >= $first_service AND e.step_index < $closure)
           AS service_team,
       min(e.pos) FILTER (WHERE e.step_index = $closure) AS closure_pos,
       min(e.d) FILTER (WHERE e.step_index = $closure) AS closure_d,
       first(e.team ORDER BY e.pos) FILTER (WHERE e.step_index = $closure) AS closure_team,
       count(DISTINCT e.team) FILTER (
           WHERE e.step_index >= $continuity_from AND e.step_index < $closure) AS service_teams,
       coalesce(any_value(h.n_handoffs), 0) AS n_handoffs
FROM tr_events e
LEFT JOIN handoff_counts h ON h.ep_id = e.ep_id
GROUP BY e.ep_id
"""

# A hand-off: two consecutive service events of an episode (both naming a team) whose teams
# differ; the gap is the days between them, i.e. from the last service of the team left to the
# first with the team joined. It is counted in the week, and for the team, of the joining event.
HANDOFFS_SQL = """
CREATE OR REPLACE TEMP TABLE tr_handoffs AS
WITH service AS (
    SELECT ep_id, team, d, week, pos
    FROM tr_events
    WHERE step_index >= $continuity_from AND step_index < $closure AND team IS NOT NULL
),
pairs AS (
    SELECT *, lag(team) OVER w AS previous_team, lag(d) OVER w AS previous_d
    FROM service
    WINDOW w AS (PARTITION BY ep_id ORDER BY pos)
)
SELECT ep_id, week, team, previous_team, date_diff('day', previous_d, d) AS gap_days
FROM pairs
WHERE previous_team IS NOT NULL AND previous_team <> team
"""

BOUNDS_SQL = """
SELECT min(week), max(week), list(DISTINCT team ORDER BY team) FILTER (WHERE team IS NOT NULL)
FROM tr_events
"""

# Each aggregate returns (week, team, is_total, ...): GROUPING SETS gives the per-team rows and
# the all-teams row in one pass; grouping(team) tells a total from a team that is NULL.

REQUESTS_SQL = """
WITH requests AS (
    SELECT CAST(date_trunc('week', e.request_d) AS DATE) AS week, e.request_team AS team,
           EXISTS (
               SELECT 1 FROM tr_episodes p
               WHERE p.case_id = e.case_id AND p.ep_id <> e.ep_id
                 AND p.closure_pos < e.request_pos
                 AND e.request_d < p.closure_d + to_months($months)
           ) AS re_referral
    FROM tr_episodes e
    WHERE e.request_d IS NOT NULL
)
SELECT week, team, grouping(team), count(*), count(*) FILTER (WHERE re_referral)
FROM requests GROUP BY GROUPING SETS ((week, team), (week))
"""

# Delay from the request to the first evaluation / first service, counted in the week (and for
# the team) of that evaluation or service: the week in which the delay became known.
DELAY_SQL = """
WITH delays AS (
    SELECT CAST(date_trunc('week', {step}_d) AS DATE) AS week, {step}_team AS team,
           date_diff('day', request_d, {step}_d) AS days
    FROM tr_episodes
    WHERE {step}_d IS NOT NULL AND request_d IS NOT NULL
)
SELECT week, team, grouping(team), count(*), avg(days), quantile_cont(days, 0.5),
       quantile_cont(days, 0.9),
       avg(CASE WHEN days <= CAST($target AS INTEGER) THEN 1.0
                WHEN $target IS NULL THEN NULL ELSE 0.0 END)
FROM delays GROUP BY GROUPING SETS ((week, team), (week))
"""
# The episode columns are named evaluation_d/_team and service_d/_team.
DELAY_SQLS = {
    "evaluation": DELAY_SQL.format(step="evaluation"),
    "first_service": DELAY_SQL.format(step="service"),
}

# Waiting list at the end of each week (Sunday, local date): episodes requested on or before
# that day with neither a first service nor a closure by then. Their age is the days from the
# request to that Sunday. The team is the one holding the episode at that moment: the team of
# its latest event on or before that day (the last one of the day when there are several).
WAITING_SQL = """
WITH bounds AS (SELECT min(week) AS first_week, max(week) AS last_week FROM tr_events),
weeks AS (
    SELECT CAST(unnest(generate_series(CAST(first_week AS TIMESTAMP),
                                       CAST(last_week AS TIMESTAMP), INTERVAL 7 DAY)) AS DATE)
           AS week
    FROM bounds
),
waiting AS (
    SELECT w.week, w.week + 6 AS sunday, e.ep_id, e.request_d
    FROM weeks w
    JOIN tr_episodes e
      ON e.request_d <= w.week + 6
     AND (e.service_d IS NULL OR e.service_d > w.week + 6)
     AND (e.closure_d IS NULL OR e.closure_d > w.week + 6)
),
daily AS (
    SELECT ep_id, d, last(team ORDER BY pos) AS team FROM tr_events GROUP BY ep_id, d
),
holding AS (
    SELECT ep_id, team, d AS since, lead(d) OVER (PARTITION BY ep_id ORDER BY d) AS until
    FROM daily
),
aged AS (
    SELECT waiting.week, holding.team, date_diff('day', waiting.request_d, waiting.sunday) AS age
    FROM waiting
    JOIN holding
      ON holding.ep_id = waiting.ep_id AND holding.since <= waiting.sunday
     AND (holding.until IS NULL OR holding.until > waiting.sunday)
)
SELECT week, team, grouping(team), count(*), avg(age), quantile_cont(age, 0.5),
       quantile_cont(age, 0.9)
FROM aged GROUP BY GROUPING SETS ((week, team), (week))
"""

HANDOFF_AGGREGATE_SQL = """
SELECT week, team, grouping(team), count(*), avg(gap_days), quantile_cont(gap_days, 0.5),
       quantile_cont(gap_days, 0.9)
FROM tr_handoffs GROUP BY GROUPING SETS ((week, team), (week))
"""

# Rework: a step that is not repeatable done again, in the same episode, by the same team.
# Counted in the week, and for the team, of the repetition.
REWORK_SQL = """
WITH numbered AS (
    SELECT week, team,
           row_number() OVER (PARTITION BY ep_id, step_index, team ORDER BY pos) AS nth
    FROM tr_events
    WHERE NOT repeatable AND team IS NOT NULL
)
SELECT week, team, grouping(team), count(*)
FROM numbered
WHERE nth > 1
GROUP BY GROUPING SETS ((week, team), (week))
"""

# Repeated assessment: an evaluation of a case that had another evaluation, by any team and in
# any episode, less than $months months before. Counted in the week, and for the team, of the
# repeated one.
REPEATED_ASSESSMENTS_SQL = """
WITH evaluations AS (
    SELECT week, team, d, lag(d) OVER (PARTITION BY case_id ORDER BY pos) AS previous_d
    FROM tr_events
    WHERE step_index = $evaluation
)
SELECT week, team, grouping(team), count(*)
FROM evaluations
WHERE previous_d IS NOT NULL AND d < previous_d + to_months($months)
GROUP BY GROUPING SETS ((week, team), (week))
"""

# Episode-level continuity, known once the episode is closed: counted in the week, and for the
# team, of the closure. Episodes closed without any service event have no hand-off or
# continuity to speak of and are left out of those two measures.
CLOSURES_SQL = """
WITH closed AS (
    SELECT CAST(date_trunc('week', closure_d) AS DATE) AS week, closure_team AS team,
           service_teams, n_handoffs
    FROM tr_episodes
    WHERE closure_d IS NOT NULL
)
SELECT week, team, grouping(team), count(*), count(*) FILTER (WHERE service_teams > 0),
       avg(n_handoffs) FILTER (WHERE service_teams > 0),
       avg(CASE WHEN service_teams = 1 THEN 1.0 ELSE 0.0 END) FILTER (WHERE service_teams > 0)
FROM closed GROUP BY GROUPING SETS ((week, team), (week))
"""


def _params(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The named parameters `sql` uses (DuckDB refuses unused ones)."""
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", sql))}


def _aggregates() -> Iterable[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(sql, measure names for the value columns, extra params) of each weekly aggregate."""
    yield REQUESTS_SQL, ("new_requests", "re_referrals"), {}
    for role, sql in DELAY_SQLS.items():
        plural = "evaluations" if role == "evaluation" else "first_services"
        yield (
            sql,
            (
                plural,
                f"{role}_delay_mean_days",
                f"{role}_delay_median_days",
                f"{role}_delay_p90_days",
                f"{role}_within_target",
            ),
            {"target_role": role},
        )
    yield (
        WAITING_SQL,
        ("waiting", "waiting_age_mean_days", "waiting_age_median_days", "waiting_age_p90_days"),
        {},
    )
    yield (
        HANDOFF_AGGREGATE_SQL,
        ("handoffs", "handoff_gap_mean_days", "handoff_gap_median_days", "handoff_gap_p90_days"),
        {},
    )
    yield REWORK_SQL, ("rework",), {}
    yield REPEATED_ASSESSMENTS_SQL, ("repeated_assessments",), {}
    yield (
        CLOSURES_SQL,
        (
            "episodes_closed",
            "closed_with_services",
            "handoffs_per_closed_episode",
            "same_team_continuity_rate",
        ),
        {},
    )


def weekly_measures(
    events: EventSource | EventLog,
    definition: TrajectoryDefinition,
    *,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> list[WeeklyMeasures]:
    """One `WeeklyMeasures` per week from the first to the last week with a trajectory event,
    first the all-teams row (team None), then one per team in name order.

    Every week in the range appears, even when nothing happened, so that a run chart shows the
    zeros. The last week may be partial when the log ends mid-week.
    """
    zone(time_zone)  # fail early and clearly on a misspelt zone
    with opened(events) as log:
        log.query("SELECT 1")  # builds the activity instances
        connection = log.connection
        connection.register("tr_steps", definition.steps_table())
        params: dict[str, Any] = {
            "tz": time_zone,
            "request": definition.index(definition.request),
            "evaluation": definition.index(definition.evaluation),
            "first_service": definition.index(definition.first_service),
            "closure": definition.index(definition.closure),
            "continuity_from": definition.index(
                definition.continuity_from or definition.first_service
            ),
            "months": definition.re_referral_months,
        }
        try:
            for sql in (EVENTS_SQL, HANDOFFS_SQL, EPISODES_SQL):
                connection.execute(sql, _params(sql, params))
            bounds = connection.execute(BOUNDS_SQL).fetchall()[0]
            if bounds[0] is None:
                return []
            first_week, last_week, teams = bounds
            rows: dict[tuple[dt.date, str | None], WeeklyMeasures] = {}
            week = first_week
            while week <= last_week:
                for team in [None, *(teams or [])]:
                    rows[(week, team)] = WeeklyMeasures(
                        definition.name, team, week, _iso_week(week)
                    )
                week += dt.timedelta(days=7)
            targets = {
                "evaluation": definition.evaluation_target_days,
                "first_service": definition.first_service_target_days,
            }
            for sql, names, extra in _aggregates():
                values = dict(params)
                if "target_role" in extra:
                    values["target"] = targets[extra["target_role"]]
                for week, team, is_total, *measured in connection.execute(
                    sql, _params(sql, values)
                ).fetchall():
                    if not is_total and team is None:
                        continue  # no team named: already in the all-teams row
                    row = rows[(week, None if is_total else team)]
                    for name, value in zip(names, measured, strict=True):
                        setattr(row, name, _plain(value))
        finally:
            connection.unregister("tr_steps")
            for table in ("tr_events", "tr_handoffs", "tr_episodes"):
                connection.execute(f"DROP TABLE IF EXISTS {table}")
    return list(rows.values())


def _plain(value: Any) -> Any:
    """DuckDB may return Decimals or numpy-ish numbers; measures are plain int or float."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


def _iso_week(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def measures_as_dicts(rows: Sequence[WeeklyMeasures]) -> list[dict[str, Any]]:
    """Plain dicts (week as ISO date text) for JSON, templates and indicator imports."""
    result = []
    for row in rows:
        data = {f.name: getattr(row, f.name) for f in fields(row)}
        data["week"] = row.week.isoformat()
        result.append(data)
    return result
