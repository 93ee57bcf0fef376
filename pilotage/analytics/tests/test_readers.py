"""Readers: each format gives the same canonical table, with the same rules."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilotage.analytics import (
    SCHEMA,
    ColumnMapping,
    EventLog,
    dropped_events,
    keyed_hasher,
    read_csv,
    read_event_log,
    read_excel,
    read_parquet,
    read_xes,
    variants,
)

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_receipt_csv(eventlogs: Path) -> None:
    table = read_csv(eventlogs / "receipt.csv")
    assert table.schema == SCHEMA.with_metadata(table.schema.metadata)
    assert table.num_rows == 8577
    first = table.slice(0, 1).to_pylist()[0]
    assert first == {
        "case": "case-10011",
        "episode": None,
        "activity": "Confirmation of receipt",
        # 2011-10-11 13:45:40.276000+02:00 in the file
        "timestamp": utc(2011, 10, 11, 11, 45, 40, 276000),
        "lifecycle": "complete",
        "team": "Group 1",
        "resource": "Resource21",
        "priority": None,
        "source_row": 2,  # the header is row 1, as a spreadsheet shows it
    }


def test_running_example_xes(eventlogs: Path) -> None:
    table = read_xes(eventlogs / "running-example.xes")
    assert table.num_rows == 42
    assert len(set(table["case"].to_pylist())) == 6
    assert table["source_row"].to_pylist() == list(range(1, 43))
    assert table["resource"][0].as_py() == "Pete"
    # 2010-12-30T14:32:00.000+01:00
    assert table["timestamp"][0].as_py() == utc(2010, 12, 30, 13, 32)


def test_interval_xes_becomes_start_and_complete(eventlogs: Path) -> None:
    table = read_xes(eventlogs / "interval_event_log.xes")
    assert table.num_rows == 2 * 8109
    first, second = table.slice(0, 2).to_pylist()
    assert (first["lifecycle"], second["lifecycle"]) == ("start", "complete")
    assert first["source_row"] == second["source_row"] == 1
    assert first["timestamp"] == utc(2015, 1, 5, 9, 0, 7)
    assert second["timestamp"] == utc(2015, 1, 5, 9, 2, 50)


def test_semicolon_csv_with_bom_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Dossier;Étape;Date;Équipe;Intervenant;Code\n"
        "F-1;Signalement;2024-03-01 09:30;Accueil;Dupont;2\n"
        '"F-1";"Évaluation";2024-03-04T10:00:00-05:00;Accueil;;\n',
        encoding="utf-8-sig",
    )
    mapping = ColumnMapping(
        case="Dossier",
        activity="Étape",
        timestamp="Date",
        team="Équipe",
        resource="Intervenant",
        priority="Code",
    )
    rows = read_csv(path, mapping).to_pylist()
    assert [r["activity"] for r in rows] == ["Signalement", "Évaluation"]
    # No offset: read in Montreal (UTC-5 in March before the DST change).
    assert rows[0]["timestamp"] == utc(2024, 3, 1, 14, 30)
    assert rows[1]["timestamp"] == utc(2024, 3, 4, 15, 0)
    assert rows[0]["priority"] == "2"
    assert rows[1]["resource"] is None  # empty cell
    assert rows[1]["priority"] is None


def test_naive_time_zone_and_format_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,when\nc,a,01/03/2024 09:30\n")
    mapping = ColumnMapping(case="case", activity="activity", timestamp="when")
    table = read_csv(path, mapping, naive_time_zone="UTC", timestamp_format="%d/%m/%Y %H:%M")
    assert table["timestamp"][0].as_py() == utc(2024, 3, 1, 9, 30)


def test_equal_timestamps_keep_source_order(tmp_path: Path) -> None:
    path = tmp_path / "ties.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp\n"
        "c1,b,2024-01-01T10:00:00Z\n"
        "c1,a,2024-01-01T10:00:00Z\n"
        "c2,a,2024-01-01T10:00:00Z\n"
        "c2,b,2024-01-01T10:00:00Z\n"
        "c1,c,2024-01-01T09:00:00Z\n"
    )
    found = {v.activities: v.count for v in variants(read_csv(path))}
    assert found == {("c", "b", "a"): 1, ("a", "b"): 1}


def test_excel(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["case:concept:name", "concept:name", "time:timestamp", "org:group"])
    sheet.append([10234, "Signalement", dt.datetime(2024, 7, 2, 9, 0), "Accueil"])
    sheet.append([])
    sheet.append([10234, "Évaluation", "2024-07-05T13:00:00+00:00", None])
    path = tmp_path / "log.xlsx"
    workbook.save(path)
    rows = read_excel(path).to_pylist()
    assert [r["case"] for r in rows] == ["10234", "10234"]  # not "10234.0"
    assert rows[0]["timestamp"] == utc(2024, 7, 2, 13, 0)  # Montreal summer time, UTC-4
    assert rows[0]["source_row"] == 2
    assert rows[1]["source_row"] == 4  # the blank row is skipped, numbers stay the sheet's
    assert rows[1]["team"] is None


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a", "a"],
                "step": ["x", "y"],
                "at": pa.array(
                    [dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 2, 12)], pa.timestamp("ms")
                ),
                "at_text": ["2024-01-01T00:00:00Z", "bad"],
            }
        ),
        path,
    )
    table = read_parquet(path, ColumnMapping(case="id", activity="step", timestamp="at"))
    assert table["timestamp"].to_pylist() == [utc(2024, 1, 1, 17), utc(2024, 1, 2, 17)]
    assert table["source_row"].to_pylist() == [1, 2]


def test_xes_lifecycle_namespace_and_gzip(tmp_path: Path) -> None:
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="case-1"/>
    <string key="priority" value="1"/>
    <event>
      <string key="concept:name" value="Evaluation"/>
      <string key="lifecycle:transition" value="schedule"/>
      <date key="time:timestamp" value="2024-01-01T09:00:00.000-05:00"/>
    </event>
    <!-- a comment -->
    <event>
      <string key="concept:name" value="Evaluation"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="org:resource" value="Ana"/>
      <date key="time:timestamp" value="2024-01-02T09:00:00.000-05:00"/>
      <list key="notes"><string key="n" value="nested, ignored"/></list>
    </event>
    <event>
      <string key="concept:name" value="Evaluation"/>
      <string key="lifecycle:transition" value="COMPLETE"/>
      <string key="org:resource" value="Ana"/>
      <date key="time:timestamp" value="2024-01-02T16:00:00Z"/>
    </event>
  </trace>
</log>
"""
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(document))
    table = read_event_log(path, ColumnMapping(priority="case:priority"))
    assert dropped_events(table) == 1  # the "schedule" event
    assert table["lifecycle"].to_pylist() == ["start", "complete"]
    assert table["source_row"].to_pylist() == [2, 3]
    assert table["priority"].to_pylist() == ["1", "1"]
    log = EventLog(table)
    assert log.n_instances() == 1
    assert log.case_durations().mean_seconds == 2 * 3600


