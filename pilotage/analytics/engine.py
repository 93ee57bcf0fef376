"""Process-mining statistics over canonical events, computed by DuckDB.

Why DuckDB: the event log lives as Parquet files per import batch (DESIGN.md, "Storage"), and
DuckDB reads them in place, or a pyarrow table without a copy, and runs window queries over a
million events in about a second on one core, with no server to operate. The SQL is kept
plain (window functions, no DuckDB-only tricks beyond ``list`` and ``quantile_cont``) so that
the same queries can move to Spark over the same files.

Building a query and running it are separate: the module-level ``*_SQL`` constants are the
queries (no user input is ever formatted into them: values are bound parameters and the only
variable identifier, the handover column, comes from a fixed whitelist), and `EventLog` runs
them on one connection.

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

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import duckdb
import pyarrow as pa

from .canonical import FIELDS, SCHEMA

#: A canonical pyarrow table, or canonical Parquet files (one path or several).
EventSource: TypeAlias = pa.Table | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
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


# The canonical view over whatever the caller passed: only the canonical columns, so a
# Parquet file with extra columns reads the same as the table it was written from.
EVENTS_VIEW_SQL = "CREATE OR REPLACE TEMP VIEW events AS SELECT {columns} FROM events_source"

# Fast path when the log has no start event: every complete event is an instance.
PAIRED_WITHOUT_START_SQL = """
SELECT "case" AS case_id, episode, activity, "timestamp" AS start_ts, "timestamp" AS end_ts,
       team, resource, priority, source_row
FROM events
WHERE lifecycle = 'complete'
"""

# FIFO pairing of start and complete events per (case, activity), in closed form. Walking the
# events in order, a complete is paired when an unpaired start is waiting. With s and c the
# running counts of starts and completes, the completes left unpaired so far number
# u = max(0, running max of c - s), so the m = c - u-th complete-that-got-a-start pairs with
# the m-th start; a complete is paired exactly when m grew since the previous complete.
PAIRED_WITH_START_SQL = """
WITH ordered AS (
    SELECT "case" AS case_id, episode, activity, "timestamp" AS ts, team, resource, priority,
           source_row, CASE WHEN lifecycle = 'start' THEN 1 ELSE 0 END AS is_start
    FROM events
),
counted AS (
    SELECT *,
           sum(is_start) OVER w AS s_cum,
           sum(1 - is_start) OVER w AS c_cum
    FROM ordered
    WINDOW w AS (PARTITION BY case_id, activity ORDER BY ts, source_row, is_start DESC
                 ROWS UNBOUNDED PRECEDING)
),
unpaired AS (
    SELECT *,
           greatest(0, max(c_cum - s_cum) OVER (
               PARTITION BY case_id, activity ORDER BY ts, source_row, is_start DESC
               ROWS UNBOUNDED PRECEDING)) AS u
    FROM counted
),
completes AS (
    SELECT *, c_cum - u AS m,
           lag(c_cum - u, 1, 0) OVER (
               PARTITION BY case_id, activity ORDER BY ts, source_row) AS m_before
    FROM unpaired
    WHERE is_start = 0
),
starts AS (
    SELECT case_id, activity, s_cum AS s_index, ts AS start_ts
    FROM unpaired
    WHERE is_start = 1
)
SELECT c.case_id, c.episode, c.activity, coalesce(s.start_ts, c.ts) AS start_ts,
       c.ts AS end_ts, c.team, c.resource, c.priority, c.source_row
FROM completes c
LEFT JOIN starts s
  ON s.case_id = c.case_id AND s.activity = c.activity AND c.m > c.m_before
     AND s.s_index = c.m
"""

# The instances in case order, each with its successor's activity and start, and the next
# resource and team named after it (skipping instances that name none): one window pass that
# directly-follows and both handover statistics then only group.
INSTANCES_SQL = """
CREATE OR REPLACE TEMP TABLE instances AS
WITH paired AS ({paired})
SELECT *,
       row_number() OVER w AS pos,
       lead(activity) OVER w AS next_activity,
       lead(start_ts) OVER w AS next_start_ts,
       lead(resource IGNORE NULLS) OVER w AS next_resource,
       lead(team IGNORE NULLS) OVER w AS next_team
FROM paired
WINDOW w AS (PARTITION BY case_id ORDER BY start_ts, end_ts, source_row)
"""
INSTANCES_WITHOUT_START_SQL = INSTANCES_SQL.format(paired=PAIRED_WITHOUT_START_SQL)
INSTANCES_WITH_START_SQL = INSTANCES_SQL.format(paired=PAIRED_WITH_START_SQL)

DIRECTLY_FOLLOWS_SQL = """
WITH pairs AS (
    SELECT activity AS source, next_activity AS target,
           (epoch_us(next_start_ts) - epoch_us(end_ts)) / 1e6 AS seconds
    FROM instances
    WHERE next_activity IS NOT NULL
)
SELECT source, target, count(*) AS n, avg(seconds), quantile_cont(seconds, 0.5)
FROM pairs
GROUP BY source, target
ORDER BY n DESC, source, target
"""

# Activities are replaced by small integer codes (their rank in name order) before the
# sequences are built and grouped: lists of integers group and travel to Python three times
# faster than lists of strings, and ordering by codes is ordering by names.
ACTIVITY_CODES_SQL = "SELECT DISTINCT activity FROM instances ORDER BY activity"
VARIANTS_SQL = """
WITH codes AS (
    SELECT activity, CAST(row_number() OVER (ORDER BY activity) - 1 AS INTEGER) AS code
    FROM (SELECT DISTINCT activity FROM instances)
),
traces AS (
    SELECT list(code ORDER BY pos) AS variant
    FROM instances JOIN codes USING (activity)
    GROUP BY case_id
)
SELECT variant, count(*) AS n FROM traces GROUP BY variant ORDER BY n DESC, variant
"""

CASE_DURATIONS_SQL = """
WITH cases AS (
    SELECT (epoch_us(max("timestamp")) - epoch_us(min("timestamp"))) / 1e6 AS seconds
    FROM events
    GROUP BY "case"
)
SELECT count(*), avg(seconds), quantile_cont(seconds, 0.5), quantile_cont(seconds, 0.9)
FROM cases
"""

# {column} is "resource" or "team", from HANDOVER_COLUMNS only.
HANDOVERS_SQL = """
SELECT {column} AS source, next_{column} AS target, count(*) AS n,
       count(*) / sum(count(*)) OVER () AS share
