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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pyarrow as pa

from .backends import Dialect
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


# --- The queries: functions of the dialect `q` (see `backends`), run by DuckDB or Spark. ------
# Inputs are bound parameters, written {p("name")}; `p` is `q.param`.


# Trajectory events: activity instances whose activity marks a step, with their local date,
# ISO week and episode. Without an explicit episode, a request opens an episode when the case
# has none open (no request yet, or a closure since the last request); a request while one is
# open joins it. Instances before a case's first request belong to no episode and are left out.
#
# An episode is keyed by (case_id, ep_no). A derived episode's ep_no is the position of the
# request that opened it (found among the requests and closures only, a fifth of the events,
# then joined back by range: no window over every event); an explicit one's is minus its rank
# among the case's episode names, so the two kinds never share a key.
#
# In these tables `team` is the team's code (`engine.CODED`), named in Python at the end.
def events_sql(q: Dialect) -> str:
    p = q.param
    return f"""
WITH stepped AS (
    SELECT i.case_id, i.episode, i.start_ts, i.team_code AS team, i.pos, s.step_index,
           s.repeatable, {q.local_date("i.start_ts", p("tz"))} AS d
    FROM instances i
    JOIN activity_codes a ON a.activity_code = i.activity_code
    JOIN tr_steps s ON s.activity = a.activity
),
markers AS (
    SELECT case_id, pos, step_index,
           lag(step_index) OVER (PARTITION BY case_id ORDER BY pos) AS previous_marker
    FROM stepped
    WHERE step_index = {p("request")} OR step_index = {p("closure")}
),
openings AS (
    SELECT case_id, pos AS opened_at,
           lead(pos) OVER (PARTITION BY case_id ORDER BY pos) AS next_opening
    FROM markers
    WHERE step_index = {p("request")}
      AND (previous_marker IS NULL OR previous_marker = {p("closure")})
),
explicit AS (
    SELECT case_id, episode,
           -dense_rank() OVER (PARTITION BY case_id ORDER BY episode) AS ep_no
    FROM (SELECT DISTINCT case_id, episode FROM stepped WHERE episode IS NOT NULL) named
),
numbered AS (
    SELECT s.*, o.opened_at
    FROM stepped s
    LEFT JOIN openings o
      ON o.case_id = s.case_id AND s.pos >= o.opened_at
     AND (o.next_opening IS NULL OR s.pos < o.next_opening)
)
SELECT n.case_id, n.episode, n.start_ts, n.team, n.pos, n.step_index, n.repeatable, n.d,
       {q.week_start("n.d")} AS week, coalesce(x.ep_no, n.opened_at) AS ep_no
FROM numbered n
LEFT JOIN explicit x ON x.case_id = n.case_id AND x.episode = n.episode
WHERE n.episode IS NOT NULL OR n.opened_at IS NOT NULL
"""


def episodes_sql(q: Dialect) -> str:
    """One row per episode: its first request, evaluation, service and closure (date, team,
    position), and how many teams served it (0, 1, or 2 for two or more: all the closures
    query asks, and cheaper than counting distinct teams)."""
    p = q.param
    service = f"e.step_index >= {p('first_service')} AND e.step_index < {p('closure')}"
    continuity = f"e.step_index >= {p('continuity_from')} AND e.step_index < {p('closure')}"

    def first_team(condition: str) -> str:
        return f"{q.first_by('e.team', 'e.pos')} FILTER (WHERE {condition})"

    return f"""
WITH episodes AS (
    SELECT e.case_id, e.ep_no,
           min(e.pos) FILTER (WHERE e.step_index = {p("request")}) AS request_pos,
           min(e.d) FILTER (WHERE e.step_index = {p("request")}) AS request_d,
           {first_team(f"e.step_index = {p('request')}")} AS request_team,
           min(e.d) FILTER (WHERE e.step_index = {p("evaluation")}) AS evaluation_d,
           {first_team(f"e.step_index = {p('evaluation')}")} AS evaluation_team,
           min(e.d) FILTER (WHERE {service}) AS service_d,
           {first_team(service)} AS service_team,
           min(e.pos) FILTER (WHERE e.step_index = {p("closure")}) AS closure_pos,
           min(e.d) FILTER (WHERE e.step_index = {p("closure")}) AS closure_d,
           {first_team(f"e.step_index = {p('closure')}")} AS closure_team,
           CASE WHEN count(e.team) FILTER (WHERE {continuity}) = 0 THEN 0
                WHEN min(e.team) FILTER (WHERE {continuity})
                     = max(e.team) FILTER (WHERE {continuity}) THEN 1
                ELSE 2 END AS service_teams
    FROM tr_events e
    GROUP BY e.case_id, e.ep_no
),
handoff_counts AS (
    SELECT case_id, ep_no, count(*) AS n_handoffs FROM tr_handoffs GROUP BY case_id, ep_no
)
SELECT g.*, coalesce(h.n_handoffs, 0) AS n_handoffs
FROM episodes g
LEFT JOIN handoff_counts h ON h.case_id = g.case_id AND h.ep_no = g.ep_no
"""


