"""Benchmark: the full trajectory analytics on DuckDB against PM4Py, from Parquet on disk.

For each size (10,000, 100,000 and 1,000,000 cases by default, about 10 events per case), a
seeded log of a youth-protection trajectory over four years (reports and requests, screening,
evaluations, orientation, services passed from team to team, closures, families coming back)
is generated and written as canonical Parquet, one batch per year, the way
`trajectories.storage` writes an import (16-hex-digit pseudonyms, zstd, a ``batch`` column).
Then, each in its own subprocess so that its peak memory is its own:

* the project computes what the application computes after an import: `EventLog` over the
  files, `stats()` (directly-follows with counts and times, variants, case durations,
  hand-overs by resource and by team) and `weekly_measures` for the trajectory below;
* PM4Py reads the same files with pandas and computes the quantities it has: directly-follows
  frequency and performance, variants, case durations, handover of work by resource and by
  team (`benchmarks/eventlog.py`'s `pm4py_stats`).

Both times start with the files on disk, so reading them is included; imports are not. The two
sides are checked to agree on what they share wherever both ran. The last line is the headline
figure: the largest size, its seconds and peak memory on both sides, and the ratio.

    .venv/bin/python benchmarks/trajectory.py [--sizes 10000,100000,1000000] [--seed 2016]
        [--threads N] [--skip-pm4py-above N] [--dir DIRECTORY]

The log has complete events only. PM4Py pairs start and complete events only on its object
log (`interval_lifecycle.to_interval`): converting 900,000 events to it and back took 67 s
and 1.9 GB before any statistic, which would make the comparison about that conversion.

PM4Py runs at every size by default: on the 2-core development machine it took 217 to 366 s
and 4.8 GB at 1,000,000 cases (10.2 million events), four to six minutes, long but within
reach; `--skip-pm4py-above 100000` leaves it out above that many cases. Pilotage took 13.4 s
and 2.5 GB there (decision 0020 says how).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# benchmarks/eventlog.py, beside this script: PM4Py's figures and the comparison with ours.
from eventlog import disagreements, pm4py_stats  # noqa: E402

from pilotage.analytics import TrajectoryDefinition, weekly_measures  # noqa: E402
from pilotage.analytics.canonical import SCHEMA  # noqa: E402
from pilotage.analytics.engine import EventLog, connect  # noqa: E402

# --- The generated trajectory ------------------------------------------------------------------

# The demo's vocabulary (`pilotage.demo.eventlog`), as the source systems name things.
REPORT, REQUEST, RETAINED, NOT_RETAINED, EVALUATION = range(5)
ORIENTATION, SERVICE_START, INTERVENTION, END_OF_SERVICES, FILE_CLOSED, GONE = range(5, 11)
ACTIVITIES = [
    "Signalement reçu",
    "Demande de services",
    "Signalement retenu",
    "Signalement non retenu",
    "Évaluation",
    "Orientation",
    "Début de suivi",
    "Intervention",
    "Fin de services",
    "Fermeture du dossier",
]
#: Where each activity leads (GONE: the case ends). A report is screened, retained or not; a
#: retained one is evaluated (sometimes twice), oriented, then served by one team after
#: another (each stay a "Début de suivi" and its interventions), with now and then a service
#: team assessing the family again; a closed file comes back now and then (a re-referral).
FLOW = {
    REPORT: {RETAINED: 0.5, NOT_RETAINED: 0.5},
    REQUEST: {SERVICE_START: 0.8, EVALUATION: 0.1, FILE_CLOSED: 0.1},
    RETAINED: {EVALUATION: 1.0},
    NOT_RETAINED: {FILE_CLOSED: 1.0},
    EVALUATION: {ORIENTATION: 0.95, EVALUATION: 0.05},
    ORIENTATION: {SERVICE_START: 0.75, FILE_CLOSED: 0.25},
    SERVICE_START: {INTERVENTION: 0.9, END_OF_SERVICES: 0.1},
    INTERVENTION: {
        INTERVENTION: 0.86,
        SERVICE_START: 0.05,
        EVALUATION: 0.01,
        END_OF_SERVICES: 0.08,
    },
    END_OF_SERVICES: {REPORT: 0.12, REQUEST: 0.06, GONE: 0.82},
    FILE_CLOSED: {REPORT: 0.12, REQUEST: 0.05, GONE: 0.83},
    GONE: {GONE: 1.0},
}
#: Mean days from the previous event to one of these.
MEAN_DAYS = {
    REPORT: 150.0,  # a family coming back
    REQUEST: 150.0,
    RETAINED: 1.0,
    NOT_RETAINED: 1.0,
    EVALUATION: 12.0,
    ORIENTATION: 18.0,
    SERVICE_START: 20.0,
    INTERVENTION: 14.0,
    END_OF_SERVICES: 14.0,
    FILE_CLOSED: 20.0,
    GONE: 0.0,
}
SCREENING, INTAKE, EVALUATORS, JIMMY = 0, 1, 2, 3
TEAMS = [
    "RTS",
    "Accueil première ligne",
    "Évaluation-orientation",
    "JEF Famille (Jimmy)",
    "AM 0-12",
    "AM 13-17",
    "JEF 0-5",
    "Réadaptation",
    "Liaison école",
]
SERVICE_TEAMS = np.arange(JIMMY, len(TEAMS))
WORKERS_PER_TEAM = 40
MAX_EVENTS = 80  # per case; the very few longer cases are cut there
START = np.datetime64("2022-01-03T00:00:00", "s")
YEARS = 4

#: Issue 6: the full analytics on 1,000,000 cases in under 15 s, at least 10 times PM4Py's speed.
TARGET_CASES, TARGET_SECONDS, TARGET_RATIO = 1_000_000, 15, 10

#: A trajectory shaped like the demo's Jimmy trajectory (`pilotage.demo.trajectory`, which
#: needs Django), over the vocabulary above.
DEFINITION = TrajectoryDefinition.from_dict(
    {
        "name": "jeunes-vulnerables",
        "steps": [
            {"name": "demande", "activities": [ACTIVITIES[REPORT], ACTIVITIES[REQUEST]]},
            {"name": "rts", "activities": [ACTIVITIES[RETAINED], ACTIVITIES[NOT_RETAINED]]},
            {"name": "evaluation", "activities": [ACTIVITIES[EVALUATION]]},
            {"name": "orientation", "activities": [ACTIVITIES[ORIENTATION]]},
            {
                "name": "services",
                "activities": [ACTIVITIES[SERVICE_START], ACTIVITIES[INTERVENTION]],
            },
            {
                "name": "fin",
                "activities": [ACTIVITIES[END_OF_SERVICES], ACTIVITIES[FILE_CLOSED]],
            },
        ],
        "request": "demande",
        "evaluation": "evaluation",
        "first_service": "services",
        "closure": "fin",
        "continuity_from": "evaluation",
        "evaluation_target_days": 12,
        "re_referral_months": 12,
    }
)


def pseudonyms(numbers: np.ndarray, salt: int) -> pa.Array:
    """16 hexadecimal digits per number, all distinct, like the stored keyed pseudonyms."""
    x = numbers.astype(np.uint64) + np.uint64(salt)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64: a bijection, on purpose
        x = (x ^ (x >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    octets = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    text = np.empty((len(x), 16), dtype=np.uint8)
    text[:, 0::2] = digits[octets >> 4]
    text[:, 1::2] = digits[octets & 15]
    return pa.array(text.view("S16").ravel()).cast(pa.string())


def generate(n_cases: int, seed: int) -> pa.Table:
    """A canonical table in export order (by time), `n_cases` cases of about 10 events.

    Vectorised over cases, one step of the flow at a time; events after the export's end (the
    cases still open then) are left out, as an export would.
    """
    rng = np.random.default_rng(seed)
    n = len(FLOW)
    cumulative = np.cumsum([[FLOW[a].get(b, 0.0) for b in range(n)] for a in range(n)], axis=1)
    mean_seconds = np.array([MEAN_DAYS[a] for a in range(n)]) * 86_400
    end = START + np.timedelta64(round(YEARS * 365.25), "D")
    horizon = int((end - START) / np.timedelta64(1, "s"))

    # The cases still open, with their last event; each step draws the next event of each.
    case = np.arange(n_cases)
    activity = np.where(rng.random(n_cases) < 0.7, REPORT, REQUEST)
    team = np.where(activity == REPORT, SCREENING, INTAKE)
    worker = rng.integers(0, WORKERS_PER_TEAM, n_cases)
    seconds = rng.integers(0, horizon, n_cases)
    events = [(case, activity, team, worker, seconds)]
    for _ in range(1, MAX_EVENTS):
        k = len(case)
        now = (rng.random(k)[:, None] > cumulative[activity]).sum(axis=1).clip(max=n - 1)
        # Who does it: screening and intake take reports and requests; E/O or the Jimmy team
        # evaluates, unless a service team assesses its family again or the evaluator redoes
        # its own; the team that evaluated orients; a new stay goes to another service team;
        # the rest stays with the team.
        evaluator = np.where(rng.random(k) < 0.7, EVALUATORS, JIMMY)
        shift = rng.integers(0, len(SERVICE_TEAMS), k)
        another = (team - JIMMY + 1 + shift % (len(SERVICE_TEAMS) - 1)) % len(SERVICE_TEAMS)
        now_team = np.select(
            [
                now == REPORT,
                now == REQUEST,
                (now == EVALUATION) & (activity != INTERVENTION) & (activity != EVALUATION),
                now == SERVICE_START,
            ],
            [SCREENING, INTAKE, evaluator, SERVICE_TEAMS[np.where(team >= JIMMY, another, shift)]],
            team,
        )
        worker = np.where(now_team != team, rng.integers(0, WORKERS_PER_TEAM, k), worker)
        gap = rng.gamma(2.0, mean_seconds[now] / 2.0) + rng.integers(60, 3_600, k)
        seconds = seconds + gap.astype(np.int64)
        going = (now != GONE) & (seconds < horizon)
        case, activity, team, worker, seconds = (
            c[going] for c in (case, now, now_team, worker, seconds)
        )
        events.append((case, activity, team, worker, seconds))
    case, activity, team, worker, seconds = (np.concatenate(c) for c in zip(*events, strict=True))
    worker = team * WORKERS_PER_TEAM + worker
    order = np.argsort(seconds, kind="stable")  # the export's order: by time
    case, activity, team, worker, seconds = (
        c[order] for c in (case, activity, team, worker, seconds)
    )
    timestamps = (START + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    n_events = len(case)
    columns: dict[str, Any] = {
        "case": pseudonyms(np.arange(n_cases), seed).take(pa.array(case)),
        "episode": pa.nulls(n_events, pa.string()),
        "activity": pa.array(ACTIVITIES).take(pa.array(activity)),
        "timestamp": pa.array(timestamps).cast(pa.timestamp("us", tz="UTC")),
        "lifecycle": pa.array(["complete"]).take(pa.array(np.zeros(n_events, dtype=np.int64))),
        "team": pa.array(TEAMS).take(pa.array(team)),
        "resource": pseudonyms(np.arange(len(TEAMS) * WORKERS_PER_TEAM), seed + 1).take(
            pa.array(worker)
        ),
        "priority": pa.nulls(n_events, pa.string()),
        "source_row": pa.array(np.arange(1, n_events + 1)),
    }
    return pa.Table.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def write_batches(table: pa.Table, directory: Path) -> list[Path]:
    """One Parquet file per calendar year of events, as `trajectories.storage.write_batch`
    writes an import batch (zstd, the batch number in every row)."""
    directory.mkdir(parents=True, exist_ok=True)
    years = pc.year(table["timestamp"]).to_numpy()
    paths = []
    for number, year in enumerate(np.unique(years).tolist(), start=1):
        batch = table.filter(pa.array(years == year))
        rows = pa.array(np.arange(1, batch.num_rows + 1))  # the row in this batch's file
        batch = batch.set_column(
            SCHEMA.get_field_index("source_row"), SCHEMA.field("source_row"), rows
        )
        batch = batch.append_column(
            pa.field("batch", pa.int64(), nullable=False),
            pa.array(np.full(batch.num_rows, number, dtype=np.int64)),
        )
        path = directory / f"{number}-{year}.parquet"
        pq.write_table(batch, path, compression="zstd")
        paths.append(path)
    return paths


# --- The two sides, each run in a subprocess of its own ------------------------------------------


def run_project(paths: list[Path], threads: int | None) -> tuple[float, dict[str, Any]]:
    """What the application computes after an import, timed from the files on disk."""
    # pyarrow imports pandas on first use when it is installed: here it is, for PM4Py only
    # (the application does not depend on it). An import, made before the clock starts as
    # PM4Py's own imports are.
    pa.array([0])
    started = time.perf_counter()
    log = EventLog(paths, connect(threads=threads))
    stats = log.stats()
    weekly = weekly_measures(log, DEFINITION)
    seconds = time.perf_counter() - started
    threads_used = log.connection.execute("SELECT current_setting('threads')").fetchall()[0][0]
    log.close()
    totals = [row for row in weekly if row.team is None]
    stats["weekly"] = {
        "rows": len(weekly),
        "weeks": len(totals),
        "new_requests": sum(row.new_requests for row in totals),
        "re_referrals": sum(row.re_referrals for row in totals),
        "evaluations": sum(row.evaluations for row in totals),
        "handoffs": sum(row.handoffs for row in totals),
        "episodes_closed": sum(row.episodes_closed for row in totals),
    }
    stats["threads"] = int(threads_used)
    return seconds, stats


def run_pm4py(paths: list[Path]) -> tuple[float, dict[str, Any]]:
    """PM4Py's figures from the same files, timed from pandas reading them."""
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    import pandas as pd

    with contextlib.redirect_stderr(io.StringIO()):  # PM4Py's welcome banner
        import pm4py

    started = time.perf_counter()
    frame = pd.concat(
        [pd.read_parquet(path, columns=list(PM4PY_COLUMNS)) for path in paths],
        ignore_index=True,
    ).rename(columns=PM4PY_COLUMNS)
    theirs = pm4py_stats(pm4py.format_dataframe(frame))
    seconds = time.perf_counter() - started
    theirs["version"] = pm4py.__version__
    return seconds, theirs