FROM instances
WHERE {column} IS NOT NULL AND next_{column} IS NOT NULL
GROUP BY source, target
ORDER BY n DESC, source, target
"""
HANDOVER_COLUMNS: dict[str, str] = {"resource": "resource", "team": "team"}

COUNTS_SQL = """
SELECT count(DISTINCT "case"), count(*), count(*) FILTER (WHERE lifecycle = 'start')
FROM events
"""


def connect(database: str = ":memory:", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set to UTC, so no result depends on the server's time zone."""
    connection = duckdb.connect(database)
    connection.execute("SET TimeZone = 'UTC'")
    if threads is not None:
        connection.execute("SET threads = ?", [threads])
    return connection


class EventLog:
    """Canonical events loaded into a DuckDB connection, with the statistics over them.

    `events` is a canonical pyarrow table, or one or more Parquet files in the canonical
    schema (read in place). The activity instances are built once, on first use, and shared
    by every statistic.
    """

    def __init__(
        self,
        events: EventSource,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self.connection = connection if connection is not None else connect()
        if isinstance(events, pa.Table):
            missing = [name for name in FIELDS if name not in events.column_names]
            if missing:
                raise ValueError(f"not a canonical event table: missing {missing}")
            self.connection.register("events_source", events.select(list(FIELDS)))
        else:
            paths = [events] if isinstance(events, str | os.PathLike) else list(events)
            relation = self.connection.read_parquet([os.fspath(p) for p in paths])
            missing = [name for name in FIELDS if name not in relation.columns]
            if missing:
                raise ValueError(f"not canonical Parquet: missing {missing}")
            relation.create_view("events_source")
        columns = ", ".join(f'"{name}"' for name in SCHEMA.names)
        self.connection.execute(EVENTS_VIEW_SQL.format(columns=columns))
        self._counts: tuple[int, int, int] | None = None
        self._instances_built = False

    def close(self) -> None:
        self.connection.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one of this module's queries (after making sure instances exist)."""
        self._ensure_instances()
        return self.connection.execute(sql, list(params)).fetchall()

    def counts(self) -> tuple[int, int, int]:
        """(cases, events, start events)."""
        if self._counts is None:
            row = self.connection.execute(COUNTS_SQL).fetchall()[0]
            self._counts = (int(row[0]), int(row[1]), int(row[2]))
        return self._counts

    def _ensure_instances(self) -> None:
        if not self._instances_built:
            has_start = self.counts()[2] > 0
            self.connection.execute(
                INSTANCES_WITH_START_SQL if has_start else INSTANCES_WITHOUT_START_SQL
            )
            self._instances_built = True

    def directly_follows(self) -> list[DirectlyFollows]:
        return [
            DirectlyFollows(source, target, int(n), float(mean), float(median))
            for source, target, n, mean, median in self.query(DIRECTLY_FOLLOWS_SQL)
        ]

    def variants(self) -> list[Variant]:
        names = [row[0] for row in self.query(ACTIVITY_CODES_SQL)]
        return [
            Variant(tuple(names[code] for code in variant), int(n))
            for variant, n in self.query(VARIANTS_SQL)
        ]

    def case_durations(self) -> CaseDurations:
        n, mean, median, p90 = self.query(CASE_DURATIONS_SQL)[0]
        return CaseDurations(int(n), mean, median, p90)

    def handovers(self, by: HandoverBy = "resource") -> list[Handover]:
        if by not in HANDOVER_COLUMNS:
            raise ValueError(f"handovers by {by!r}: use 'resource' or 'team'")
        sql = HANDOVERS_SQL.format(column=HANDOVER_COLUMNS[by])
        return [
            Handover(source, target, int(n), float(share))
            for source, target, n, share in self.query(sql)
        ]

    def n_instances(self) -> int:
        row = self.query("SELECT count(*) FROM instances")[0]
        return int(row[0])

    def stats(self) -> dict[str, Any]:
        """Everything at once, as plain data (see `event_log_stats`)."""
        n_cases, n_events, _ = self.counts()
        # vars() rather than dataclasses.asdict: asdict deep-copies field by field and took
        # longer than the queries themselves on 50,000 handover pairs.
        return {
            "n_cases": n_cases,
            "n_events": n_events,
            "n_activity_instances": self.n_instances(),
            "directly_follows": [dict(vars(d)) for d in self.directly_follows()],
            "case_duration": dict(vars(self.case_durations())),
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
