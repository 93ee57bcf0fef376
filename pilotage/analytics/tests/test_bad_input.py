"""Bad input is refused whole, with problems that name the file, the row and the field."""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path

import pytest

from pilotage.analytics import (
    MESSAGES,
    EventLogError,
    Problem,
    read_csv,
    read_event_log,
    read_excel,
    read_parquet,
    read_xes,
)

HEADER = "case:concept:name,concept:name,time:timestamp\n"


def refused(call, *args, **kwargs) -> list[Problem]:  # type: ignore[no-untyped-def]
    with pytest.raises(EventLogError) as caught:
        call(*args, **kwargs)
    problems = caught.value.problems
    for problem in problems:
        assert problem.message  # every problem renders in English
    return problems


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_csv_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "case:concept:name,concept:name\nc,a\n")
    [problem] = refused(read_csv, path)
    assert (problem.file, problem.row, problem.field, problem.code) == (
        "log.csv",
        1,
        "timestamp",
        "missing_column",
    )
    assert "'time:timestamp' is missing" in problem.message
    assert "log.csv, row 1, field timestamp" in str(problem)


def test_csv_explicitly_mapped_optional_column_must_exist(tmp_path: Path) -> None:
    from pilotage.analytics import ColumnMapping

    path = write(tmp_path, "log.csv", HEADER + "c,a,2024-01-01T00:00:00Z\n")
    [problem] = refused(read_csv, path, ColumnMapping(team="Équipe"))
    assert (problem.code, problem.field) == ("missing_column", "team")


def test_csv_bad_timestamp_names_row_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "log.csv",
        HEADER + "c,a,2024-01-01T00:00:00Z\nc,b,31/01/2024\nc,c,\n",
    )
    problems = refused(read_csv, path)
    assert [(p.file, p.row, p.field, p.code) for p in problems] == [
        ("log.csv", 3, "timestamp", "bad_timestamp"),
        ("log.csv", 4, "timestamp", "missing_value"),
    ]
    assert problems[0].params == {"value": "31/01/2024"}
    assert "'31/01/2024' is not a date and time" in str(problems[0])


def test_csv_row_length_and_quoting(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", HEADER + "c,a,2024-01-01T00:00:00Z,extra\n")
    [problem] = refused(read_csv, path)
    assert (problem.row, problem.code, problem.params) == (
        2,
        "row_length",
        {"found": 4, "expected": 3},
    )
    path = write(tmp_path, "quote.csv", HEADER + 'c,"a"b,2024-01-01T00:00:00Z\n')
    [problem] = refused(read_csv, path)
    assert (problem.row, problem.code) == (2, "csv_malformed")


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path, "log.csv", HEADER.encode() + "c,évaluation,2024-01-01\n".encode("cp1252")
    )
    [problem] = refused(read_csv, path)
    assert problem.code == "encoding"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.csv", "", "empty_file"),
        ("header-only.csv", HEADER, "no_events"),
        ("blank.csv", "\n\n", "empty_file"),
        ("empty.xes", "", "empty_file"),
        ("no-traces.xes", "<?xml version='1.0'?><log/>", "no_events"),
        (
            "empty-traces.xes",
            "<log><trace><string key='concept:name' value='x'/></trace></log>",
            "no_events",
        ),
    ],
)
def test_empty_logs_are_refused(tmp_path: Path, name: str, content: str, code: str) -> None:
    [problem] = refused(read_event_log, write(tmp_path, name, content))
    assert problem.code == code


