"""Importing indicator values from a CSV or Excel file: read, check, plan, then apply.

`plan_import(data, file_name, user)` reads the bytes, checks every row against the database
and the user's scope, and returns an `ImportPlan`: the rows to apply, each with what it would
do (create, change, leave unchanged), and the errors, each naming the file, the row as the
spreadsheet shows it (the header is row 1), the column as written in the file and what is
wrong, in the active language. It writes nothing: the dry run is the plan.

`do_import_values()` plans again and applies inside one transaction: a file with any error
writes nothing; a file that changes nothing writes nothing either (no import record), so
importing the same file twice is harmless. Decisions: docs/decisions/0012-indicator-import.md.

What is accepted:
- CSV in UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's
  "Unicode text"), else Windows-1252, which the plan reports as a notice; separated by
  commas, semicolons or tabs (the most frequent of the three in the header row). Decimal
  commas are read when the separator is a semicolon or a tab; thousands separators never.
- Excel .xlsx, first sheet; formula and error cells are refused (the value must be pasted),
  dates may be real date cells or text.
- Periods as YYYY-MM-DD or DD/MM/YYYY (never MM/DD/YYYY), on the first day of a period of the
  indicator's frequency.
"""

import codecs
import csv
import datetime
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pilotage.indicators.actions import InvalidValue, Measurement, Outcome, do_set_values, resolve
from pilotage.indicators.models import ImportBatch, Indicator, Source, Value
from pilotage.indicators.periods import period_start
from pilotage.organisation.models import Unit
from pilotage.organisation.scope import scope_paths, unit_scope_q

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
#: An .xlsx is a zip: refuse one that would inflate past this (a "zip bomb").
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024

FIELDS = ("indicator", "unit", "period", "value", "numerator", "denominator")
NUMBER_FIELDS = ("value", "numerator", "denominator")

#: Column names written in templates, per language (also used to name a missing column).
HEADERS = {
    "fr": {
        "indicator": "indicateur",
        "unit": "unité",
        "period": "période",
        "value": "valeur",
        "numerator": "numérateur",
        "denominator": "dénominateur",
    },
    "en": {name: name for name in FIELDS},
}

#: Accepted column names once normalised (lower case, no accents, single spaces).
ALIASES = {
    "indicator": (
        "indicator",
        "indicator code",
        "indicateur",
        "code indicateur",
        "code de l indicateur",
    ),
    "unit": ("unit", "unit code", "unite", "code unite", "code de l unite"),
    "period": ("period", "period start", "periode", "debut de periode", "debut de la periode"),
    "value": ("value", "valeur"),
    "numerator": ("numerator", "numerateur"),
    "denominator": ("denominator", "denominateur"),
}
_FIELD_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

Cell = str | float | int | bool | datetime.date | datetime.datetime | None


# --- What a plan says ---------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One thing wrong in the file. `row` is None for the file as a whole, `column` is the
    column's name as written in the file (or as the template names it, when missing)."""

    file_name: str
    row: int | None
    column: str
    message: str


@dataclass(frozen=True)
class PlannedRow:
    row: int
    indicator: Indicator
    unit: Unit
    period: datetime.date
    measurement: Measurement  # resolved: the value is filled in for a ratio
    outcome: Outcome  # what applying it would do now


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: Indicator
    created: int
    updated: int
    unchanged: int


@dataclass
class ImportPlan:
    """What importing a file would do; see the module docstring."""

    file_name: str
    sha256: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def changes_something(self) -> bool:
        return any(r.outcome != Outcome.UNCHANGED for r in self.rows)

    def counts(self) -> Counter[Outcome]:
        return Counter(r.outcome for r in self.rows)

    def by_indicator(self) -> list[IndicatorSummary]:
        """New, changed and unchanged values per indicator, in indicator code order."""
        counts: dict[str, Counter[Outcome]] = defaultdict(Counter)
        indicators = {}
        for r in self.rows:
            counts[r.indicator.code][r.outcome] += 1
            indicators[r.indicator.code] = r.indicator
        return [
            IndicatorSummary(
                indicators[code], c[Outcome.CREATED], c[Outcome.UPDATED], c[Outcome.UNCHANGED]
            )
            for code, c in sorted(counts.items())
        ]


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    batch: ImportBatch | None  # None when nothing was written (errors, or nothing to change)


