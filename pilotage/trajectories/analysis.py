"""The analysis behind the trajectory pages: a step-level map, bottlenecks and variants.

Everything here is computed from the trajectory's live batches (`storage.live_batches`) and
returned as plain, JSON-ready data **already suppressed**, so that every page and every
export shows the same protected numbers.

Definitions (the days are calendar days between local dates, as in docs/trajectory-measures.md):

* The activity instances of the engine (`analytics.EventLog`) whose activity marks a step, with
  a local start date within the period (default: the 12 months up to the last such event).
* A case's *step visits*: its instances in order, consecutive instances of the same step
  merged into one visit (three service sessions are one visit of the service step).
* A *flow* A -> B: a case leaving a visit of A for a visit of B. Its count is the number of
  such moves (a case going back and forth counts each time; in a trajectory without loops it
  is the number of cases). Its *wait* is the days from the end of the last instance of A to
  the start of the first instance of B; the median is over the moves.
* A step's *volume*: its visits; a case entering the period at a step (its first visit) is an
  *entry*, its last visit an *exit*. So volume = entries + flows in = flows out + exits.
* The *wait before a step*: the median wait of all flows into it.
* *Variants*: each case's sequence of step visits in the period, with its count and share.
  Sequences of fewer than 5 cases are never shown alone: they are part of "other variants".
* *Growing queues*: the waiting list at week end (`waiting` of `weekly_measures`), for all
  teams and each team, over the 12 last weeks of the log: the mean of the 4 last weeks against
  the mean of the 4 first. Growing when the last is at least 10 % and one episode above the
  first, shrinking when as far below, stable otherwise. A simple comparison of two averages
  is easier to explain in a trajectory room than a regression slope and as robust to one odd
  week.
* For a unit (the drill-down from a board tile), the cases are those the unit's teams
  (`TrajectoryTeam`) worked on in the period, with all their steps; the trajectory's own unit
  sees every case.

Suppression (docs/trajectory-measures.md, section 4): counts from 1 to 4 are hidden
(`PRIMARY`, shown "< 5"); the flows form a table whose rows are sources (entry, then the
steps) and whose columns are targets (the steps, then exit), and each step's volume is at once
its row total and its column total, the number of cases both the entry row's and the exit
column's total. Because one total closes two lines, `analytics.suppress_counts` (one total per
line) cannot be used as such; `_protect` applies its rule to these linked lines: while a line
hides exactly one entry, hide its smallest visible non-zero cell, else its total
(`COMPLEMENT`, shown "x"). Unlike `suppress_counts`, a zero is never chosen as a complement:
a flow table is sparse, two zeros hidden for two different rows can meet in one column whose
hidden cells then add up to 0, which gives them (and the rows' hidden counts) back since no
count is negative; and a hidden zero would draw an arrow that no case took. Medians and
shares of a hidden count, and medians over fewer than 5 moves, are hidden. The waiting
lists are suppressed with `analytics.suppress_weekly`.

Results are cached as JSON under ``DATA_DIR/analysis/<hash>.json``, keyed by the trajectory's
definition, its live batches, the period and the teams: the events only change when a batch
is imported or withdrawn, and either changes the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import statistics
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from pilotage.analytics import EventLog, suppress_weekly, weekly_measures
from pilotage.analytics.suppression import DEFAULT_THRESHOLD
from pilotage.trajectories import storage
from pilotage.trajectories.models import Trajectory, TrajectoryTeam

#: Changes whenever the cached data's shape or a definition changes.
VERSION = 1
THRESHOLD = DEFAULT_THRESHOLD
#: Hidden counts: under the threshold, and hidden so that a total does not give one back.
PRIMARY = "<5"
COMPLEMENT = "x"
TOP_VARIANTS = 10
QUEUE_WEEKS = 12
QUEUE_WINDOW = 4
#: Growing or shrinking: a change of at least this share and at least one episode.
QUEUE_CHANGE = 0.10

INSTANCES_SQL = """
SELECT i.case_id, a.activity, epoch_us(i.start_ts), epoch_us(i.end_ts), t.team
FROM instances i
JOIN activity_codes a ON a.activity_code = i.activity_code
LEFT JOIN team_codes t ON t.team_code = i.team_code
ORDER BY i.case_id, i.pos
"""

Count = int | str  # a shown count, or PRIMARY / COMPLEMENT


def is_hidden(value: Any) -> bool:
    return value in (PRIMARY, COMPLEMENT)


def default_period(last: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months up to `last`, both ends included."""
    try:
        year_before = last.replace(year=last.year - 1)
    except ValueError:  # 29 February
        year_before = last.replace(year=last.year - 1, day=28)
    return year_before + dt.timedelta(days=1), last


def unit_teams(trajectory: Trajectory, unit) -> list[str] | None:
    """The team names of `unit` in the log; None (every case) for the trajectory's unit."""
    if unit is None or unit.pk == trajectory.unit_id:
        return None
    return sorted(
        TrajectoryTeam.objects.filter(trajectory=trajectory, unit=unit).values_list(
            "source_name", flat=True
        )
    )