#: Canonical column -> PM4Py's (XES) name.
PM4PY_COLUMNS = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "resource": "org:resource",
    "team": "org:group",
}


def worker(side: str, directory: Path, result: Path, threads: int | None) -> None:
    """Run one side on the batches in `directory`; its figures go to `result` (pickle), its
    seconds and peak memory to the last line of stdout (JSON)."""
    paths = sorted(directory.glob("*.parquet"))
    seconds, figures = run_project(paths, threads) if side == "project" else run_pm4py(paths)
    with result.open("wb") as handle:
        pickle.dump(figures, handle, protocol=pickle.HIGHEST_PROTOCOL)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def spawn(side: str, directory: Path, threads: int | None) -> tuple[dict[str, Any], Any]:
    """(seconds and peak MB, figures) of one side, run in a fresh Python."""
    result = directory.parent / f"{directory.name}-{side}.pickle"
    command = [sys.executable, __file__, "--worker", side, "--dir", str(directory)]
    command += ["--result", str(result)]
    if threads is not None:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    with result.open("rb") as handle:
        figures = pickle.load(handle)  # our own file, written just now by the worker
    result.unlink()
    return measured, figures


# --- The run ----------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """One size: the project's and PM4Py's seconds and peak MB (PM4Py's None when skipped)."""

    n_cases: int
    n_events: int
    ours: dict[str, float]
    theirs: dict[str, float] | None = None
    problems: list[str] = field(default_factory=list)


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def measure_size(n_cases: int, args: argparse.Namespace, root: Path) -> SizeResult:
    """Generate and write the log, run both sides on it, and compare what they share."""
    started = time.perf_counter()
    table = generate(n_cases, args.seed)
    batches = root / f"{n_cases}-cases"
    paths = write_batches(table, batches)
    result = SizeResult(n_cases, table.num_rows, {})
    del table
    size_mb = sum(path.stat().st_size for path in paths) / 2**20
    print(
        f"{n_cases:,} cases: {result.n_events:,} events in {len(paths)} Parquet batches "
        f"({size_mb:,.0f} MB), generated and written in {time.perf_counter() - started:.1f} s"
    )
    result.ours, stats = spawn("project", batches, args.threads)
    weekly = stats["weekly"]
    print(
        f"  pilotage (DuckDB, threads={stats['threads']}): {result.ours['seconds']:.2f} s, "
        f"{result.ours['peak_mb']:,.0f} MB peak [{load()}]"
    )
    print(
        f"    {len(stats['directly_follows'])} directly-follows arcs, "
        f"{len(stats['variants']):,} variants; {weekly['rows']:,} weekly rows over "
        f"{weekly['weeks']} weeks: {weekly['new_requests']:,} requests, "
        f"{weekly['re_referrals']:,} re-referrals, {weekly['evaluations']:,} evaluations, "
        f"{weekly['handoffs']:,} hand-offs, {weekly['episodes_closed']:,} episodes closed"
    )
    if args.skip_pm4py_above is not None and n_cases > args.skip_pm4py_above:
        print(f"  pm4py: skipped (more than {args.skip_pm4py_above:,} cases)")
        return result
    result.theirs, reference = spawn("pm4py", batches, None)
    print(
        f"  pm4py {reference['version']}: {result.theirs['seconds']:.2f} s, "
        f"{result.theirs['peak_mb']:,.0f} MB peak [{load()}]: "
        f"{result.theirs['seconds'] / result.ours['seconds']:.1f}x"
    )
    result.problems = disagreements(stats, reference)
    for problem in result.problems:
        print(f"  DISAGREEMENT: {problem}")
    print(
        "  agreement: directly-follows counts and times, variants, case durations, handovers "
        f"by resource ({len(stats['handovers']['resource']):,} pairs) and by team"
        + (" - all equal" if not result.problems else " - DIFFERENT")
    )
    return result