# --- Reading a file into rows of cells ----------------------------------------------------


class UnreadableFileError(Exception):
    """The file as a whole cannot be read; the message says why, in the active language."""


@dataclass
class _Table:
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    decimal_comma: bool
    notices: list[str] = field(default_factory=list)
    # Cells refused while reading (formulas, errors): (row, column index, message).
    bad_cells: list[tuple[int, int, str]] = field(default_factory=list)


def _is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _read(data: bytes, file_name: str) -> _Table:
    if len(data) > MAX_BYTES:
        raise UnreadableFileError(
            _("The file is larger than %(limit)s MB: split it into smaller files.")
            % {"limit": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise UnreadableFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            _(
                "Old Excel files (.xls) and password-protected workbooks cannot be read: "
                "save the sheet as .xlsx or CSV."
            )
        )
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFileError(_("The Excel file is damaged or incomplete."))
    return _read_csv(data)


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise UnreadableFileError(_("The file is damaged or incomplete.")) from None
    if b"\x00" in data:
        raise UnreadableFileError(_("This is not a CSV or Excel (.xlsx) file."))
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFileError(_("This is not a CSV or Excel (.xlsx) file.")) from None
    notice = _(
        "The file is not in UTF-8: it was read as Windows-1252 (Western European). "
        "Check the accented letters in the column names."
    )
    return text, [notice]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])  # ties go to ";" then tab: never decimals
    return best if counts[best] else ","


def _read_csv(data: bytes) -> _Table:
    text, notices = _decode(data)
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text[:4096]):
        raise UnreadableFileError(_("This is not a CSV or Excel (.xlsx) file."))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[Cell]]] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if all(_is_blank(c) for c in record):
                continue
            if header is None:
                header, header_row = record, number
            else:
                rows.append((number, list(record)))
                if len(rows) > MAX_ROWS:
                    break
    except csv.Error:
        raise UnreadableFileError(
            _("The file is damaged near row %(row)s: a quotation mark is probably not closed.")
            % {"row": number + 1}
        ) from None
    if header is None:
        raise UnreadableFileError(_("The file is empty."))
    return _Table(header_row, header, rows, decimal_comma=delimiter != ",", notices=notices)


def _cell_name(column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column + 1)}{row}"


def _refused_cell(cell: Any, column: int, row: int) -> str:
    if cell.data_type == "f":
        return _(
            "Cell %(cell)s holds a formula: paste its value instead (Paste special, Values)."
        ) % {"cell": _cell_name(column, row)}
    return _("Cell %(cell)s holds the error %(error)s.") % {
        "cell": _cell_name(column, row),
        "error": cell.value,
    }


def _read_xlsx(data: bytes) -> _Table:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise UnreadableFileError(_("The Excel file is too large once uncompressed."))
        # openpyxl warns about features it drops (styles, validation): irrelevant here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except UnreadableFileError:
        raise
    except Exception:  # zip, XML and openpyxl errors alike: the file is not a readable .xlsx
        raise UnreadableFileError(_("The Excel file is damaged or incomplete.")) from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise UnreadableFileError(_("The file is empty."))
        sheet = sheets[0]
        notices = []
        if len(sheets) > 1:
            notices.append(
                _("Only the first sheet, “%(sheet)s”, was read.") % {"sheet": sheet.title}
            )
        table = _Table(0, [], [], decimal_comma=True, notices=notices)
        try:
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                values: list[Cell] = []
                refused = False
                for column, cell in enumerate(cells):
                    if cell.data_type in ("f", "e"):
                        table.bad_cells.append(
                            (number, column, _refused_cell(cell, column, number))
                        )
                        refused = True
                    values.append(None if cell.data_type in ("f", "e") else cell.value)
                if not refused and all(_is_blank(v) for v in values):
                    continue
                if not table.headers:
                    table.header_row = number
                    table.headers = ["" if v is None else str(v) for v in values]
                else:
                    table.rows.append((number, values))
                    if len(table.rows) > MAX_ROWS:
                        break
        except UnreadableFileError:
            raise
        except Exception:
            raise UnreadableFileError(_("The Excel file is damaged or incomplete.")) from None
    finally:
        workbook.close()
    if not table.headers:
        raise UnreadableFileError(_("The file is empty."))
    return table


