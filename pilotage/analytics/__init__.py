"""Trajectory analytics over event logs: pure Python on DuckDB and pyarrow, no Django.

Readers turn CSV, Excel, Parquet and XES files into the canonical event table (a pyarrow
table, see `canonical`); the engine computes process-mining statistics and weekly trajectory
measures from it, as plain data. The Django apps (trajectories, indicators) call these
functions; nothing here imports them.
"""

from .canonical import SCHEMA, dropped_events, events_table
from .engine import (
    CaseDurations,
    DirectlyFollows,
    EventLog,
    Handover,
    Variant,
    case_durations,
    directly_follows,
    event_log_stats,
    handovers,
    variants,
)
from .errors import MESSAGES, EventLogError, Problem
from .pseudonymise import keyed_hasher
from .readers import ColumnMapping, read_csv, read_event_log, read_excel, read_parquet
from .suppression import SuppressedTable, suppress_counts, suppress_weekly
from .trajectory import (
    Step,
    TrajectoryDefinition,
    WeeklyMeasures,
    measures_as_dicts,
    weekly_measures,
)
from .xes import read_xes

__all__ = [
    "MESSAGES",
    "SCHEMA",
    "CaseDurations",
    "ColumnMapping",
    "DirectlyFollows",
    "EventLog",
    "EventLogError",
    "Handover",
    "Problem",
    "Step",
    "SuppressedTable",
    "TrajectoryDefinition",
    "Variant",
    "WeeklyMeasures",
    "case_durations",
    "directly_follows",
    "dropped_events",
    "event_log_stats",
    "events_table",
    "handovers",
    "keyed_hasher",
    "measures_as_dicts",
    "read_csv",
    "read_event_log",
    "read_excel",
    "read_parquet",
    "read_xes",
    "suppress_counts",
    "suppress_weekly",
    "variants",
    "weekly_measures",
]