def test_start_and_complete_pair_first_in_first_out() -> None:
    from pilotage.analytics import events_table

    rows = [
        {"case": "c", "activity": "a", "timestamp": utc(2024, 1, 1, h), "lifecycle": lc}
        for h, lc in [
            (1, "complete"),  # no start before it: an instance starting and ending at 1
            (2, "start"),
            (3, "start"),
            (4, "complete"),  # pairs with the start at 2
            (5, "complete"),  # pairs with the start at 3
            (6, "start"),  # never completed: not an instance
        ]
    ]
    rows.append({"case": "c", "activity": "b", "timestamp": utc(2024, 1, 1, 7)})
    follows = {(d.source, d.target): d for d in EventLog(events_table(rows)).directly_follows()}
    assert follows[("a", "a")].count == 2
    # a(1..1) -> a(2..4): 1 h wait; a(2..4) -> a(3..5): starts 1 h before the other ends.
    assert follows[("a", "a")].mean_seconds == 0.0
    assert follows[("a", "b")].mean_seconds == 2 * 3600  # ends at 5, b starts at 7


def test_pseudonymisation(tmp_path: Path) -> None:
    pseudonym = keyed_hasher(b"0123456789abcdef-test-key")
    assert pseudonym("case-10011") == pseudonym("case-10011")
    assert len(pseudonym("case-10011")) == 16
    assert int(pseudonym("case-10011"), 16) >= 0
    assert keyed_hasher(b"another key of 16+ bytes")("case-10011") != pseudonym("case-10011")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        keyed_hasher(b"short")

    path = tmp_path / "log.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp,org:resource,org:group\n"
        "child-1,a,2024-01-01T00:00:00Z,Marie Tremblay,Equipe 1\n"
    )
    row = read_csv(path, pseudonymise=pseudonym).to_pylist()[0]
    assert row["case"] == pseudonym("child-1")
    assert row["resource"] == pseudonym("Marie Tremblay")
    assert row["team"] == "Equipe 1"  # a team names no person
    assert row["activity"] == "a"


def test_engine_reads_canonical_parquet(tmp_path: Path, eventlogs: Path) -> None:
    table = read_xes(eventlogs / "running-example.xes")
    first, second = tmp_path / "batch-1.parquet", tmp_path / "batch-2.parquet"
    pq.write_table(table.slice(0, 20), first)
    pq.write_table(table.slice(20), second)
    from_files = EventLog([first, second]).stats()
    assert from_files == EventLog(table).stats()
    assert from_files["n_events"] == 42
