"""`pilotage eventlog stats` against PM4Py on the published logs, its errors, and
`pilotage eventlog import` for back-loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from pilotage.indicators.models import Value
from pilotage.trajectories.models import EventImport

pytestmark = [
    pytest.mark.filterwarnings("ignore:Install the optional requirement `r4pm`:UserWarning:pm4py"),
]


@pytest.fixture(scope="module")
def pm4py() -> ModuleType:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PM4PY_SHOW_PROGRESS_BAR", "False")
        import pm4py as module
    return module


def stats(*args: str, tmp_path: Path) -> dict:
    out = tmp_path / "stats.json"
    call_command("eventlog", "stats", *args, "--json", str(out))
    return json.loads(out.read_text(encoding="utf-8"))


def test_running_example_matches_pm4py(pm4py, eventlogs, tmp_path):
    path = eventlogs / "running-example.xes"
    document = stats(str(path), tmp_path=tmp_path)
    frame = pm4py.read_xes(str(path))

    assert document["file"] == "running-example.xes"
    assert document["format"] == "xes"
    assert document["n_cases"] == frame["case:concept:name"].nunique() == 6
    assert document["n_events"] == len(frame) == 42
    dfg, _, _ = pm4py.discover_dfg(frame)
    mine = {(d["from"], d["to"]): d for d in document["directly_follows"]}
    assert {arc: d["count"] for arc, d in mine.items()} == dict(dfg)
    performance, _, _ = pm4py.discover_performance_dfg(frame)
    for arc, theirs in performance.items():
        assert mine[arc]["mean_seconds"] == pytest.approx(theirs["mean"], abs=1e-6)
        assert mine[arc]["median_seconds"] == pytest.approx(theirs["median"], abs=1e-6)
    variants = pm4py.get_variants(frame)
    assert {tuple(v["variant"]): v["count"] for v in document["variants"]} == dict(variants)
    durations = sorted(pm4py.get_all_case_durations(frame))
    assert document["case_duration"]["median_seconds"] == pytest.approx(float(np.median(durations)))
    # The log names resources, not teams: only the resource hand-overs are given.
    assert set(document["handovers"]) == {"resource"}
    assert all(set(h) == {"from", "to", "count"} for h in document["handovers"]["resource"])
    assert sum(h["count"] for h in document["handovers"]["resource"]) == sum(dfg.values())


def test_keys_and_team_handovers_on_a_csv(eventlogs, tmp_path):
    document = stats(str(eventlogs / "receipt.csv"), tmp_path=tmp_path)
    assert list(document) == [
        "file",
        "format",
        "n_cases",
        "n_events",
        "directly_follows",
        "case_duration",
        "variants",
        "handovers",
    ]
    assert (document["n_cases"], document["n_events"]) == (1434, 8577)
    assert set(document["case_duration"]) == {"mean_seconds", "median_seconds", "p90_seconds"}
    assert set(document["handovers"]) == {"resource", "team"}
    assert any(h["from"] == "Group 1" for h in document["handovers"]["team"])
    assert any(h["from"].startswith("Resource") for h in document["handovers"]["resource"])


def test_column_options_and_pseudonymised_resources(tmp_path, settings):
    settings.PSEUDONYM_KEY_FILE = tmp_path / "key"
    path = tmp_path / "log.txt"
    path.write_text(
        "dossier;étape;quand;qui\n1;a;2024-01-01T10:00:00;Ann\n1;b;2024-01-01T11:00:00;Bob\n",
        encoding="utf-8",
    )
    options = ["--format", "csv", "--case", "dossier", "--activity", "étape"]
    options += ["--timestamp", "quand", "--resource", "qui"]
    document = stats(str(path), *options, tmp_path=tmp_path)
    assert document["directly_follows"] == [
        {"from": "a", "to": "b", "count": 1, "mean_seconds": 3600.0, "median_seconds": 3600.0}
    ]
    assert document["handovers"]["resource"] == [{"from": "Ann", "to": "Bob", "count": 1}]
    hidden = stats(str(path), *options, "--pseudonymise", tmp_path=tmp_path)
    (handover,) = hidden["handovers"]["resource"]
    assert "Ann" not in json.dumps(hidden) and len(handover["from"]) == 16


def test_a_refused_file_names_file_row_and_field_and_exits_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp\n1,a,2024-01-01\n1,,yesterday\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as refused:
        call_command("eventlog", "stats", str(path), "--json", str(tmp_path / "out.json"))
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert "bad.csv, row 3, field activity: The value is empty." in message
    assert "bad.csv, row 3, field timestamp: 'yesterday' is not a date and time" in message
    assert not (tmp_path / "out.json").exists()


def test_the_console_script_exits_2_on_a_truncated_file(tmp_path):
    path = tmp_path / "cut.xes"
    path.write_text('<?xml version="1.0"?><log><trace><string key="concept:name" val')
    done = subprocess.run(
        [sys.executable, "-m", "pilotage.cli", "eventlog", "stats", str(path), "--json", "-"],
        capture_output=True,
        text=True,
        env={**os.environ, "PILOTAGE_DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "cut.xes" in done.stderr and "malformed or truncated" in done.stderr
    assert done.stdout == ""


def test_an_unknown_type_exits_2(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("x")
    with pytest.raises(CommandError) as refused:
        call_command("eventlog", "stats", str(path), "--json", "-")
    assert refused.value.returncode == 2


# --- import ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("storage_dirs")
def test_import_runs_synchronously_and_recomputes(receipt_trajectory, diana, eventlogs, capsys):
    call_command("eventlog", "import", "receipt", str(eventlogs / "receipt.csv"), "--user", "diana")
    output = capsys.readouterr().out
    batch = EventImport.objects.get()
    assert (batch.status, batch.n_events, batch.imported_by) == ("done", 8577, diana)
    assert "8577 events, 1434 cases imported into receipt" in output
    assert "Indicators:" in output
    requests = Value.objects.filter(
        indicator__code="traj-receipt-requests", unit=receipt_trajectory.unit
    )
    assert sum(v.value for v in requests) == 1434
    # Twice is once.
    call_command("eventlog", "import", "receipt", str(eventlogs / "receipt.csv"), "--user", "diana")
    assert "nothing to change" in capsys.readouterr().out
    assert EventImport.objects.count() == 1


@pytest.mark.usefixtures("storage_dirs")
def test_import_with_a_mapping_and_its_refusals(jimmy, diana, tmp_path):
    path = tmp_path / "journal.csv"
    path.write_text("dossier,étape,quand\nD1,Signalement,2024-01-01T10:00\n", encoding="utf-8")
    mapping = json.dumps({"case": "dossier", "activity": "étape", "timestamp": "quand"})
    call_command(
        "eventlog", "import", "jimmy", str(path), "--user", "diana", "--mapping", mapping,
        "--no-recompute",
    )  # fmt: skip
    assert EventImport.objects.get().status == "done"
    assert not Value.objects.exists()
    for args in (
        ["nope", str(path), "--user", "diana"],
        ["jimmy", str(path), "--user", "nobody"],
        ["jimmy", str(tmp_path / "missing.csv"), "--user", "diana"],
        ["jimmy", str(path), "--user", "diana", "--mapping", "[1]"],
    ):
        with pytest.raises(CommandError) as refused:
            call_command("eventlog", "import", *args)
        assert refused.value.returncode == 2
    path.write_text("dossier,étape,quand\nD1,Signalement,\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command(
            "eventlog", "import", "jimmy", str(path), "--user", "diana", "--mapping", mapping
        )
    assert "journal.csv, row 2, field timestamp: The value is empty." in str(refused.value)