# --- Reading the visits ---------------------------------------------------------------------


def _visits(
    log: EventLog, step_of: dict[str, int], zone: ZoneInfo
) -> dict[str, list[dict[str, Any]]]:
    """case -> its step visits in order: step, start and end local dates, teams."""

    def local(us: int) -> dt.date:
        return dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC).astimezone(zone).date()

    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case, activity, start_us, end_us, team in log.query(INSTANCES_SQL):
        step = step_of.get(activity)
        if step is None:
            continue
        visits = cases[case]
        start, end = local(start_us), local(end_us)
        if visits and visits[-1]["step"] == step:
            visits[-1]["end"] = max(visits[-1]["end"], end)
            visits[-1]["teams"].add(team)
        else:
            visits.append({"step": step, "start": start, "end": end, "teams": {team}})
    return cases


def _in_period(
    cases: dict[str, list[dict[str, Any]]],
    start: dt.date,
    end: dt.date,
    teams: list[str] | None,
) -> list[list[dict[str, Any]]]:
    kept = []
    for visits in cases.values():
        inside = [v for v in visits if start <= v["start"] <= end]
        if not inside:
            continue
        if teams is not None and not any(v["teams"] & set(teams) for v in inside):
            continue
        kept.append(inside)
    return kept


# --- Suppression of the flow table -----------------------------------------------------------


def _protect(
    values: dict[tuple, int], lines: list[list[tuple]], totals: set[tuple]
) -> dict[tuple, Count]:
    """Primary then complementary suppression over `lines` (each a list of keys of `values`,
    its total among them); see the module's docstring."""
    hidden = {key for key, value in values.items() if 0 < value < THRESHOLD}
    primary = set(hidden)

    def rank(key: tuple) -> tuple:
        kind = 2 if values[key] == 0 else (1 if key in totals else 0)
        return (kind, values[key], repr(key))

    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            visible = [key for key in line if key not in hidden]
            if not visible:
                continue
            hidden.add(min(visible, key=rank))
            changed = True
    return {
        key: (PRIMARY if key in primary else COMPLEMENT if key in hidden else value)
        for key, value in values.items()
    }


def _median(values: list[int], count: Count) -> float | None:
    if is_hidden(count) or len(values) < THRESHOLD:
        return None
    return float(statistics.median(values))


def _map(sequences: list[list[dict[str, Any]]], n_steps: int) -> dict[str, Any]:
    """The flow table of `sequences`, suppressed. Sources -1 (entry) and steps; targets the
    steps and n_steps (exit)."""
    exit_ = n_steps
    moves: Counter[tuple[int, int]] = Counter()
    waits: dict[tuple[int, int], list[int]] = defaultdict(list)
    for visits in sequences:
        moves[(-1, visits[0]["step"])] += 1
        moves[(visits[-1]["step"], exit_)] += 1
        for before, after in zip(visits, visits[1:], strict=False):
            pair = (before["step"], after["step"])
            moves[pair] += 1
            waits[pair].append((after["start"] - before["end"]).days)
    sources, targets = [-1, *range(n_steps)], [*range(n_steps), exit_]
    # The structural zeros (a step to itself, an entry straight to the exit) are left out:
    # everyone knows them.
    pairs = [(s, t) for s in sources for t in targets if s != t and not (s == -1 and t == exit_)]
    values: dict[tuple, int] = {("flow", s, t): moves[(s, t)] for s, t in pairs}
    visits_of = {i: sum(moves[(s, i)] for s in sources if s != i) for i in range(n_steps)}
    values.update({("step", i): n for i, n in visits_of.items()})
    values[("cases",)] = len(sequences)

    def total(position: int) -> tuple:
        return ("cases",) if position in (-1, exit_) else ("step", position)

    row_lines = [[("flow", s, t) for t in targets if ("flow", s, t) in values] for s in sources]
    column_lines = [[("flow", s, t) for s in sources if ("flow", s, t) in values] for t in targets]
    lines = [line + [total(s)] for line, s in zip(row_lines, sources, strict=True)] + [
        line + [total(t)] for line, t in zip(column_lines, targets, strict=True)
    ]
    totals = {("cases",), *(("step", i) for i in range(n_steps))}
    shown = _protect(values, lines, totals)

    flows = []
    for s, t in pairs:
        count = shown[("flow", s, t)]
        if s == -1 or t == exit_ or count == 0:
            continue
        flows.append(
            {
                "source": s,
                "target": t,
                "count": count,
                "median_days": _median(waits[(s, t)], count),
            }
        )
    flows.sort(key=lambda f: (f["source"], f["target"]))
    steps = []
    for i in range(n_steps):
        into = [w for (s, t), ws in waits.items() if t == i for w in ws]
        steps.append(
            {
                "index": i,
                "visits": shown[("step", i)],
                "entries": shown[("flow", -1, i)],
                "exits": shown[("flow", i, exit_)],
                "wait_median_days": None
                if len(into) < THRESHOLD
                else float(statistics.median(into)),
            }
        )
    return {"n_cases": shown[("cases",)], "steps": steps, "flows": flows}


