"""Benchmark: event-log statistics on DuckDB against PM4Py, on the same synthetic log.

Generates (seeded) a log of about 50,000 cases and 500,000 events with a Markov chain over a
dozen activities, computes `event_log_stats` with the project and the equivalent figures with
PM4Py in the same run, checks that they agree, and prints both times. The last line is the
headline figure.

    .venv/bin/python benchmarks/eventlog.py [--cases 50000] [--seed 1849] [--threads N]

PM4Py is a test-only dependency; both sides start from their own in-memory form (a canonical
pyarrow table, a formatted pandas DataFrame), so neither time includes generating the data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pilotage.analytics.canonical import SCHEMA  # noqa: E402
from pilotage.analytics.engine import EventLog, connect  # noqa: E402

ACTIVITIES = [
    "Signalement",
    "Tri",
    "Évaluation",
    "Orientation",
    "Plan d'intervention",
    "Suivi",
    "Intervention de groupe",
    "Réadaptation",
    "Référence partenaire",
    "Révision",
    "Transition",
    "Fermeture",
]
TEAMS = ["Accueil", "DPJ-Évaluation", "JED", "Réadaptation", "Partenaires", "Santé mentale"]
RESOURCES_PER_TEAM = 40
MAX_LENGTH = 20


def generate(n_cases: int, seed: int) -> pa.Table:
    """A canonical table: cases start with a request, wander, and mostly end with a closure."""
    rng = np.random.default_rng(seed)
    n = len(ACTIVITIES)
    closure = n - 1
    transitions = rng.dirichlet(np.full(n, 0.6), size=n)
    transitions[:, 0] = 0.0  # no new request inside a case
    transitions[:, closure] *= 0.65  # about ten events per case on average
    transitions /= transitions.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(transitions, axis=1)

    states = np.zeros((n_cases, MAX_LENGTH), dtype=np.int64)
    alive = np.ones((n_cases, MAX_LENGTH), dtype=bool)
    for step in range(1, MAX_LENGTH):
        draws = rng.random(n_cases)
        previous = states[:, step - 1]
        states[:, step] = (draws[:, None] > cumulative[previous]).sum(axis=1).clip(max=n - 1)
        alive[:, step] = alive[:, step - 1] & (previous != closure)
    lengths = alive.sum(axis=1)
    case_index = np.repeat(np.arange(n_cases), lengths)
    activity = states[alive]

    start = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
    case_start = start + rng.integers(0, 2 * 365 * 86_400, n_cases) * 1_000_000
    gaps = (rng.exponential(2.5 * 86_400, len(activity)) + 1).astype(np.int64) * 1_000_000
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    gaps[first] = 0
    within_case = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], lengths)
    timestamps = np.repeat(case_start, lengths) + within_case

    team = (activity * 7 + rng.integers(0, 2, len(activity))) % len(TEAMS)
    resource = team * RESOURCES_PER_TEAM + rng.integers(0, RESOURCES_PER_TEAM, len(activity))

    case_names = np.char.add("case-", np.arange(n_cases).astype(str))
    resource_names = np.array([f"R{r:03d}" for r in range(len(TEAMS) * RESOURCES_PER_TEAM)])
    columns: dict[str, Any] = {
        "case": pa.array(case_names[case_index]),
        "episode": pa.nulls(len(activity), pa.string()),
        "activity": pa.array(np.array(ACTIVITIES)[activity]),
        "timestamp": pa.array(timestamps, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "lifecycle": pa.array(np.full(len(activity), "complete")),
        "team": pa.array(np.array(TEAMS)[team]),
        "resource": pa.array(resource_names[resource]),
        "priority": pa.nulls(len(activity), pa.string()),
        "source_row": pa.array(np.arange(1, len(activity) + 1)),
    }
    return pa.Table.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def pm4py_stats(frame: Any) -> dict[str, Any]:
    """The same figures as `event_log_stats`, from PM4Py."""
    import pm4py

    dfg, _, _ = pm4py.discover_dfg(frame)
    performance, _, _ = pm4py.discover_performance_dfg(frame)
    durations = np.array(pm4py.get_all_case_durations(frame))
    return {
        "n_cases": frame["case:concept:name"].nunique(),
        "n_events": len(frame),
        "dfg": dict(dfg),
        "performance": performance,
        "variants": dict(pm4py.get_variants(frame)),
        "durations": (durations.mean(), np.median(durations), np.percentile(durations, 90)),
        "handover_resource": pm4py.discover_handover_of_work_network(frame).connections,
        "handover_team": pm4py.discover_handover_of_work_network(
            frame, resource_key="org:group"
        ).connections,
    }


def disagreements(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems = []

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)

    if (ours["n_cases"], ours["n_events"]) != (theirs["n_cases"], theirs["n_events"]):
        problems.append("case or event counts differ")
    follows = {(d["source"], d["target"]): d for d in ours["directly_follows"]}
    if {arc: d["count"] for arc, d in follows.items()} != theirs["dfg"]:
        problems.append("directly-follows counts differ")
    for arc, perf in theirs["performance"].items():
        mine = follows.get(arc)
        if mine is None or not (
            close(mine["mean_seconds"], perf["mean"])
            and close(mine["median_seconds"], perf["median"])
        ):
            problems.append(f"directly-follows times differ on {arc}")
            break
    if {tuple(v["activities"]): v["count"] for v in ours["variants"]} != theirs["variants"]:
        problems.append("variants differ")
    duration = ours["case_duration"]
    mine_durations = (duration["mean_seconds"], duration["median_seconds"], duration["p90_seconds"])
    if not all(close(a, b) for a, b in zip(mine_durations, theirs["durations"], strict=True)):
        problems.append("case durations differ")
    for by in ("resource", "team"):
        mine_shares = {(h["source"], h["target"]): h["share"] for h in ours["handovers"][by]}
        reference = theirs[f"handover_{by}"]
        if set(mine_shares) != set(reference) or not all(
            close(mine_shares[k], v) for k, v in reference.items()
        ):
            problems.append(f"handovers by {by} differ")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1849)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    args = parser.parse_args()

    started = time.perf_counter()
    table = generate(args.cases, args.seed)
    print(
        f"generated {table.num_rows} events in {args.cases} cases "
        f"({time.perf_counter() - started:.1f} s, seed {args.seed})"
    )

    started = time.perf_counter()
    log = EventLog(table, connect(threads=args.threads))
    ours = log.stats()
    log.close()
    ours_seconds = time.perf_counter() - started
    print(f"pilotage (DuckDB): {ours_seconds:.2f} s")

    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    import pm4py

    frame = table.select(["case", "activity", "timestamp", "resource", "team"]).to_pandas()
    frame.columns = [
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "org:group",
    ]
    frame = pm4py.format_dataframe(frame)
    started = time.perf_counter()
    theirs = pm4py_stats(frame)
    pm4py_seconds = time.perf_counter() - started
    print(f"pm4py {pm4py.__version__}: {pm4py_seconds:.2f} s")

    problems = disagreements(ours, theirs)
    for problem in problems:
        print(f"DISAGREEMENT: {problem}")
    print(
        f"agreement: {len(ours['directly_follows'])} directly-follows arcs, "
        f"{len(ours['variants'])} variants, "
        f"{len(ours['handovers']['resource'])} resource handover pairs"
        + (" - all equal" if not problems else " - DIFFERENT")
    )
    print(
        f"eventlog stats: {table.num_rows} events in {ours_seconds:.1f} s "
        f"(pm4py: {pm4py_seconds:.1f} s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
