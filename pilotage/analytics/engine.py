"""Process-mining statistics over canonical events, computed by DuckDB (or Spark).

Why DuckDB: the event log lives as Parquet files per import batch (DESIGN.md, "Storage"), and
DuckDB reads them in place, or a pyarrow table without a copy, and runs window queries over a
million events in about a second on one core, with no server to operate. The same queries run
on Spark over the same files (`pilotage.analytics.spark`): each is written once, as a function
of the `Dialect` that spells the few functions the two engines name differently (`backends`).

Building a query and running it are separate: the ``*_sql`` functions and ``*_SQL`` constants
are the queries, and `EventLog` runs them on one backend session.

Definitions (each chosen to match PM4Py on the same log, checked by the tests):

* An *activity instance* is a complete event, paired with the start event of the same case and
  activity that precedes it, first-in first-out as PM4Py's ``interval_lifecycle.to_interval``
  does; its start time is that start event's timestamp, or its own when it has none. Start
  events never completed are not instances. A log without lifecycle has only complete events,
  so its instances are its events.
* A case's instances are ordered by start time, then completion time, then source row: the
  order PM4Py sorts an interval log in, and plain event order for a log without lifecycle.
* *Directly-follows* counts consecutive instances of a case; its time is the next instance's
  start minus this instance's completion, in seconds (PM4Py's performance DFG: a waiting time,
  negative when the two overlap; for a log without lifecycle, the time between the events).
* *Variants* are the sequences of activities of the instances of each case.
* *Case duration* is from the first to the last event of the case, start events included.
* *Handover of work* (PM4Py, van der Aalst's metric with beta = 0, i.e. "real" handovers):
  for each pair of consecutive instances of a case that both name a resource (or team), one
  handover from the first to the second, including a resource handing over to itself;
  `share` is the count divided by all handovers of the log, PM4Py's value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import duckdb
import pyarrow as pa

from .backends import Backend, Dialect, DuckDBBackend, EventSource, connect

__all__ = ["EventLog", "EventSource", "connect"]  # and the statistics below
HandoverBy: TypeAlias = Literal["resource", "team"]


@dataclass(frozen=True)
class DirectlyFollows:
    """Activity `target` directly followed `source` `count` times; times in seconds."""

    source: str
    target: str
    count: int
    mean_seconds: float
    median_seconds: float


@dataclass(frozen=True)
class Variant:
    activities: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class CaseDurations:
    """Distribution of case durations in seconds (None when there are no cases)."""

    n_cases: int
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class Handover:
    source: str
    target: str
    count: int
    share: float


# The queries are functions of the dialect `q` (see `backends`): written once, run by DuckDB or
# Spark. No user input is ever formatted into them: values are bound parameters and the only
# variable identifier, the handover column, comes from a fixed whitelist.
#
# The activity, team and resource of every instance are carried as small integer codes: each
# name's rank in name order, in the tables ``activity_codes``, ``team_codes`` and
# ``resource_codes`` registered from Python before the instances are built. A sort, a window
# or a grouping moves integers instead of text (at 1,000,000 cases this halved the time of the
# instances), ordering codes is ordering names, and the few result rows are named in Python.
CODED: tuple[str, ...] = ("activity", "team", "resource")


def names_sql(column: str) -> str:
    """The distinct names of one of the CODED columns (a fixed identifier, never user input)."""
    return f"SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL"


def coded_events_sql(q: Dialect, *, hashed: bool) -> str:
    """The events with their names replaced by codes (a team or resource left blank stays NULL),
    and their case by its 64-bit hash when `hashed` (see `EventLog`)."""
    case = f"e.{q.ident('case')}"
    return f"""
SELECT {q.hash64(case) if hashed else case} AS case_id, {case} AS case_name, e.episode,
       a.activity_code, e.{q.ident("timestamp")} AS ts, e.lifecycle, t.team_code,
       r.resource_code, e.source_row
FROM events e
JOIN activity_codes a ON a.activity = e.activity
LEFT JOIN team_codes t ON t.team = e.team
LEFT JOIN resource_codes r ON r.resource = e.resource
"""


def paired_without_start_sql(q: Dialect, *, hashed: bool) -> str:
    """Fast path when the log has no start event: every complete event is an instance."""
    return f"""
