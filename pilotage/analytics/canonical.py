"""The canonical event table every reader produces and every measure reads.

One row per event (DESIGN.md, "The canonical event"): ``case``, ``episode``, ``activity``,
``timestamp`` (UTC), ``lifecycle`` (``start`` or ``complete``), ``team``, ``resource``,
``priority`` and ``source_row``, the 1-based row or event number in the source file, kept so
that an error or a surprising figure can be traced back to the line it came from, and so that
events of a case with equal timestamps keep the order of the source file.

`EventBuilder` is the one place where raw values become canonical ones, so every format
applies the same rules (what a timestamp may look like, what a lifecycle value means, what
counts as empty).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from .errors import ProblemCollector

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = dt.timedelta(microseconds=1)

#: Zone applied to timestamps written without a UTC offset (Excel dates always are):
#: Pilotage's data comes from Quebec institutions.
DEFAULT_NAIVE_TIME_ZONE = "America/Montreal"

START = "start"
COMPLETE = "complete"

#: XES standard lifecycle transitions (IEEE 1849, lifecycle extension, "standard" model)
#: that the canonical model does not keep: a trajectory needs when work started and ended,
#: not its scheduling, suspension or abortion. Events with these values are dropped and
#: counted; any other value is refused, as it probably means a wrong column mapping.
DROPPED_LIFECYCLES = frozenset(
    {
        "schedule",
        "assign",
        "reassign",
        "withdraw",
        "suspend",
        "resume",
        "pi_abort",
        "ate_abort",
        "autoskip",
        "manualskip",
        "unknown",
    }
)

FIELDS = (
    "case",
    "episode",
    "activity",
    "timestamp",
    "lifecycle",
    "team",
    "resource",
    "priority",
    "source_row",
)
REQUIRED_FIELDS = ("case", "activity", "timestamp")
IDENTIFIER_FIELDS = ("case", "episode", "resource")

SCHEMA = pa.schema(
    [
        pa.field("case", pa.string(), nullable=False),
        pa.field("episode", pa.string()),
        pa.field("activity", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("lifecycle", pa.string(), nullable=False),
        pa.field("team", pa.string()),
        pa.field("resource", pa.string()),
        pa.field("priority", pa.string()),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)

#: Schema metadata key holding how many source events were dropped for their lifecycle.
DROPPED_METADATA_KEY = b"pilotage.dropped_lifecycle_events"


def zone(name: str) -> ZoneInfo:
    """The named IANA zone; a ValueError (not a KeyError subclass) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class TimestampParser:
    """Turns a raw cell into an aware UTC datetime, or None when it cannot.

    Strings must be ISO 8601 (``datetime.fromisoformat``: ``2024-03-01T09:30:00-05:00``,
    ``2024-03-01 09:30``, a trailing ``Z``), or follow `fmt` (a ``strptime`` format) when
    given: day/month orders such as 03/01/2024 are ambiguous and are never guessed. Values
    without an offset are read in `naive_zone`; a local time that a daylight-saving change
    skips or repeats resolves as ``zoneinfo`` does (fold 0: the first occurrence).
    """

    def __init__(self, naive_zone: str, fmt: str | None = None) -> None:
        self.naive_zone = zone(naive_zone)
        self.fmt = fmt

    def __call__(self, value: Any) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            text = value.strip()
            try:
                if self.fmt is not None:
                    parsed = dt.datetime.strptime(text, self.fmt)
                else:
                    parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                return None
        else:
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=self.naive_zone)
        return parsed.astimezone(UTC)


