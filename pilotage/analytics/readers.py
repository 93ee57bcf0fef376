"""Readers that turn CSV, Excel and Parquet files into the canonical event table.

Every reader takes a `ColumnMapping` (canonical field -> source column), applies the same
validation through `EventBuilder`, refuses the whole file with one `EventLogError` when
anything is wrong, and applies the optional pseudonymisation before returning. XES has its
own module (`xes.py`) because it is a tree, not a table.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa

from .canonical import DEFAULT_NAIVE_TIME_ZONE, EventBuilder
from .errors import EventLogError, ProblemCollector

#: Files larger than this are refused before reading: 1 GiB is far above a year of events of
#: a large institution, and well below what would exhaust the memory of a web server.
DEFAULT_MAX_BYTES = 1 << 30

Pseudonymiser: TypeAlias = Callable[[str], str]
Source: TypeAlias = str | os.PathLike[str]

#: Fields a source column can be mapped to, in the order problems are reported.
MAPPABLE_FIELDS = (
    "case",
    "activity",
    "timestamp",
    "lifecycle",
    "team",
    "resource",
    "priority",
    "episode",
    "start_timestamp",
)


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column feeds each canonical field.

    The defaults are the XES attribute names as PM4Py and most tools export them to tables
    (``case:concept:name``, ``concept:name``, ``time:timestamp``, ``lifecycle:transition``,
    ``org:group``, ``org:resource``) plus PM4Py's ``start_timestamp`` for interval logs.
    A default optional column may be absent from the file; a column you name yourself must be
    present, so that a typo is reported instead of silently reading nothing. Set a field to
    None to ignore a column the file has.

    For XES, a name starting with ``case:`` is a trace attribute (``case:concept:name`` is the
    trace's ``concept:name``); other names are event attributes.
    """

    case: str = "case:concept:name"
    activity: str = "concept:name"
    timestamp: str = "time:timestamp"
    lifecycle: str | None = "lifecycle:transition"
    team: str | None = "org:group"
    resource: str | None = "org:resource"
    priority: str | None = None
    episode: str | None = None
    start_timestamp: str | None = "start_timestamp"

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str | None]) -> ColumnMapping:
        """A mapping from plain data (a form or a saved import profile)."""
        unknown = set(mapping) - set(MAPPABLE_FIELDS)
        if unknown:
            raise ValueError(f"unknown canonical fields: {sorted(unknown)}")
        return cls(**mapping)  # type: ignore[arg-type]

    def columns(self) -> dict[str, str]:
        """Canonical field -> source column, for the fields that are mapped."""
        return {
            name: column for name in MAPPABLE_FIELDS if (column := getattr(self, name)) is not None
        }

    def is_required(self, name: str) -> bool:
        """Whether the column for `name` must be present: required fields and any field
        whose column was chosen explicitly (different from the default)."""
        if name in ("case", "activity", "timestamp"):
            return True
        default = {f.name: f.default for f in fields(self)}[name]
        return bool(getattr(self, name) != default)

    def resolve(
        self, header: Sequence[str], problems: ProblemCollector, header_row: int | None = 1
    ) -> dict[str, int]:
        """Canonical field -> column index in `header`; missing columns become problems."""
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            positions.setdefault(name, index)
        resolved: dict[str, int] = {}
        for name, column in self.columns().items():
            if column not in positions:
                if self.is_required(name):
                    problems.add(
                        "missing_column",
                        row=header_row,
                        field=name,
                        column=column,
                        available=", ".join(h for h in header if h) or "none",
                    )
                continue
            if sum(1 for h in header if h == column) > 1:
                problems.add("duplicate_column", row=header_row, field=name, column=column)
            resolved[name] = positions[column]
        problems.raise_if_any()
        return resolved


def display_name(source: Source, name: str | None) -> str:
    """The file name problems show: never the server path, which means nothing to a user."""
    return name if name is not None else Path(source).name