# A hand-off: two consecutive service events of an episode (both naming a team) whose teams
# differ; the gap is the days between them, i.e. from the last service of the team left to the
# first with the team joined. It is counted in the week, and for the team, of the joining event.
def handoffs_sql(q: Dialect) -> str:
    p = q.param
    return f"""
WITH service AS (
    SELECT case_id, ep_no, team, d, week, pos
    FROM tr_events
    WHERE step_index >= {p("continuity_from")} AND step_index < {p("closure")}
      AND team IS NOT NULL
),
pairs AS (
    SELECT *, lag(team) OVER w AS previous_team, lag(d) OVER w AS previous_d
    FROM service
    WINDOW w AS (PARTITION BY case_id, ep_no ORDER BY pos)
)
SELECT case_id, ep_no, week, team, previous_team, {q.days_between("previous_d", "d")} AS gap_days
FROM pairs
WHERE previous_team IS NOT NULL AND previous_team <> team
"""


BOUNDS_SQL = "SELECT min(week), max(week) FROM tr_events"
TEAMS_SQL = "SELECT DISTINCT team FROM tr_events WHERE team IS NOT NULL ORDER BY team"

# Each aggregate returns (week, team, is_total, ...): GROUPING SETS gives the per-team rows and
# the all-teams row in one pass; grouping(team) tells a total from a team that is NULL.


# A re-referral: a request of a case that had another episode closed before it, less than
# $months months before.
def requests_sql(q: Dialect) -> str:
    return f"""
WITH requests AS (
    SELECT case_id, ep_no, request_pos, request_d, {q.week_start("request_d")} AS week,
           request_team AS team
    FROM tr_episodes
    WHERE request_d IS NOT NULL
),
re_referred AS (
    SELECT DISTINCT r.case_id, r.ep_no
    FROM requests r
    JOIN tr_episodes p
      ON p.case_id = r.case_id AND p.ep_no <> r.ep_no AND p.closure_pos < r.request_pos
     AND r.request_d < {q.add_months("p.closure_d", q.param("months"))}
)
SELECT week, team, grouping(team), count(*), count(f.ep_no)
FROM requests r LEFT JOIN re_referred f ON f.case_id = r.case_id AND f.ep_no = r.ep_no
GROUP BY GROUPING SETS ((week, team), (week))
"""


# Delay from the request to the first evaluation / first service, counted in the week (and for
# the team) of that evaluation or service: the week in which the delay became known.
def delay_sql(q: Dialect, step: str) -> str:
    p = q.param
    return f"""
WITH delays AS (
    SELECT {q.week_start(f"{step}_d")} AS week, {step}_team AS team,
           {q.days_between("request_d", f"{step}_d")} AS days
    FROM tr_episodes
    WHERE {step}_d IS NOT NULL AND request_d IS NOT NULL
)
SELECT week, team, grouping(team), count(*), avg(days), {q.quantile("days", 0.5)},
       {q.quantile("days", 0.9)},
       avg(CASE WHEN NOT {p("has_target")} THEN NULL
                WHEN days <= {p("target")} THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END)
FROM delays GROUP BY GROUPING SETS ((week, team), (week))
"""