def test_truncated_xes(tmp_path: Path, eventlogs: Path) -> None:
    whole = (eventlogs / "running-example.xes").read_bytes()
    path = write(tmp_path, "cut.xes", whole[: len(whole) // 2])
    [problem] = refused(read_xes, path)
    assert problem.code == "xml_malformed"
    assert problem.params["line"] > 1
    packed = gzip.compress(whole)
    gz = write(tmp_path, "cut.xes.gz", packed[: len(packed) // 2])
    [problem] = refused(read_xes, gz)
    assert problem.code == "xml_malformed"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE log [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
{levels}
]>
<log><trace><string key="concept:name" value="&z;"/>
<event><string key="concept:name" value="x"/>
<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>
"""


def test_entity_expansion_bomb_is_refused_fast(tmp_path: Path) -> None:
    names = "abcdefghijklmnopqrstuvwxyz"
    levels = "\n".join(
        f' <!ENTITY {names[i + 1]} "{("&" + names[i] + ";") * 10}">' for i in range(25)
    )
    path = write(tmp_path, "bomb.xes", BOMB.format(levels=levels))
    started = time.perf_counter()
    [problem] = refused(read_xes, path)
    assert problem.code == "xml_forbidden"
    assert time.perf_counter() - started < 1.0


def test_external_entity_is_refused(tmp_path: Path) -> None:
    document = (
        '<?xml version="1.0"?><!DOCTYPE log [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        '<log><trace><string key="concept:name" value="&secret;"/></trace></log>'
    )
    [problem] = refused(read_xes, write(tmp_path, "xxe.xes", document))
    assert problem.code == "xml_forbidden"


def test_xes_problems_name_trace_and_event(tmp_path: Path) -> None:
    document = """<log>
  <trace><string key="concept:name" value="ok"/>
    <event><string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>
  </trace>
  <trace>
    <event><string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>
  </trace>
  <trace><string key="concept:name" value="c"/>
    <event><string key="concept:name" value="a"/>
      <date key="time:timestamp" value="yesterday"/></event>
    <event><string key="concept:name" value="b"/>
      <string key="lifecycle:transition" value="finished"/>
      <date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>
  </trace>
</log>"""
    problems = refused(read_xes, write(tmp_path, "log.xes", document))
    assert [(p.trace, p.row, p.field, p.code) for p in problems] == [
        (2, None, "case", "missing_value"),
        (3, 3, "timestamp", "bad_timestamp"),
        (3, 4, "lifecycle", "unknown_lifecycle"),
    ]
    assert str(problems[1]).startswith("log.xes, trace 3, event 3, field timestamp:")


def test_xes_structure(tmp_path: Path) -> None:
    [problem] = refused(read_xes, write(tmp_path, "x.xes", "<html><body/></html>"))
    assert problem.code == "xes_structure"
    document = "<log><event><string key='concept:name' value='a'/></event></log>"
    [problem] = refused(read_xes, write(tmp_path, "y.xes", document))
    assert (problem.code, problem.row) == ("xes_structure", 1)


def test_size_limit(tmp_path: Path, eventlogs: Path) -> None:
    [problem] = refused(read_xes, eventlogs / "running-example.xes", max_bytes=1000)
    assert problem.code == "file_too_large"
    # A gzip bomb: tiny on disk, the limit applies to what it unpacks to.
    padding = b"<!-- " + b"x" * 5_000_000 + b" -->"
    bomb = write(tmp_path, "bomb.xes.gz", gzip.compress(b"<log>" + padding + b"</log>"))
    assert bomb.stat().st_size < 100_000
    [problem] = refused(read_xes, bomb, max_bytes=1_000_000)
    assert problem.code == "file_too_large"


def test_corrupt_binary_formats(tmp_path: Path) -> None:
    [problem] = refused(read_excel, write(tmp_path, "log.xlsx", b"not a zip file"))
    assert problem.code == "excel_malformed"
    [problem] = refused(read_parquet, write(tmp_path, "log.parquet", b"PAR1 not really"))
    assert problem.code == "parquet_malformed"
    [problem] = refused(read_event_log, write(tmp_path, "log.json", "{}"))
    assert problem.code == "unsupported_format"
    [problem] = refused(read_csv, tmp_path / "absent.csv")
    assert problem.code == "file_not_found"


def test_excel_formula_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["case:concept:name", "concept:name", "time:timestamp", "note"])
    sheet.append(["c", "a", "=NOW()", "=1+1"])  # the unmapped formula is harmless
    path = tmp_path / "log.xlsx"
    workbook.save(path)
    problems = refused(read_excel, path)
    assert [(p.row, p.field, p.code) for p in problems] == [(2, "timestamp", "excel_formula")]
    assert problems[0].params == {"formula": "=NOW()"}


def test_problem_count_is_capped(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", HEADER + "c,a,never\n" * 500)
    problems = refused(read_csv, path)
    assert len(problems) == 51
    assert problems[-1].code == "too_many_problems"


def test_every_problem_code_has_a_message() -> None:
    """Codes raised anywhere in the package exist in the one message catalogue."""
    package = Path(__file__).resolve().parents[1]
    used: set[str] = set()
    for source in package.glob("*.py"):
        used |= set(re.findall(r'\.(?:add|fail)\(\s*"(\w+)"', source.read_text()))
    assert used, "the pattern no longer finds problem codes"
    assert used <= set(MESSAGES)