def check_size(source: Source, problems: ProblemCollector, max_bytes: int) -> None:
    """Refuse missing, empty and oversized files before opening them."""
    try:
        size = os.stat(source).st_size
    except FileNotFoundError as exc:
        raise problems.fail("file_not_found") from exc
    if size == 0:
        raise problems.fail("empty_file")
    if size > max_bytes:
        raise problems.fail("file_too_large", limit=max_bytes)


def _feed(
    builder: EventBuilder,
    rows: Iterable[tuple[int, Sequence[Any]]],
    columns: Mapping[str, int],
) -> None:
    for row_number, cells in rows:
        builder.add(
            row_number,
            {name: cells[index] if index < len(cells) else None for name, index in columns.items()},
        )


def sniff_delimiter(sample: str) -> str:
    """Comma or semicolon, whichever splits the header into more columns (comma on a tie).

    European spreadsheets write CSV with semicolons because the comma is their decimal mark;
    `csv.Sniffer` guesses from character frequencies and is easily fooled by commas inside
    quoted values, whereas the header line alone is unambiguous.
    """
    first_record = sample.splitlines()[0] if sample else ""

    def width(delimiter: str) -> int:
        try:
            return len(next(csv.reader(io.StringIO(first_record), delimiter=delimiter), []))
        except csv.Error:
            return 0

    return ";" if width(";") > width(",") else ","