def headline(result: SizeResult, skip_above: int | None) -> str:
    ours = result.ours
    text = (
        f"trajectory: {result.n_cases:,} cases / {result.n_events / 1e6:.1f}M events in "
        f"{ours['seconds']:.1f} s, {ours['peak_mb'] / 1024:.1f} GB peak"
    )
    if result.theirs is None:
        return f"{text} (pm4py: not run above {skip_above:,} cases)"
    theirs = result.theirs
    return (
        f"{text} (pm4py: {theirs['seconds']:.0f} s, {theirs['peak_mb'] / 1024:.1f} GB): "
        f"{theirs['seconds'] / ours['seconds']:.1f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="cases, comma-separated")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    parser.add_argument(
        "--skip-pm4py-above", type=int, default=None, help="run PM4Py up to this many cases only"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where to write the Parquet files (a temporary folder in it, removed after)",
    )
    parser.add_argument("--worker", choices=["project", "pm4py"], help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.dir, args.result, args.threads)
        return 0

    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"trajectory benchmark: seed {args.seed}, {os.cpu_count()} CPUs, {load()}")
    with tempfile.TemporaryDirectory(prefix="pilotage-bench-", dir=args.dir) as root:
        results = [measure_size(n_cases, args, Path(root)) for n_cases in sizes]
    last = results[-1]
    if last.n_cases >= TARGET_CASES:
        ratio = last.theirs["seconds"] / last.ours["seconds"] if last.theirs else None
        print(
            f"targets at {last.n_cases:,} cases: under {TARGET_SECONDS} s "
            f"{'met' if last.ours['seconds'] < TARGET_SECONDS else 'MISSED'}; "
            f"{TARGET_RATIO}x PM4Py "
            + ("not measured" if ratio is None else "met" if ratio >= TARGET_RATIO else "MISSED")
        )
    print(headline(last, args.skip_pm4py_above))
    return 1 if any(result.problems for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