# --- Reading cells ------------------------------------------------------------------------


class _CellError(ValueError):
    pass


def normalise_header(name: str) -> str:
    """`Unité ` → `unite`, `Code_Indicateur` → `code indicateur`."""
    text = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()
    return " ".join(re.sub(r"[\s_\-'’.]+", " ", text).split())


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f'’.,]\d{3})+([.,]\d+)?")


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def parse_number(cell: Cell, *, decimal_comma: bool) -> float | None:
    """A number from a cell: None when empty; decimal comma only where the separator allows."""
    if _is_blank(cell):
        return None
    if isinstance(cell, bool) or isinstance(cell, datetime.date):
        raise _CellError(_("“%(text)s” is not a number.") % {"text": cell})
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if _NUMBER.fullmatch(text):
        if "," in text and not decimal_comma:
            raise _CellError(
                _(
                    "“%(text)s” has a comma: in a file separated by commas, write numbers with "
                    "a decimal point and no thousands separator (for example 1234.5)."
                )
                % {"text": text}
            )
        return float(text.replace(",", "."))
    if _GROUPED.fullmatch(text):
        raise _CellError(
            _(
                "“%(text)s” has a thousands separator: write the number without it "
                "(for example %(example)s)."
            )
            % {"text": text, "example": "1234,5" if decimal_comma else "1234.5"}
        )
    raise _CellError(_("“%(text)s” is not a number.") % {"text": text})


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_period(cell: Cell) -> datetime.date:
    """A date from a date cell, `YYYY-MM-DD` or `DD/MM/YYYY` (never the American order)."""
    if isinstance(cell, datetime.datetime):
        if cell.time() != datetime.time(0):
            raise _CellError(_("The period has a time of day: give the date only."))
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = _text(cell)
    if not text:
        raise _CellError(_("This cell is empty."))
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if match := _DMY_DATE.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        pass
    raise _CellError(
        _("“%(text)s” is not a date: write YYYY-MM-DD or DD/MM/YYYY.") % {"text": text}
    )


def template_headers(language: str | None = None) -> dict[str, str]:
    """Column names of the template in a language (the active one by default)."""
    language = language or get_language() or "en"
    return HEADERS["fr" if language.startswith("fr") else "en"]


# --- Checking a file against the database -------------------------------------------------


def indicators_available_to(user: object) -> QuerySet[Indicator]:
    """Indicators the user may import values for: owned by a unit they see, or by a unit
    above one they see (an indicator is measured for every unit below its owner)."""
    paths = scope_paths(user)
    if paths is None:
        return Indicator.objects.all()
    ancestors = {
        "/".join(path.split("/")[:i]) + "/" for path in paths for i in range(2, path.count("/"))
    }
    return Indicator.objects.filter(
        Q(owner_unit__path__in=ancestors) | unit_scope_q(user, "owner_unit")
    )


def _lookup(candidates: Iterable[str]) -> set[str]:
    return {c for text in candidates for c in (text, text.lower())}


