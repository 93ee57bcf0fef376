"""Problems found in an event log, and the one exception that carries them.

A file is refused as a whole: importing half a log would skew every measure computed from it,
so readers collect the problems they find (up to a limit), then raise one `EventLogError`.

Each problem has a stable `code` and `params`; the English text lives in `MESSAGES` only, so
the web layer can translate by code (gettext on the template, then `format(**params)`)
without parsing English sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Stop collecting after this many problems: a file with a wrong delimiter would otherwise
#: report one problem per row, and the first few already say what is wrong.
MAX_PROBLEMS = 50

#: English message templates by code, formatted with the problem's params. The single place
#: where problem text is written.
MESSAGES: Mapping[str, str] = {
    "file_not_found": "The file does not exist.",
    "file_too_large": "The file is larger than the limit of {limit} bytes.",
    "empty_file": "The file is empty.",
    "no_events": "The file has no events.",
    "encoding": "The text is not valid UTF-8.",
    "unsupported_format": "Unsupported file type {suffix!r}: use .csv, .xlsx, .parquet or .xes.",
    "csv_malformed": "The CSV is malformed: {detail}.",
    "row_length": "The row has {found} fields; the header has {expected}.",
    "missing_column": "Column {column!r} is missing (columns found: {available}).",
    "duplicate_column": "Column {column!r} appears more than once in the header.",
    "missing_value": "The value is empty.",
    "bad_timestamp": "{value!r} is not a date and time (expected ISO 8601, such as "
    "2024-03-01T09:30:00-05:00).",
    "bad_time_zone": "Unknown time zone {time_zone!r}.",
    "unknown_lifecycle": "Lifecycle value {value!r} is not a standard XES transition.",
    "excel_malformed": "The workbook cannot be read: {detail}.",
    "excel_formula": "The cell holds a formula ({formula}); export values only.",
    "parquet_malformed": "The Parquet file cannot be read: {detail}.",
    "xml_forbidden": "The XML uses a DTD or entity declarations, which are refused for safety.",
    "xml_malformed": "The XML is malformed or truncated: {detail} (line {line}, column {column}).",
    "xes_structure": "Unexpected XES structure: {detail}.",
    "too_many_problems": "More than {limit} problems; the rest were not listed.",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an event log, located as precisely as the format allows.

    `row` is the row a spreadsheet shows for CSV and Excel (header = 1), the 1-based row for
    Parquet, and the 1-based event position in document order for XES, where `trace` also
    gives the 1-based trace position. `field` is the canonical field (``case``, ``timestamp``)
    the problem concerns, when there is one.
    """

    file: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    row: int | None = None
    field: str | None = None
    trace: int | None = None

    @property
    def message(self) -> str:
        """The English text of the problem (translate by `code` rather than by this)."""
        return MESSAGES[self.code].format(**self.params)

    def __str__(self) -> str:
        where = [self.file]
        if self.trace is not None:
            where.append(f"trace {self.trace}")
        if self.row is not None:
            where.append(f"{'event' if self.trace is not None else 'row'} {self.row}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.message}"


class EventLogError(ValueError):
    """An event log was refused; `problems` says why, row by row."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("EventLogError needs at least one problem")
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = len(self.problems) - 5
        super().__init__(head + (f"; and {more} more" if more > 0 else ""))


class ProblemCollector:
    """Gathers problems for one file, and raises once when asked or when there are too many."""

    def __init__(self, file: str, limit: int = MAX_PROBLEMS) -> None:
        self.file = file
        self.limit = limit
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        *,
        row: int | None = None,
        field: str | None = None,
        trace: int | None = None,
        **params: Any,
    ) -> None:
        self.problems.append(Problem(self.file, code, params, row=row, field=field, trace=trace))
        if len(self.problems) >= self.limit:
            self.problems.append(Problem(self.file, "too_many_problems", {"limit": self.limit}))
            raise EventLogError(self.problems)

    def fail(self, code: str, **kwargs: Any) -> EventLogError:
        """Record a problem that stops reading, and return the error to raise."""
        self.problems.append(
            Problem(
                self.file,
                code,
                {k: v for k, v in kwargs.items() if k not in ("row", "field", "trace")},
                row=kwargs.get("row"),
                field=kwargs.get("field"),
                trace=kwargs.get("trace"),
            )
        )
        return EventLogError(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise EventLogError(self.problems)