SELECT case_id, case_name, episode, activity_code, ts AS start_ts, ts AS end_ts, team_code,
       resource_code, source_row
FROM ({coded_events_sql(q, hashed=hashed)}) coded
WHERE lifecycle = 'complete'
"""


def paired_with_start_sql(q: Dialect, *, hashed: bool) -> str:
    """FIFO pairing of start and complete events per (case, activity), in closed form.

    Walking the events in order, a complete is paired when an unpaired start is waiting. With
    s and c the running counts of starts and completes, the completes left unpaired so far
    number u = max(0, running max of c - s), so the m = c - u-th complete-that-got-a-start
    pairs with the m-th start; a complete is paired exactly when m grew since the previous
    complete. Pairing goes by the case identifier, not its hash, so that a case whose starts
    were never completed cannot lend them to another case with the same hash.
    """
    return f"""
WITH ordered AS (
    SELECT case_id, case_name, episode, activity_code, ts, team_code, resource_code,
           source_row, CASE WHEN lifecycle = 'start' THEN 1 ELSE 0 END AS is_start
    FROM ({coded_events_sql(q, hashed=hashed)}) coded
),
counted AS (
    SELECT *,
           sum(is_start) OVER w AS s_cum,
           sum(1 - is_start) OVER w AS c_cum
    FROM ordered
    WINDOW w AS (PARTITION BY case_name, activity_code ORDER BY ts, source_row, is_start DESC
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
unpaired AS (
    SELECT *,
           greatest(0, max(c_cum - s_cum) OVER (
               PARTITION BY case_name, activity_code ORDER BY ts, source_row, is_start DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS u
    FROM counted
),
completes AS (
    SELECT *, c_cum - u AS m,
           lag(c_cum - u, 1, 0) OVER (
               PARTITION BY case_name, activity_code ORDER BY ts, source_row) AS m_before
    FROM unpaired
    WHERE is_start = 0
),
starts AS (
    SELECT case_name, activity_code, s_cum AS s_index, ts AS start_ts
    FROM unpaired
    WHERE is_start = 1
)
SELECT c.case_id, c.case_name, c.episode, c.activity_code,
       coalesce(s.start_ts, c.ts) AS start_ts,
       c.ts AS end_ts, c.team_code, c.resource_code, c.source_row
FROM completes c
LEFT JOIN starts s
  ON s.case_name = c.case_name AND s.activity_code = c.activity_code AND c.m > c.m_before
     AND s.s_index = c.m
"""


def instances_sql(q: Dialect, *, with_start: bool, hashed: bool) -> str:
    """The instances in case order, each with its successor's activity and start, and the next
    resource and team named after it (skipping instances that name none): one window pass
    that directly-follows and both handover statistics then only group."""
    pairing = paired_with_start_sql if with_start else paired_without_start_sql
    paired = pairing(q, hashed=hashed)
    return f"""
WITH paired AS ({paired})
SELECT *,
       row_number() OVER w AS pos,
       lead(activity_code) OVER w AS next_activity_code,
       lead(start_ts) OVER w AS next_start_ts,
       {q.lead_ignoring_nulls("resource_code")} OVER w AS next_resource_code,
       {q.lead_ignoring_nulls("team_code")} OVER w AS next_team_code
FROM paired
WINDOW w AS (PARTITION BY case_id ORDER BY start_ts, end_ts, source_row)
"""


def directly_follows_sql(q: Dialect) -> str:
    return f"""
WITH pairs AS (
    SELECT activity_code AS source, next_activity_code AS target,
           {q.seconds_between("end_ts", "next_start_ts")} AS seconds
    FROM instances
    WHERE next_activity_code IS NOT NULL
)
SELECT source, target, count(*) AS n, avg(seconds), {q.quantile("seconds", 0.5)}
FROM pairs
GROUP BY source, target
ORDER BY n DESC, source, target
"""


def variants_sql(q: Dialect) -> str:
    return f"""
WITH traces AS (
    SELECT {q.ordered_codes("activity_code", "pos")} AS variant
    FROM instances
    GROUP BY case_id
)
SELECT variant, count(*) AS n FROM traces GROUP BY variant ORDER BY n DESC, variant
"""


# Two cases whose hashes are equal (see `EventLog`): when there are any, the instances are
# built again keyed by the case identifiers themselves.
CLASHES_SQL = """
SELECT count(*)
FROM (SELECT case_id FROM instances GROUP BY case_id HAVING min(case_name) <> max(case_name)) c
"""


def cases_sql(q: Dialect, *, with_start: bool) -> str:
    """The number of cases and their durations. A case's first and last events are its
    instances' first start and last completion unless start events were left unpaired, so
    only a log with start events is read again."""
    if with_start:
        ts = q.ident("timestamp")
        first, last, source, case = f"min({ts})", f"max({ts})", "events", q.ident("case")
    else:
        first, last, source, case = "min(start_ts)", "max(end_ts)", "instances", "case_id"
    return f"""
WITH cases AS (
    SELECT {q.seconds_between(first, last)} AS seconds
    FROM {source}
    GROUP BY {case}
)
SELECT count(*), avg(seconds), {q.quantile("seconds", 0.5)}, {q.quantile("seconds", 0.9)}
FROM cases
"""


# {column} is "resource" or "team", from HANDOVER_COLUMNS only.
HANDOVERS_SQL = """
SELECT {column}_code AS source, next_{column}_code AS target, count(*) AS n
FROM instances
WHERE {column}_code IS NOT NULL AND next_{column}_code IS NOT NULL
GROUP BY {column}_code, next_{column}_code
ORDER BY n DESC, source, target
"""
HANDOVER_COLUMNS: dict[str, str] = {"resource": "resource", "team": "team"}

COUNTS_SQL = """
SELECT count(*), count(*) FILTER (WHERE lifecycle = 'start')
FROM events
"""


class EventLog:
    """Canonical events loaded into a backend, with the statistics over them.

    `events` is a canonical pyarrow table, or one or more Parquet files in the canonical
    schema (read in place). The queries run in DuckDB in this process unless a `backend` is
    given (`pilotage.analytics.spark.SparkBackend` runs the same queries on Spark). The
    activity instances are built once, on first use, and shared by every statistic.

    The instances are keyed by a 64-bit hash of the case identifier (``case_id``; the
    identifier itself is ``case_name``): every later window, join and grouping by case then
    moves one integer instead of a text (at 1,000,000 cases the trajectory measures took 20 %
    less time). Two cases could share a hash (about 3 chances in 100 million for a million
    cases), so the instances are checked for it, and built again keyed by the identifiers if
    it ever happens: results never depend on the hash.
    """

    def __init__(
        self,
        events: EventSource,
        connection: duckdb.DuckDBPyConnection | None = None,
        *,
        backend: Backend | None = None,
    ) -> None:
        self.backend: Backend = backend if backend is not None else DuckDBBackend(connection)
        self.backend.load_events(events)
        self._counts: tuple[int, int] | None = None
        self._names: dict[str, list[str]] | None = None
        self._instances_built = False

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (DuckDB backend only), for queries of the application's own."""
        if not isinstance(self.backend, DuckDBBackend):
            raise TypeError("only a DuckDB event log has a DuckDB connection")
        return self.backend.connection

    @property
    def dialect(self) -> Dialect:
        return self.backend.dialect

    def close(self) -> None:
        self.backend.close()

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one of the engine's queries (after making sure instances exist)."""
        self._ensure_instances()
        return self.backend.fetch(sql, params)

    def event_counts(self) -> tuple[int, int]:
        """(events, start events)."""
        if self._counts is None:
            row = self.backend.fetch(COUNTS_SQL)[0]
            self._counts = (int(row[0]), int(row[1]))
        return self._counts

    def names(self, column: str) -> list[str]:
        """The names of one of the CODED columns, indexed by code."""
        self._ensure_instances()
        assert self._names is not None
        return self._names[column]

    def _ensure_instances(self) -> None:
        if self._instances_built:
            return
        if self._names is None:
            self._names = {}
            for column in CODED:
                # Python's order of str is code point order, that of UTF-8 bytes: the order
                # both engines sort text in.
                names = sorted(row[0] for row in self.backend.fetch(names_sql(column)))
                self._names[column] = names
                table = pa.table(
                    {
                        column: pa.array(names, pa.string()),
                        f"{column}_code": pa.array(range(len(names)), pa.int32()),
                    }
                )
                self.backend.register(f"{column}_codes", table)
        with_start = self.event_counts()[1] > 0
        sql = instances_sql(self.dialect, with_start=with_start, hashed=True)
        self.backend.materialise("instances", sql)
        if self.backend.fetch(CLASHES_SQL)[0][0]:
            sql = instances_sql(self.dialect, with_start=with_start, hashed=False)
            self.backend.materialise("instances", sql)
        self._instances_built = True

    def directly_follows(self) -> list[DirectlyFollows]:
        rows = self.query(directly_follows_sql(self.dialect))
        name = self.names("activity")
        return [
            DirectlyFollows(name[source], name[target], int(n), float(mean), float(median))
            for source, target, n, mean, median in rows
        ]

    def variants(self) -> list[Variant]:
        rows = self.query(variants_sql(self.dialect))
        name = self.names("activity")
        return [Variant(tuple(name[code] for code in variant), int(n)) for variant, n in rows]

    def case_durations(self) -> CaseDurations:
        sql = cases_sql(self.dialect, with_start=self.event_counts()[1] > 0)
        n, mean, median, p90 = self.query(sql)[0]
        return CaseDurations(int(n), mean, median, p90)

    def handovers(self, by: HandoverBy = "resource") -> list[Handover]:
        if by not in HANDOVER_COLUMNS:
            raise ValueError(f"handovers by {by!r}: use 'resource' or 'team'")
        column = HANDOVER_COLUMNS[by]
        rows = self.query(HANDOVERS_SQL.format(column=column))
        name = self.names(column)
        total = sum(int(n) for _, _, n in rows)
        return [
            Handover(name[source], name[target], int(n), int(n) / total)
            for source, target, n in rows
        ]

    def n_instances(self) -> int:
        row = self.query("SELECT count(*) FROM instances")[0]
        return int(row[0])

    def stats(self) -> dict[str, Any]:
        """Everything at once, as plain data (see `event_log_stats`)."""
        durations = self.case_durations()
        # vars() rather than dataclasses.asdict: asdict deep-copies field by field and took
        # longer than the queries themselves on 50,000 handover pairs.
        return {
            "n_cases": durations.n_cases,
            "n_events": self.event_counts()[0],
            "n_activity_instances": self.n_instances(),
            "directly_follows": [dict(vars(d)) for d in self.directly_follows()],
            "case_duration": dict(vars(durations)),
            "variants": [
                {"activities": list(v.activities), "count": v.count} for v in self.variants()
            ],
            "handovers": {
                "resource": [dict(vars(h)) for h in self.handovers("resource")],
                "team": [dict(vars(h)) for h in self.handovers("team")],
            },
        }


@contextmanager
def opened(events: EventSource | EventLog) -> Iterator[EventLog]:
    """An `EventLog` for the duration of one call; closed after unless the caller owns it."""
    if isinstance(events, EventLog):
        yield events
        return
    log = EventLog(events)
    try:
        yield log
    finally:
        log.close()


def directly_follows(events: EventSource | EventLog) -> list[DirectlyFollows]:
    """Directly-follows relations between activities, most frequent first."""
    with opened(events) as log:
        return log.directly_follows()


def variants(events: EventSource | EventLog) -> list[Variant]:
    """Distinct activity sequences and how many cases follow each, most frequent first."""
    with opened(events) as log:
        return log.variants()


def case_durations(events: EventSource | EventLog) -> CaseDurations:
    """Mean, median and 90th percentile (linear interpolation) of case durations."""
    with opened(events) as log:
        return log.case_durations()


def handovers(events: EventSource | EventLog, by: HandoverBy = "resource") -> list[Handover]:
    """Handover-of-work between resources or teams, most frequent first."""
    with opened(events) as log:
        return log.handovers(by)


def event_log_stats(events: EventSource | EventLog) -> dict[str, Any]:
    """n_cases, n_events, n_activity_instances, directly_follows, case_duration, variants,
    and handovers by resource and by team, as plain data (lists and dicts)."""
    with opened(events) as log:
        return log.stats()