class _Planner:
    """Builds one plan; split in steps so each stays short."""

    def __init__(self, data: bytes, file_name: str, user: object) -> None:
        self.user = user
        self.plan = ImportPlan(file_name=file_name, sha256=hashlib.sha256(data).hexdigest())
        self.data = data
        self.columns: dict[str, int] = {}  # field → column index
        self.headers: list[str] = []

    def error(self, row: int | None, column: str, message: str) -> None:
        self.plan.errors.append(RowError(self.plan.file_name, row, column, message))

    def label(self, name: str) -> str:
        """The column of a field as written in the file, else as the template names it."""
        if name in self.columns:
            return self.headers[self.columns[name]].strip()
        return template_headers()[name]

    def run(self) -> ImportPlan:
        try:
            table = _read(self.data, self.plan.file_name)
        except UnreadableFileError as refused:
            self.error(None, "", str(refused))
            return self.plan
        self.plan.notices.extend(table.notices)
        for row, column, message in table.bad_cells:
            self.error(row, self.column_name(table, column), message)
        if not self.map_columns(table):
            return self.plan
        if not table.rows:
            self.error(None, "", _("The file has a header row but no values."))
            return self.plan
        if len(table.rows) > MAX_ROWS:
            self.error(
                None,
                "",
                _("The file has more than %(limit)s rows of values: split it into smaller files.")
                % {"limit": number_format(MAX_ROWS, force_grouping=True)},
            )
            return self.plan
        self.check_rows(table)
        # Row by row, and within a row from left to right, as the file reads.
        position = {name.strip(): i for i, name in reversed(list(enumerate(self.headers)))}
        self.plan.errors.sort(key=lambda e: (e.row or 0, position.get(e.column, len(position))))
        return self.plan

    def column_name(self, table: _Table, index: int) -> str:
        if index < len(table.headers) and table.headers[index].strip():
            return table.headers[index].strip()
        return _cell_name(index, table.header_row).rstrip("0123456789")

    def map_columns(self, table: _Table) -> bool:
        self.headers = table.headers
        expected = ", ".join(template_headers().values())
        ok = True
        for index, raw in enumerate(table.headers):
            name = _text(raw)
            if not name:
                continue
            found = _FIELD_BY_ALIAS.get(normalise_header(name))
            if found is None:
                self.error(
                    table.header_row,
                    name,
                    _("Unknown column “%(name)s”. The columns are: %(expected)s.")
                    % {"name": name, "expected": expected},
                )
                ok = False
            elif found in self.columns:
                self.error(
                    table.header_row,
                    name,
                    _("This column repeats the column “%(other)s”.") % {"other": self.label(found)},
                )
                ok = False
            else:
                self.columns[found] = index
        for name in ("indicator", "unit", "period"):
            if name not in self.columns:
                self.error(
                    table.header_row,
                    template_headers()[name],
                    _("This column is missing. The columns are: %(expected)s.")
                    % {"expected": expected},
                )
                ok = False
        if "value" not in self.columns and not {"numerator", "denominator"} <= set(self.columns):
            self.error(
                table.header_row,
                template_headers()["value"],
                _("This column is missing: give the value, or the numerator and the denominator."),
            )
            ok = False
        unnamed = [i for i, raw in enumerate(table.headers) if not _text(raw)]
        for index in unnamed:
            row = next((n for n, cells in table.rows if not _is_blank(_at(cells, index))), None)
            if row is not None:
                self.error(
                    row,
                    self.column_name(table, index),
                    _("This column has values but no name in the header row."),
                )
                ok = False
        return ok

    def check_rows(self, table: _Table) -> None:
        indicators, units = self.fetch_references(table)
        refused_rows = {row for row, _column, _message in table.bad_cells}
        parsed = []
        for number, cells in table.rows:
            if number in refused_rows:
                continue  # its formula or error cell is reported already
            if len(cells) > len(table.headers) and any(
                not _is_blank(c) for c in cells[len(table.headers) :]
            ):
                self.error(number, "", _too_many_cells(table))
                continue
            if (row := self.check_row(number, cells, table, indicators, units)) is not None:
                parsed.append(row)
        current = self.current_values(parsed)
        seen: dict[tuple[int, int, datetime.date], int] = {}
        for number, indicator, unit, period, measurement in parsed:
            key = (indicator.pk, unit.pk, period)
            if key in seen:
                self.error(
                    number,
                    self.label("period"),
                    _("Same indicator, unit and period as row %(row)s.") % {"row": seen[key]},
                )
                continue
            seen[key] = number
            stored = current.get(key)
            if stored is None:
                outcome = Outcome.CREATED
            elif stored == (measurement.value, measurement.numerator, measurement.denominator):
                outcome = Outcome.UNCHANGED
            else:
                outcome = Outcome.UPDATED
            self.plan.rows.append(PlannedRow(number, indicator, unit, period, measurement, outcome))

    def fetch_references(self, table: _Table) -> tuple[dict[str, Indicator], dict[str, Unit]]:
        def codes(name: str) -> set[str]:
            return _lookup(_text(_at(cells, self.columns[name])) for _n, cells in table.rows)

        indicators = {
            i.code: i
            for i in indicators_available_to(self.user)
            .filter(code__in=codes("indicator"))
            .select_related("owner_unit")
        }
        units = {
            u.code: u for u in Unit.objects.visible_to(self.user).filter(code__in=codes("unit"))
        }
        return indicators, units

    def check_row(
        self,
        number: int,
        cells: list[Cell],
        table: _Table,
        indicators: dict[str, Indicator],
        units: dict[str, Unit],
    ) -> tuple[int, Indicator, Unit, datetime.date, Measurement] | None:
        def cell(name: str) -> Cell:
            return _at(cells, self.columns[name]) if name in self.columns else None

        errors_before = len(self.plan.errors)
        indicator = self.reference(
            number,
            "indicator",
            cell("indicator"),
            indicators,
            _("Unknown indicator, or not one of yours."),
        )
        unit = self.reference(
            number, "unit", cell("unit"), units, _("Unknown unit, or not one of yours.")
        )
        if indicator is not None and indicator.source == Source.COMPUTED:
            self.error(
                number,
                self.label("indicator"),
                _(
                    "The values of %(indicator)s are computed from the event log: they cannot be "
                    "imported."
                )
                % {"indicator": indicator.code},
            )
            indicator = None
        if (
            indicator is not None
            and unit is not None
            and not unit.path.startswith(indicator.owner_unit.path)
        ):
            self.error(
                number,
                self.label("unit"),
                _("The indicator %(indicator)s is not measured for the unit %(unit)s.")
                % {"indicator": indicator.code, "unit": unit.code},
            )
        period = self.parse(number, "period", lambda: parse_period(cell("period")))
        numbers_before = len(self.plan.errors)
        numbers = {
            name: self.parse(
                number,
                name,
                lambda name=name: parse_number(cell(name), decimal_comma=table.decimal_comma),
            )
            for name in NUMBER_FIELDS
        }
        numbers_ok = len(self.plan.errors) == numbers_before
        if indicator is None or period is None:
            return None
        given = Measurement(numbers["value"], numbers["numerator"], numbers["denominator"])
        start = period_start(period, indicator.frequency)
        if start != period:
            try:
                resolve(indicator, period, given)
            except InvalidValue as invalid:  # always: the period is checked first
                self.error(number, self.label(invalid.field), str(invalid))
        if not numbers_ok:
            return None
        try:
            # Checked on the period's first day, so a wrong period does not hide a wrong number.
            measurement = resolve(indicator, start, given)
        except InvalidValue as invalid:
            self.error(number, self.label(invalid.field), str(invalid))
            return None
        if len(self.plan.errors) > errors_before or unit is None:
            return None
        return number, indicator, unit, period, measurement

    def reference(
        self, number: int, name: str, cell: Cell, known: dict[str, Any], unknown: str
    ) -> Any:
        code = _text(cell)
        if not code:
            self.error(number, self.label(name), _("This cell is empty."))
            return None
        found = known.get(code) or known.get(code.lower())
        if found is None:
            self.error(number, self.label(name), unknown)
        return found

    def parse(self, number: int, name: str, read: Any) -> Any:
        try:
            return read()
        except _CellError as bad:
            self.error(number, self.label(name), str(bad))
            return None

    def current_values(
        self, parsed: list[tuple[int, Indicator, Unit, datetime.date, Measurement]]
    ) -> dict[tuple[int, int, datetime.date], tuple[float, float | None, float | None]]:
        if not parsed:
            return {}
        periods = [p[3] for p in parsed]
        stored = Value.objects.filter(
            indicator__in={p[1].pk for p in parsed},
            unit__in={p[2].pk for p in parsed},
            period__gte=min(periods),
            period__lte=max(periods),
        ).values_list("indicator_id", "unit_id", "period", "value", "numerator", "denominator")
        return {(i, u, p): (v, n, d) for i, u, p, v, n, d in stored.iterator()}