def read_csv(
    source: Source,
    mapping: ColumnMapping | None = None,
    *,
    pseudonymise: Pseudonymiser | None = None,
    naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
    timestamp_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pa.Table:
    """Read a CSV event log (UTF-8 with or without BOM, comma or semicolon separated).

    The first record is the header. Rows are numbered as a spreadsheet shows them (header = 1),
    counting records rather than physical lines, so a quoted value spanning lines does not shift
    the numbers. Blank lines are skipped; a row with a different number of fields than the
    header is a problem, as it usually means an unquoted delimiter inside a value.
    """
    mapping = mapping or ColumnMapping()
    problems = ProblemCollector(display_name(source, name))
    check_size(source, problems, max_bytes)
    builder = EventBuilder(
        problems, naive_time_zone=naive_time_zone, timestamp_format=timestamp_format
    )
    row_number = 0
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            delimiter = sniff_delimiter(handle.read(64 * 1024))
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            header = next(reader, None)
            row_number = 1
            if header is None or not any(cell.strip() for cell in header):
                raise problems.fail("empty_file")
            header = [cell.strip() for cell in header]
            columns = mapping.resolve(header, problems)

            def records() -> Iterator[tuple[int, Sequence[str]]]:
                nonlocal row_number
                for record in reader:
                    row_number += 1
                    if not record or (len(record) == 1 and not record[0].strip()):
                        continue
                    if len(record) != len(header):
                        problems.add(
                            "row_length", row=row_number, found=len(record), expected=len(header)
                        )
                        continue
                    yield row_number, record

            _feed(builder, records(), columns)
    except UnicodeDecodeError as exc:
        raise problems.fail("encoding", row=row_number + 1) from exc
    except csv.Error as exc:
        raise problems.fail("csv_malformed", row=row_number + 1, detail=str(exc)) from exc
    return builder.table(pseudonymise)


def read_excel(
    source: Source,
    mapping: ColumnMapping | None = None,
    *,
    sheet: str | None = None,
    pseudonymise: Pseudonymiser | None = None,
    naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
    timestamp_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pa.Table:
    """Read an .xlsx event log: the first worksheet (or `sheet`), header in the first row.

    The workbook is opened read-only (streamed, not loaded whole). A formula in a mapped
    column is refused: openpyxl does not evaluate formulas, and the value cached by the last
    program that saved the file may be stale or missing. Excel dates carry no time zone and are
    read in `naive_time_zone`.
    """
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    mapping = mapping or ColumnMapping()
    problems = ProblemCollector(display_name(source, name))
    check_size(source, problems, max_bytes)
    builder = EventBuilder(
        problems, naive_time_zone=naive_time_zone, timestamp_format=timestamp_format
    )
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise problems.fail("excel_malformed", detail=str(exc) or type(exc).__name__) from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise problems.fail("excel_malformed", detail=f"no worksheet named {sheet!r}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = worksheet.iter_rows()
        header: list[str] | None = None
        columns: dict[str, int] = {}
        for row_number, cells in enumerate(rows, start=1):
            values = [cell.value for cell in cells]
            if header is None:
                if any(v is not None and str(v).strip() for v in values):
                    header = [str(v).strip() if v is not None else "" for v in values]
                    columns = mapping.resolve(header, problems, row_number)
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            formulas = [
                (field_name, values[index])
                for field_name, index in columns.items()
                if index < len(cells) and cells[index].data_type == "f"
            ]
            for field_name, formula in formulas:
                problems.add("excel_formula", row=row_number, field=field_name, formula=formula)
            if not formulas:
                _feed(builder, [(row_number, values)], columns)
        if header is None:
            raise problems.fail("empty_file")
    except EventLogError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise problems.fail("excel_malformed", detail=str(exc) or type(exc).__name__) from exc
    finally:
        workbook.close()
    return builder.table(pseudonymise)


def read_parquet(
    source: Source,
    mapping: ColumnMapping | None = None,
    *,
    pseudonymise: Pseudonymiser | None = None,
    naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
    timestamp_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pa.Table:
    """Read a Parquet event log written by another tool (rows numbered from 1).

    Only the mapped columns are read, in batches. Timestamp columns may be Parquet timestamps
    (naive ones are read in `naive_time_zone`) or ISO 8601 strings.
    """
    import pyarrow.parquet as pq

    mapping = mapping or ColumnMapping()
    problems = ProblemCollector(display_name(source, name))
    check_size(source, problems, max_bytes)
    builder = EventBuilder(
        problems, naive_time_zone=naive_time_zone, timestamp_format=timestamp_format
    )
    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise problems.fail("parquet_malformed", detail=str(exc)) from exc
    with parquet:
        header = list(parquet.schema_arrow.names)
        columns = mapping.resolve(header, problems, header_row=None)
        names = sorted(set(columns), key=lambda f: columns[f])
        source_columns = [header[columns[f]] for f in names]
        row_number = 0
        try:
            for batch in parquet.iter_batches(batch_size=65536, columns=source_columns):
                lists = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for values in zip(*lists, strict=True):
                    row_number += 1
                    builder.add(row_number, dict(zip(names, values, strict=True)))
        except (pa.ArrowException, OSError) as exc:
            raise problems.fail("parquet_malformed", row=row_number + 1, detail=str(exc)) from exc
    return builder.table(pseudonymise)


def read_event_log(
    source: Source,
    mapping: ColumnMapping | None = None,
    **options: Any,
) -> pa.Table:
    """Read an event log, choosing the reader from the file name's suffix.

    ``.csv``, ``.xlsx``, ``.parquet``/``.pq``, ``.xes`` and ``.xes.gz``; `options` go to the
    reader (pseudonymise, naive_time_zone, max_bytes, name, ...).
    """
    from .xes import read_xes

    lower = str(options.get("name") or source).lower()
    readers: dict[str, Callable[..., pa.Table]] = {
        ".csv": read_csv,
        ".xlsx": read_excel,
        ".parquet": read_parquet,
        ".pq": read_parquet,
        ".xes": read_xes,
        ".xes.gz": read_xes,
    }
    for suffix, reader in readers.items():
        if lower.endswith(suffix):
            return reader(source, mapping, **options)
    problems = ProblemCollector(display_name(source, options.get("name")))
    raise problems.fail("unsupported_format", suffix="".join(Path(lower).suffixes) or lower)