# The episode columns are named evaluation_d/_team and service_d/_team.
DELAY_STEPS = {"evaluation": "evaluation", "first_service": "service"}


# Waiting list at the end of each week (Sunday, local date): episodes requested on or before
# that day with neither a first service nor a closure by then. Their age is the days from the
# request to that Sunday. The team is the one holding the episode at that moment: the team of
# its latest event on or before that day (the last one of the day when there are several).
# tr_weeks holds the Mondays of the range, registered from Python.
#
# Computed as intervals: an episode waits from its request until its first service or closure
# (`stop_d`, excluded); only its events before then can say who holds it, and each such day
# starts a holding interval up to the next one (or `stop_d`). A week's Sunday falls in at most
# one interval of each episode, so listing each interval's Sundays gives every (week, waiting
# episode, team) once. The Sundays in [since, until) are those of the Mondays from
# week_start(since) to week_start(until - 7), until cut at the end of the last week; listing
# them is linear in what they produce, where joining intervals against weeks by range was not.
def waiting_sql(q: Dialect) -> str:
    never = "DATE '9999-12-31'"
    return f"""
WITH open_episodes AS (
    SELECT case_id, ep_no, request_d,
           least(coalesce(service_d, {never}), coalesce(closure_d, {never})) AS stop_d
    FROM tr_episodes
    WHERE request_d IS NOT NULL
),
daily AS (
    SELECT e.case_id, e.ep_no, e.d, {q.last_by("e.team", "e.pos")} AS team,
           min(o.request_d) AS request_d, min(o.stop_d) AS stop_d
    FROM tr_events e
    JOIN open_episodes o ON o.case_id = e.case_id AND o.ep_no = e.ep_no
    WHERE e.d < o.stop_d
    GROUP BY e.case_id, e.ep_no, e.d
),
holding AS (
    SELECT team, request_d, greatest(d, request_d) AS since,
           least(coalesce(lead(d) OVER (PARTITION BY case_id, ep_no ORDER BY d), stop_d),
                 stop_d, (SELECT {q.add_days("max(week)", "7")} FROM tr_weeks)) AS until
    FROM daily
),
spans AS (
    SELECT team, request_d, {q.week_start("since")} AS first_week,
           CAST({q.days_between(q.week_start("since"), q.week_start(q.add_days("until", "-7")))}
                / 7 AS INTEGER) + 1 AS n_weeks
    FROM holding
),
listed AS (
    SELECT team, request_d, first_week, {q.each_below("n_weeks")} AS k
    FROM spans
    WHERE n_weeks > 0
),
aged AS (
    SELECT {q.add_days("first_week", "7 * k")} AS week, team,
           {q.days_between("request_d", q.add_days("first_week", "7 * k + 6"))} AS age
    FROM listed
)
SELECT week, team, grouping(team), count(*), avg(age), {q.quantile("age", 0.5)},
       {q.quantile("age", 0.9)}
FROM aged GROUP BY GROUPING SETS ((week, team), (week))
"""


def handoff_aggregate_sql(q: Dialect) -> str:
    return f"""
SELECT week, team, grouping(team), count(*), avg(gap_days), {q.quantile("gap_days", 0.5)},
       {q.quantile("gap_days", 0.9)}
FROM tr_handoffs GROUP BY GROUPING SETS ((week, team), (week))
"""


# Rework: a step that is not repeatable done again, in the same episode, by the same team.
# Counted in the week, and for the team, of the repetition.
REWORK_SQL = """
WITH numbered AS (
    SELECT week, team,
           row_number() OVER (PARTITION BY case_id, ep_no, step_index, team ORDER BY pos)
               AS nth
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
def repeated_assessments_sql(q: Dialect) -> str:
    p = q.param
    return f"""