def _too_many_cells(table: _Table) -> str:
    if table.decimal_comma:
        return _("This row has more cells than the header row.")
    return _(
        "This row has more cells than the header row: is there a decimal comma in this file "
        "separated by commas? Write 12.5, not 12,5."
    )


def _at(cells: list[Cell], index: int) -> Cell:
    return cells[index] if index < len(cells) else None


def plan_import(data: bytes, file_name: str, user: object) -> ImportPlan:
    """Read and check a file of values without writing anything (the dry run)."""
    return _Planner(data, file_name, user).run()


def do_import_values(data: bytes, file_name: str, user: object) -> ImportResult:
    """Check the file again and apply it all in one transaction, or write nothing.

    Nothing is written when the file has an error, or when every value in it is already
    stored (no import record either: importing the same file twice leaves no trace).
    """
    with transaction.atomic():
        plan = plan_import(data, file_name, user)
        if not plan.is_valid or not plan.changes_something:
            return ImportResult(plan, None)
        batch = ImportBatch.objects.create(
            file_name=file_name[:255],
            sha256=plan.sha256,
            imported_by=user if getattr(user, "pk", None) else None,
            rows=len(plan.rows),
        )
        outcomes = do_set_values(
            ((row.indicator, row.unit, row.period, row.measurement) for row in plan.rows),
            user=user,
            source=Source.IMPORTED,
            batch=batch,
        )
        batch.created = outcomes[Outcome.CREATED]
        batch.updated = outcomes[Outcome.UPDATED]
        batch.unchanged = outcomes[Outcome.UNCHANGED]
        batch.save(update_fields=["created", "updated", "unchanged"])
    return ImportResult(plan, batch)


