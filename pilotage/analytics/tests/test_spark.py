"""The same analytics on Spark (local mode) as on DuckDB, over the same Parquet files.

Each query is written once (`backends.Dialect`); these tests run it on both engines and
compare every figure: counts and lists exactly, floating-point figures to 1e-9 relative (the
two engines add up in different orders, so the last bit may differ). Spark starts once per
module; pyspark is a test dependency and Java is on the machine, so a failure to start is a
failure, never a skip.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilotage.analytics import (
    EventLog,
    events_table,
    measures_as_dicts,
    read_csv,
    read_xes,
    weekly_measures,
)
from pilotage.analytics.spark import SparkBackend, local_session

from .test_trajectory import JIMMY, LOG, MONTREAL, event

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = local_session(cores=2)
    yield session
    session.stop()


def same(ours: Any, theirs: Any, path: str = "result") -> None:
    """Assert two results are equal: exactly, but floats to 1e-9 relative."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), path
        for key in ours:
            same(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(ours, list | tuple):
        assert len(ours) == len(theirs), f"{path}: {len(ours)} vs {len(theirs)} items"
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            same(mine, other, f"{path}[{index}]")
    elif isinstance(ours, float) and isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (path, ours, theirs)
    else:
        assert ours == theirs, (path, ours, theirs)
        assert type(ours) is type(theirs), (path, type(ours), type(theirs))


def on_both(spark: SparkSession, files: list[Path], compute: Any) -> tuple[Any, Any]:
    duck = EventLog(files)
    try:
        ours = compute(duck)
    finally:
        duck.close()
    with SparkBackend(spark) as backend:
        theirs = compute(EventLog(files, backend=backend))
    return ours, theirs


def write(tmp_path: Path, table: pa.Table, batches: int = 1) -> list[Path]:
    """`table` as `batches` Parquet files, as import batches are stored."""
    size = -(-table.num_rows // batches)
    paths = []
    for index in range(batches):
        path = tmp_path / f"batch-{index}.parquet"
        pq.write_table(table.slice(index * size, size), path)
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("receipt.csv", read_csv),
        ("interval_event_log.xes", read_xes),  # start and complete events: the FIFO pairing
        ("running-example.xes", read_xes),
    ],
)
def test_event_log_stats_match(
    spark: SparkSession, eventlogs: Path, tmp_path: Path, name: str, reader: Any
) -> None:
    files = write(tmp_path, reader(eventlogs / name), batches=2)
    ours, theirs = on_both(spark, files, lambda log: log.stats())
    assert ours["n_events"] > 0 and ours["variants"] and ours["directly_follows"]
    same(ours, theirs)


def test_weekly_measures_match_on_the_hand_made_log(spark: SparkSession, tmp_path: Path) -> None:
    explicit = [
        dict(event("9", "Signalement", "01-01", "A"), episode="e1"),
        dict(event("9", "Évaluation", "01-05", "A"), episode="e1"),
        dict(event("9", "Signalement", "01-02", "A"), episode="e2"),
        dict(event("9", "Évaluation", "01-03", "A"), episode="e2"),
    ]
    files = write(tmp_path, events_table([*LOG, *explicit]))
    for zone in ("America/Montreal", "UTC"):
        ours, theirs = on_both(
            spark, files, lambda log, zone=zone: weekly_measures(log, JIMMY, time_zone=zone)
        )
        assert any(row.handoffs for row in ours) and any(row.re_referrals for row in ours)
        same(measures_as_dicts(ours), measures_as_dicts(theirs))


def test_weekly_measures_match_on_the_demo_trajectory(spark: SparkSession, tmp_path: Path) -> None:
    from pilotage.demo import eventlog
    from pilotage.demo.trajectory import engine_definition

    table = eventlog.generate(volume=0.02, years=1.0)
    files = write(tmp_path, table, batches=3)
    definition = engine_definition()

    def compute(log: EventLog) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return measures_as_dicts(weekly_measures(log, definition)), log.stats()

    (our_weeks, our_stats), (their_weeks, their_stats) = on_both(spark, files, compute)
    assert len(our_weeks) > 50 * 2  # a year of weeks, all teams and their total
    assert sum(row["new_requests"] for row in our_weeks if row["team"] is None) > 100
    assert sum(row["handoffs"] for row in our_weeks if row["team"] is None) > 0
    same(our_weeks, their_weeks)
    same(our_stats, their_stats)


def test_no_trajectory_event_gives_no_rows_on_spark(spark: SparkSession, tmp_path: Path) -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=MONTREAL)
    files = write(tmp_path, events_table([{"case": "x", "activity": "Other", "timestamp": moment}]))
    with SparkBackend(spark) as backend:
        assert weekly_measures(EventLog(files, backend=backend), JIMMY) == []


def test_a_table_in_memory_reads_as_its_parquet_file(spark: SparkSession, tmp_path: Path) -> None:
    table = events_table(LOG)
    with SparkBackend(spark) as backend:
        from_table = EventLog(table, backend=backend).stats()
    with SparkBackend(spark) as backend:
        from_file = EventLog(write(tmp_path, table), backend=backend).stats()
    same(from_table, from_file)


def test_the_session_must_be_in_utc(spark: SparkSession) -> None:
    spark.conf.set("spark.sql.session.timeZone", "America/Montreal")
    try:
        with pytest.raises(ValueError, match="must be UTC"):
            SparkBackend(spark)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_parquet_that_is_not_canonical_is_refused(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"case": ["a"], "activity": ["x"]}), path)
    with SparkBackend(spark) as backend, pytest.raises(ValueError, match="missing"):
        EventLog([path], backend=backend)


def test_the_duckdb_connection_is_not_offered_on_spark(spark: SparkSession) -> None:
    with SparkBackend(spark) as backend:
        log = EventLog(events_table(LOG), backend=backend)
        with pytest.raises(TypeError):
            _ = log.connection