def _variants(sequences: list[list[dict[str, Any]]]) -> dict[str, Any]:
    counts = Counter(tuple(v["step"] for v in visits) for visits in sequences)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = [(steps, n) for steps, n in ranked if n >= THRESHOLD][:TOP_VARIANTS]
    kept = {steps for steps, _ in top}
    other = sum(n for steps, n in ranked if steps not in kept)
    n_other = len(ranked) - len(kept)
    rows: list[tuple[list[int], int]] = [(list(steps), n) for steps, n in top]
    if n_other:
        rows.append(([], other))
    total = len(sequences)
    values = {("v", i): n for i, (_, n) in enumerate(rows)}
    values[("total",)] = total
    shown = _protect(values, [[*values]], {("total",)})
    result = []
    for i, (steps, _) in enumerate(rows):
        count = shown[("v", i)]
        result.append(
            {
                "steps": steps,
                "other": not steps,
                "n_variants": n_other if not steps else 1,
                "count": count,
                "share": None if is_hidden(count) or not total else count / total,
            }
        )
    return {"rows": result, "total": shown[("total",)], "n_variants": len(ranked)}


def _queues(rows: list, teams: list[str] | None) -> list[dict[str, Any]]:
    """The waiting lists' trend over the last QUEUE_WEEKS weeks (all teams, then each)."""
    weeks = sorted({row.week for row in rows})[-QUEUE_WEEKS:]
    if len(weeks) < 2 * QUEUE_WINDOW:
        return []
    recent = [row for row in rows if row.week in set(weeks)]
    shown = suppress_weekly(recent, "waiting", threshold=THRESHOLD)
    value = {(row.team, row.week): row.waiting for row in recent}
    names = [None, *sorted({row.team for row in recent if row.team is not None})]
    if teams is not None:
        names = [name for name in names if name in teams]
    result = []
    for team in names:
        first, last = weeks[:QUEUE_WINDOW], weeks[-QUEUE_WINDOW:]
        if any(shown.get((team, week)) is None for week in first + last):
            result.append({"team": team, "first": None, "last": None, "trend": None})
            continue
        before = sum(value[(team, w)] for w in first) / QUEUE_WINDOW
        after = sum(value[(team, w)] for w in last) / QUEUE_WINDOW
        change = after - before
        trend = "stable"
        if abs(change) >= 1 and abs(change) >= QUEUE_CHANGE * max(before, 1):
            trend = "growing" if change > 0 else "shrinking"
        result.append(
            {"team": team, "first": before, "last": after, "trend": trend, "change": change}
        )
    return result


def bottlenecks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps by longest median wait before them; those without a shown median last."""
    return sorted(
        data["steps"],
        key=lambda step: (
            step["wait_median_days"] is None,
            -(step["wait_median_days"] or 0),
            step["index"],
        ),
    )


# --- Entry point ----------------------------------------------------------------------------


def _cache_key(trajectory: Trajectory, batches, period, teams) -> str:
    definition = trajectory.definition()
    payload = {
        "version": VERSION,
        "trajectory": trajectory.pk,
        "steps": [[s.name, sorted(s.activities)] for s in definition.steps],
        "definition": [definition.request, definition.evaluation, definition.first_service],
        "closure": [definition.closure, definition.re_referral_months, trajectory.time_zone],
        "batches": [[b.pk, b.sha256] for b in batches],
        "period": [d.isoformat() if d else None for d in period],
        "teams": teams,
        "threshold": THRESHOLD,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "analysis"


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".analysis-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def analyse(
    trajectory: Trajectory,
    start: dt.date | None = None,
    end: dt.date | None = None,
    teams: list[str] | None = None,
) -> dict[str, Any] | None:
    """The map, variants and queues of the trajectory over [start, end], suppressed; None
    when the trajectory has no live batch or no step event."""
    batches = storage.live_batches(trajectory)
    if not batches:
        return None
    path = cache_dir() / f"{_cache_key(trajectory, batches, (start, end), teams)}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    definition = trajectory.definition()
    step_of = {a: i for i, step in enumerate(definition.steps) for a in step.activities}
    log = EventLog([storage.absolute(batch.parquet_path) for batch in batches])
    try:
        cases = _visits(log, step_of, ZoneInfo(trajectory.time_zone))
        weekly = weekly_measures(log, definition, time_zone=trajectory.time_zone)
    finally:
        log.close()
    last = max((v["start"] for visits in cases.values() for v in visits), default=None)
    if last is None:
        return None
    default_start, default_end = default_period(last if end is None else end)
    start, end = start or default_start, end or default_end
    sequences = _in_period(cases, start, end, teams)
    data = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "steps_codes": [step.name for step in definition.steps],
        **_map(sequences, len(definition.steps)),
        "variants": _variants(sequences),
        "queues": _queues(weekly, teams),
    }
    _write(path, data)
    return data