# --- Templates to download ----------------------------------------------------------------


def example_row(user: object, language: str, today: datetime.date) -> dict[str, Any]:
    """One row of the template: the user's first indicator and a unit it is measured for,
    the current period and a plausible value (placeholders when the user has none)."""
    units = Unit.objects.visible_to(user).order_by("path")
    for indicator in indicators_available_to(user).select_related("owner_unit").order_by("code"):
        unit = units.filter(path__startswith=indicator.owner_unit.path).first()
        if unit is None or indicator.source == Source.COMPUTED:
            continue
        period = period_start(today, indicator.frequency)
        if indicator.needs_ratio:
            numbers = {"value": 9 / 12 * indicator.factor, "numerator": 9, "denominator": 12}
        elif indicator.kind == "count":
            numbers = {"value": 12, "numerator": None, "denominator": None}
        else:
            numbers = {"value": 12.5, "numerator": None, "denominator": None}
        return {"indicator": indicator.code, "unit": unit.code, "period": period, **numbers}
    placeholder = {"fr": ("code-indicateur", "code-unité"), "en": ("indicator-code", "unit-code")}
    code, unit_code = placeholder["fr" if language == "fr" else "en"]
    return {
        "indicator": code,
        "unit": unit_code,
        "period": period_start(today, "monthly"),
        "value": 12.5,
        "numerator": None,
        "denominator": None,
    }


def _format_number(number: float | int | None, language: str) -> str:
    if number is None:
        return ""
    text = f"{number:g}" if isinstance(number, float) else str(number)
    return text.replace(".", ",") if language == "fr" else text


def template_csv(example: dict[str, Any], language: str) -> bytes:
    """The CSV template: UTF-8 with a byte-order mark (so Excel shows the accents), `;` and
    decimal commas in French, `,` and decimal points in English."""
    headers = HEADERS[language]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if language == "fr" else ",")
    writer.writerow(headers[f] for f in FIELDS)
    writer.writerow(
        [
            example["indicator"],
            example["unit"],
            example["period"].isoformat(),
            *(_format_number(example[f], language) for f in NUMBER_FIELDS),
        ]
    )
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def template_xlsx(example: dict[str, Any], language: str) -> bytes:
    """The Excel template: a header row, one example row with a real date cell."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "valeurs" if language == "fr" else "values"
    headers = HEADERS[language]
    sheet.append([headers[f] for f in FIELDS])
    sheet.append([example[f] for f in FIELDS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet["C2"].number_format = "yyyy-mm-dd"
    for column in "ABCDEF":
        sheet.column_dimensions[column].width = 16
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def iter_error_lines(plan: ImportPlan) -> Iterator[str]:
    """The errors as lines of text, for the command line."""
    for error in plan.errors:
        if error.row is None:
            yield f"{error.file_name}: {error.message}"
        else:
            yield _("%(file)s, row %(row)s, column %(column)s: %(message)s") % {
                "file": error.file_name,
                "row": error.row,
                "column": error.column or "—",
                "message": error.message,
            }