WITH evaluations AS (
    SELECT week, team, d, lag(d) OVER (PARTITION BY case_id ORDER BY pos) AS previous_d
    FROM tr_events
    WHERE step_index = {p("evaluation")}
)
SELECT week, team, grouping(team), count(*)
FROM evaluations
WHERE previous_d IS NOT NULL AND d < {q.add_months("previous_d", p("months"))}
GROUP BY GROUPING SETS ((week, team), (week))
"""


# Episode-level continuity, known once the episode is closed: counted in the week, and for the
# team, of the closure. Episodes closed without any service event have no hand-off or
# continuity to speak of and are left out of those two measures.
def closures_sql(q: Dialect) -> str:
    return f"""
WITH closed AS (
    SELECT {q.week_start("closure_d")} AS week, closure_team AS team, service_teams, n_handoffs
    FROM tr_episodes
    WHERE closure_d IS NOT NULL
)
SELECT week, team, grouping(team), count(*), count(*) FILTER (WHERE service_teams > 0),
       avg(n_handoffs) FILTER (WHERE service_teams > 0),
       avg(CASE WHEN service_teams = 1 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END)
           FILTER (WHERE service_teams > 0)
FROM closed GROUP BY GROUPING SETS ((week, team), (week))
"""


def _aggregates(
    q: Dialect, targets: Mapping[str, int | None]
) -> Iterable[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(sql, measure names for the value columns, extra params) of each weekly aggregate."""
    yield requests_sql(q), ("new_requests", "re_referrals"), {}
    for role, step in DELAY_STEPS.items():
        plural = "evaluations" if role == "evaluation" else "first_services"
        target = targets[role]
        yield (
            delay_sql(q, step),
            (
                plural,
                f"{role}_delay_mean_days",
                f"{role}_delay_median_days",
                f"{role}_delay_p90_days",
                f"{role}_within_target",
            ),
            {"has_target": target is not None, "target": target or 0},
        )
    yield (
        waiting_sql(q),
        ("waiting", "waiting_age_mean_days", "waiting_age_median_days", "waiting_age_p90_days"),
        {},
    )
    yield (
        handoff_aggregate_sql(q),
        ("handoffs", "handoff_gap_mean_days", "handoff_gap_median_days", "handoff_gap_p90_days"),
        {},
    )
    yield REWORK_SQL, ("rework",), {}
    yield repeated_assessments_sql(q), ("repeated_assessments",), {}
    yield (
        closures_sql(q),
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
        backend, q = log.backend, log.dialect
        backend.register("tr_steps", definition.steps_table())
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
            backend.materialise("tr_events", events_sql(q), params)
            backend.materialise("tr_handoffs", handoffs_sql(q), params)
            backend.materialise("tr_episodes", episodes_sql(q), params)
            first_week, last_week = backend.fetch(BOUNDS_SQL)[0]
            if first_week is None:
                return []
            team_name = log.names("team")
            teams = [team_name[code] for (code,) in backend.fetch(TEAMS_SQL)]
            weeks = []
            week = first_week
            while week <= last_week:
                weeks.append(week)
                week += dt.timedelta(days=7)
            backend.register("tr_weeks", pa.table({"week": pa.array(weeks, pa.date32())}))
            rows: dict[tuple[dt.date, str | None], WeeklyMeasures] = {
                (week, team): WeeklyMeasures(definition.name, team, week, _iso_week(week))
                for week in weeks
                for team in [None, *teams]
            }
            targets = {
                "evaluation": definition.evaluation_target_days,
                "first_service": definition.first_service_target_days,
            }
            for sql, names, extra in _aggregates(q, targets):
                for week, team, is_total, *measured in backend.fetch(sql, params | extra):
                    if not is_total and team is None:
                        continue  # no team named: already in the all-teams row
                    row = rows[(week, None if is_total else team_name[team])]
                    for name, value in zip(names, measured, strict=True):
                        setattr(row, name, _plain(value))
        finally:
            for table in ("tr_steps", "tr_weeks"):
                backend.unregister(table)
            for table in ("tr_events", "tr_handoffs", "tr_episodes"):
                backend.drop(table)
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
