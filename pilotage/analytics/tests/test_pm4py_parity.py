"""The engine against PM4Py, computed here on the same published files.

PM4Py reads each file with its own reader (XES) or pandas (CSV), so the comparison checks our
readers as well as our statistics. PM4Py is a test-only dependency, imported inside a fixture
so that its import-time output and warnings stay inside the tests that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pilotage.analytics import EventLog, case_durations, read_csv, read_xes

pytestmark = [
    # PM4Py suggests an optional faster XES importer on every read.
    pytest.mark.filterwarnings("ignore:Install the optional requirement `r4pm`:UserWarning:pm4py"),
]

LOGS: dict[str, Callable[..., pa.Table]] = {
    "receipt.csv": read_csv,
    "interval_event_log.xes": read_xes,
    "running-example.xes": read_xes,
}
# Figures stated by the data set's README and the process-mining literature, independent of
# both implementations.
EXPECTED_CASES = {"receipt.csv": 1434, "interval_event_log.xes": 1266, "running-example.xes": 6}


@pytest.fixture(scope="module")
def pm4py() -> ModuleType:
    # PM4Py reads this once, at import: no progress bars in the test output.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PM4PY_SHOW_PROGRESS_BAR", "False")
        import pm4py as module
    return module


@pytest.fixture(scope="module", params=sorted(LOGS))
def pair(
    request: pytest.FixtureRequest, pm4py: ModuleType, eventlogs: Path
) -> tuple[str, dict[str, Any], Any]:
    """(file name, our stats, PM4Py's dataframe) for each published log."""
    import pandas as pd

    name: str = request.param
    path = eventlogs / name
    ours = EventLog(LOGS[name](path)).stats()
    if name.endswith(".csv"):
        frame = pd.read_csv(path)
        frame["time:timestamp"] = pd.to_datetime(
            frame["time:timestamp"], utc=True, format="ISO8601"
        )
        frame = pm4py.format_dataframe(
            frame,
            case_id="case:concept:name",
            activity_key="concept:name",
            timestamp_key="time:timestamp",
        )
    else:
        frame = pm4py.read_xes(str(path))
    return name, ours, frame


def test_case_and_event_counts(pair: tuple[str, dict[str, Any], Any]) -> None:
    name, ours, frame = pair
    assert ours["n_cases"] == EXPECTED_CASES[name]
    assert ours["n_cases"] == frame["case:concept:name"].nunique()
    # PM4Py holds one row per activity instance; an interval log has a start and a complete
    # event for each in the canonical table.
    assert ours["n_activity_instances"] == len(frame)
    factor = 2 if "start_timestamp" in frame.columns else 1
    assert ours["n_events"] == factor * len(frame)


def test_directly_follows_counts(pm4py: ModuleType, pair: tuple[str, dict[str, Any], Any]) -> None:
    _, ours, frame = pair
    dfg, _, _ = pm4py.discover_dfg(frame)
    assert {(d["source"], d["target"]): d["count"] for d in ours["directly_follows"]} == dict(dfg)


def test_directly_follows_times(pm4py: ModuleType, pair: tuple[str, dict[str, Any], Any]) -> None:
    _, ours, frame = pair
    performance, _, _ = pm4py.discover_performance_dfg(frame)
    mine = {(d["source"], d["target"]): d for d in ours["directly_follows"]}
    assert set(mine) == set(performance)
    for arc, theirs in performance.items():
        assert mine[arc]["mean_seconds"] == pytest.approx(theirs["mean"], abs=1e-6), arc
        assert mine[arc]["median_seconds"] == pytest.approx(theirs["median"], abs=1e-6), arc


def test_variants(pm4py: ModuleType, pair: tuple[str, dict[str, Any], Any]) -> None:
    _, ours, frame = pair
    theirs = pm4py.get_variants(frame)
    assert {tuple(v["activities"]): v["count"] for v in ours["variants"]} == dict(theirs)


def test_case_durations(
    pm4py: ModuleType, pair: tuple[str, dict[str, Any], Any], eventlogs: Path
) -> None:
    name, ours, frame = pair
    if "start_timestamp" in frame.columns:
        # PM4Py takes the first and last rows of each case in frame order, on completion
        # times only, and its XES reader keeps the file's order (here: by start time). Ours
        # spans the first to the last event, starts included. Compare like with like: our
        # complete events against PM4Py on the frame sorted by completion; then the full span
        # against the start and completion columns directly.
        frame = frame.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
        table = LOGS[name](eventlogs / name)
        completes = table.filter(pc.equal(table["lifecycle"], "complete"))
        measured = _as_dict(case_durations(completes))
        spans = frame.groupby("case:concept:name").agg(
            first=("start_timestamp", "min"), last=("time:timestamp", "max")
        )
        full = (spans["last"] - spans["first"]).dt.total_seconds().to_numpy()
        assert ours["case_duration"]["mean_seconds"] == pytest.approx(full.mean())
        assert ours["case_duration"]["p90_seconds"] == pytest.approx(np.percentile(full, 90))
    else:
        measured = ours["case_duration"]
    durations = np.array(pm4py.get_all_case_durations(frame))
    assert measured["n_cases"] == len(durations)
    assert measured["mean_seconds"] == pytest.approx(durations.mean())
    assert measured["median_seconds"] == pytest.approx(np.median(durations))
    assert measured["p90_seconds"] == pytest.approx(np.percentile(durations, 90))


def test_handover_of_work(pm4py: ModuleType, pair: tuple[str, dict[str, Any], Any]) -> None:
    name, ours, frame = pair
    if "org:resource" not in frame.columns:
        assert ours["handovers"]["resource"] == []
        return
    network = pm4py.discover_handover_of_work_network(frame)
    mine = {(h["source"], h["target"]): h for h in ours["handovers"]["resource"]}
    assert set(mine) == set(network.connections)
    for pair_of_resources, share in network.connections.items():
        assert mine[pair_of_resources]["share"] == pytest.approx(share)
    # Counts: one handover per consecutive pair of events of a case (self-handovers included).
    assert sum(h["count"] for h in mine.values()) == ours["n_activity_instances"] - ours["n_cases"]
    if name == "receipt.csv":
        teams = pm4py.discover_handover_of_work_network(frame, resource_key="org:group")
        by_team = {(h["source"], h["target"]): h["share"] for h in ours["handovers"]["team"]}
        assert by_team == pytest.approx(dict(teams.connections))


def _as_dict(durations: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(durations)
