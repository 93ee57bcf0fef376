"""The analytics on Spark: the same queries as DuckDB, over the same Parquet files.

    from pilotage.analytics import EventLog, event_log_stats, weekly_measures
    from pilotage.analytics.spark import SparkBackend, local_session

    with SparkBackend(local_session()) as backend:
        log = EventLog(["batch-1.parquet", "batch-2.parquet"], backend=backend)
        stats = event_log_stats(log)
        weeks = weekly_measures(log, definition)

Nothing is written twice: `engine` and `trajectory` hold each query once, as a function of the
SQL dialect (`backends`); this module only says how Spark is spoken to. A temporary table is a
cached DataFrame registered as a temporary view, so each intermediate (activity instances,
trajectory events, episodes) is computed once per log, as in DuckDB.

The session must use UTC as its time zone (`local_session` sets it; `SparkBackend` refuses a
session that does not), for the same reason the DuckDB connection does. docs/spark.md says how
to run this on a cluster. pyspark is an optional dependency: importing `pilotage.analytics`
never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .backends import SPARK, EventSource, check_canonical, parquet_paths
from .canonical import SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def local_session(cores: int = 2, app_name: str = "pilotage-analytics") -> SparkSession:
    """A Spark session in local mode (one JVM on this machine), set up for the analytics."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # py4j logs each closed connection at INFO, also from finalizers at interpreter exit.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return session


class SparkBackend:
    """Runs the engine's queries in a Spark session (local or on a cluster)."""

    dialect = SPARK

    def __init__(self, session: SparkSession) -> None:
        zone = session.conf.get("spark.sql.session.timeZone")
        if zone != "UTC":
            raise ValueError(f"the Spark session's time zone must be UTC, not {zone!r}")
        self.session = session
        self._cached: dict[str, DataFrame] = {}
        self._registered: set[str] = set()

    def __enter__(self) -> SparkBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def load_events(self, events: EventSource) -> None:
        if isinstance(events, pa.Table):
            check_canonical(events.column_names, "a canonical event table")
            frame = self._frame_of(events.select(list(SCHEMA.names)))
        else:
            frame = self.session.read.parquet(*parquet_paths(events))
            check_canonical(frame.columns, "canonical Parquet")
        self._keep("events", frame.select(*SCHEMA.names))

    def register(self, name: str, table: pa.Table) -> None:
        self._keep(name, self._frame_of(table))

    def unregister(self, name: str) -> None:
        self.drop(name)

    def materialise(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._keep(name, self._frame(sql, params))

    def drop(self, name: str) -> None:
        frame = self._cached.pop(name, None)
        if frame is not None:
            frame.unpersist()
        if name in self._registered:
            self.session.catalog.dropTempView(name)
            self._registered.discard(name)

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._frame(sql, params).collect()]

    def close(self) -> None:
        """Drop this backend's views and cached tables; the session stays (it may be shared)."""
        for name in list(self._registered):
            self.drop(name)

    def _frame(self, sql: str, params: Mapping[str, Any] | None) -> DataFrame:
        return self.session.sql(sql, args=self.dialect.params(sql, params or {}))

    def _frame_of(self, table: pa.Table) -> DataFrame:
        """A DataFrame of a pyarrow table, through plain rows and an explicit schema: no pandas
        on the way, so no dependency on which pandas versions pyspark supports."""
        schema = ", ".join(f"`{field.name}` {_spark_type(field.type)}" for field in table.schema)
        return self.session.createDataFrame(table.to_pylist(), schema=schema)

    def _keep(self, name: str, frame: DataFrame) -> None:
        self.drop(name)
        frame = frame.cache()
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        self._registered.add(name)


def _spark_type(arrow_type: pa.DataType) -> str:
    """The Spark SQL type of a column of the canonical or helper tables."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_int32(arrow_type) or pa.types.is_int16(arrow_type):
        return "INT"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    if pa.types.is_date32(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    raise ValueError(f"no Spark type for a column of type {arrow_type}")