def text(value: Any) -> str | None:
    """A cell as trimmed text, None when empty; integral numbers lose their ``.0``.

    Spreadsheets store identifiers such as 10234 as floats; without this a case id would
    read ``10234.0`` from Excel and ``10234`` from CSV and never match.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    return result or None


class EventBuilder:
    """Accumulates validated events column by column, then makes the canonical table.

    Problems go to the collector with the row they came from; `table()` raises if any were
    found, so a caller never sees a partial table.
    """

    def __init__(
        self,
        problems: ProblemCollector,
        *,
        naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
        timestamp_format: str | None = None,
    ) -> None:
        self.problems = problems
        try:
            self.parse_timestamp = TimestampParser(naive_time_zone, timestamp_format)
        except ValueError as exc:
            raise problems.fail("bad_time_zone", time_zone=naive_time_zone) from exc
        self.columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
        self.dropped = 0

    def add(
        self,
        row: int,
        values: Mapping[str, Any],
        *,
        trace: int | None = None,
    ) -> None:
        """Validate one source row (canonical field -> raw value) and keep its event(s).

        A row with a ``start_timestamp`` value and a complete lifecycle describes an interval
        (PM4Py's interval logs): it becomes a start event and a complete event, both naming
        the same source row.
        """
        ok = True
        required: dict[str, str] = {}
        for name in ("case", "activity"):
            value = text(values.get(name))
            if value is None:
                self.problems.add("missing_value", row=row, field=name, trace=trace)
                ok = False
            else:
                required[name] = value
        timestamp = self._timestamp(values.get("timestamp"), row, "timestamp", trace, True)
        ok = ok and timestamp is not None
        start = self._timestamp(values.get("start_timestamp"), row, "start_timestamp", trace)
        lifecycle_raw = text(values.get("lifecycle"))
        lifecycle = COMPLETE if lifecycle_raw is None else lifecycle_raw.lower()
        if lifecycle not in (START, COMPLETE):
            if lifecycle not in DROPPED_LIFECYCLES:
                self.problems.add(
                    "unknown_lifecycle",
                    row=row,
                    field="lifecycle",
                    trace=trace,
                    value=lifecycle_raw,
                )
            elif ok:
                self.dropped += 1
            return
        if not ok or timestamp is None:
            return
        common = {
            "case": required["case"],
            "activity": required["activity"],
            "episode": text(values.get("episode")),
            "team": text(values.get("team")),
            "resource": text(values.get("resource")),
            "priority": text(values.get("priority")),
            "source_row": row,
        }
        if start is not None and lifecycle == COMPLETE:
            self._append(common, start, START)
        self._append(common, timestamp, lifecycle)

    def _timestamp(
        self, raw: Any, row: int, field: str, trace: int | None, required: bool = False
    ) -> dt.datetime | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.problems.add("missing_value", row=row, field=field, trace=trace)
            return None
        parsed = self.parse_timestamp(raw)
        if parsed is None:
            self.problems.add("bad_timestamp", row=row, field=field, trace=trace, value=str(raw))
        return parsed

    def _append(self, common: Mapping[str, Any], timestamp: dt.datetime, lifecycle: str) -> None:
        for name, value in common.items():
            self.columns[name].append(value)
        self.columns["timestamp"].append((timestamp - EPOCH) // ONE_MICROSECOND)
        self.columns["lifecycle"].append(lifecycle)

    def table(self, pseudonymise: Callable[[str], str] | None = None) -> pa.Table:
        """The canonical table; raises `EventLogError` if any problem or no event was found."""
        self.problems.raise_if_any()
        if not self.columns["case"]:
            raise self.problems.fail("no_events")
        columns = dict(self.columns)
        if pseudonymise is not None:
            columns.update(pseudonymised(columns, pseudonymise))
        arrays = []
        for schema_field in SCHEMA:
            values = columns[schema_field.name]
            if schema_field.name == "timestamp":
                arrays.append(pa.array(values, pa.int64()).cast(schema_field.type))
            else:
                arrays.append(pa.array(values, schema_field.type))
        metadata = {DROPPED_METADATA_KEY: str(self.dropped).encode()}
        return pa.Table.from_arrays(arrays, schema=SCHEMA.with_metadata(metadata))


def pseudonymised(
    columns: Mapping[str, Sequence[str | None]], pseudonymise: Callable[[str], str]
) -> dict[str, list[str | None]]:
    """The identifier columns with each distinct value replaced once (a keyed hash is slow)."""
    memo: dict[str, str] = {}

    def one(value: str | None) -> str | None:
        if value is None:
            return None
        if value not in memo:
            memo[value] = pseudonymise(value)
        return memo[value]

    return {name: [one(v) for v in columns[name]] for name in IDENTIFIER_FIELDS}


def events_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """A canonical table from already-clean Python rows, for tests and generated data.

    Each row needs ``case``, ``activity`` and ``timestamp`` (an aware datetime); the other
    fields default to None, ``lifecycle`` to complete and ``source_row`` to the row's
    1-based position.
    """
    columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
    for position, row in enumerate(rows, start=1):
        unknown = set(row) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        timestamp = row["timestamp"]
        if timestamp.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        for name in FIELDS:
            columns[name].append(row.get(name))
        columns["timestamp"][-1] = (timestamp.astimezone(UTC) - EPOCH) // ONE_MICROSECOND
        columns["lifecycle"][-1] = row.get("lifecycle", COMPLETE)
        columns["source_row"][-1] = row.get("source_row", position)
    arrays = [
        pa.array(columns[f.name], pa.int64()).cast(f.type)
        if f.name == "timestamp"
        else pa.array(columns[f.name], f.type)
        for f in SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def dropped_events(table: pa.Table) -> int:
    """How many source events a reader dropped for their lifecycle (0 when unknown)."""
    metadata = table.schema.metadata or {}
    return int(metadata.get(DROPPED_METADATA_KEY, b"0"))
