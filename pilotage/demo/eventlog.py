"""The demo's trajectory event log: four years of the Jimmy partnership's source systems.

A deterministic simulation of what the youth-protection and first-line information systems of
the demo's integrated centre would export for the trajectory "children in vulnerable situations
and their families" (DESIGN.md, "Service trajectory"): one row per event, in the source
systems' own vocabulary (French activity and team names, file numbers such as
``DOSSIER-000123``, worker numbers such as ``INT-0042``), before any pseudonymisation.

The story it tells is the one the demo's indicators tell (same dates, see
`pilotage.demo.indicators`):

- reports (signalements) arrive at screening (RTS) with the school calendar's seasonality:
  fewer in July-August and at Christmas, more in September-October; requests for first-line
  services arrive on working days;
- about four reports in ten are retained, with a priority code (1 immediate, 2 urgent,
  3 the rest), and evaluated; until the reorganisation evaluation-orientation (E/O) starts an
  evaluation about 16 days after the report, right-skewed, code 1 the same day;
- from `JIMMY_START` the Jimmy team ("JEF Famille (Jimmy)", one team for the family) evaluates
  most families itself and keeps them for their services, including rehabilitation and school
  liaison that used to be other teams: the evaluation delay falls to about 8 days, and the
  hand-offs per episode fall with it;
- follow-up in youth protection (AM 0-12, AM 13-17) often passes the family on to
  rehabilitation, school liaison, then first-line services before closing; the service teams
  sometimes assess the family again; a share of families come back within a year.

`generate()` is pure (numpy with a fixed seed, no database) and returns the canonical table
(`pilotage.analytics.SCHEMA`); `write_demo_files()` writes it as the semicolon-separated UTF-8
CSV export a Quebec system would produce, for the demo to import through the real pipeline
with `COLUMN_MAPPING`. The same arguments always give the same bytes.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pilotage.analytics import SCHEMA, ColumnMapping
from pilotage.demo.indicators import END, JIMMY_START, reports_factor

SEED = 2016  # the year Project Jimmy started, as for the indicators
YEARS = 4
#: Local time of the source systems; timestamps are exported in it, with their offset.
TIME_ZONE = "America/Montreal"
#: The export ran in the night before the demo's "today": the last week is complete.
EXPORT_END = END
FILE_NAME = "pij-trajectoire-jeunesse.csv"

# --- The source systems' vocabulary -------------------------------------------------------

REPORT_RECEIVED = "Signalement reçu"
SERVICE_REQUEST = "Demande de services"
REPORT_RETAINED = "Signalement retenu"
REPORT_NOT_RETAINED = "Signalement non retenu"
EVALUATION = "Évaluation"
ORIENTATION = "Orientation"
SERVICE_START = "Début de suivi"
INTERVENTION = "Intervention"
END_OF_SERVICES = "Fin de services"
FILE_CLOSED = "Fermeture du dossier"
ACTIVITIES = (
    REPORT_RECEIVED,
    SERVICE_REQUEST,
    REPORT_RETAINED,
    REPORT_NOT_RETAINED,
    EVALUATION,
    ORIENTATION,
    SERVICE_START,
    INTERVENTION,
    END_OF_SERVICES,
    FILE_CLOSED,
)
A = {name: code for code, name in enumerate(ACTIVITIES)}

# Team codes: the index in TEAMS; (name in the source system, demo unit, workers before and
# after the reorganisation). At the reorganisation some evaluation and follow-up workers
# joined the Jimmy team: their numbers move with them.
RTS, EO, AM_0_12, AM_13_17, JEF_FAMILLE, JEF_0_5, READAPTATION, LIAISON = range(8)


@dataclass(frozen=True)
class Team:
    source_name: str
    unit: str
    workers: int
    leaving: int = 0  # workers who joined the Jimmy team at the reorganisation


TEAMS = (
    Team("RTS", "rts", 18),
    Team("E/O", "eo", 40, leaving=15),
    Team("AM 0-12", "am-0-12", 36, leaving=8),
    Team("AM 13-17", "am-13-17", 28, leaving=6),
    Team("JEF Famille (Jimmy)", "jef-famille", 20),
    Team("JEF 0-5", "jef-0-5", 24),
    Team("Réadaptation", "readaptation", 30),
    Team("Liaison école", "liaison", 12),
)
#: Source team name -> demo unit code, for the trajectory's teams.
TEAM_UNITS = {team.source_name: team.unit for team in TEAMS}

#: How the demo's CSV export names its columns.
COLUMN_MAPPING = ColumnMapping(
    case="dossier",
    episode="episode",
    activity="activite",
    timestamp="date_heure",
    lifecycle="cycle_de_vie",
    team="equipe",
    resource="intervenant",
    priority="priorite",
    start_timestamp=None,
)

#: The export's columns, in order.
EXPORTED_FIELDS = (
    "case",
    "episode",
    "activity",
    "timestamp",
    "lifecycle",
    "team",
    "resource",
    "priority",
)

# --- The simulated process (days unless said otherwise) -------------------------------------

#: New children per day (before seasonality, weekday and growth): reports and requests.
REPORTS_PER_DAY = 18.0
REQUESTS_PER_WORKING_DAY = 7.0
GROWTH_PER_YEAR = 0.03
RETAINED = 0.42
PRIORITY_SHARES = (0.08, 0.27, 0.65)  # codes 1, 2, 3 among retained reports
#: Mean days from retention to the start of the evaluation, by priority code 2 and 3.
#: Before the reorganisation, E/O; after it, E/O and the Jimmy team (which takes no code 1).
EVALUATION_WAIT = {EO: ((3.0, 20.8), (2.0, 9.8)), JEF_FAMILLE: ((1.5, 7.6), (1.5, 7.6))}
#: After the reorganisation, the share of retained reports the Jimmy team evaluates itself.
JIMMY_EVALUATES = (0.0, 0.6, 0.8)
#: After it, the share of the families E/O evaluated that the Jimmy team follows.
JIMMY_FOLLOWS = 0.6
#: After it, the share of the families with a child under 6 the Jimmy team serves.
JIMMY_YOUNG = 0.5
COMPROMISED = (0.85, 0.70, 0.55)  # security or development compromised, by priority code
NOT_COMPROMISED_REFERRED = 0.30  # to first-line services rather than closed
#: Service teams: (mean wait for a first service, mean stay, mean days between interventions)
SERVICE = {
    AM_0_12: (12.0, 260.0, 35.0),
    AM_13_17: (14.0, 210.0, 35.0),
    JEF_FAMILLE: (20.0, 150.0, 28.0),
    JEF_0_5: (25.0, 130.0, 28.0),
    READAPTATION: (28.0, 95.0, 18.0),
    LIAISON: (12.0, 85.0, 35.0),
}
WAIT, STAY, EVERY = (
    np.array([SERVICE.get(team, (1.0, 1.0, 1.0))[i] for team in range(8)]) for i in range(3)
)
JIMMY_PROTECTION_STAY = 200.0  # the Jimmy team following a family in protection
JIMMY_WAIT = 9.0  # the Jimmy team's wait for a first service after the reorganisation
SAME_TEAM_WAIT = 4.0  # the team that evaluated goes on with the same worker
#: Repeated assessment by the service team taking over a family, before and after.
REASSESSED = (0.12, 0.04)
EVALUATION_REDONE = (0.03, 0.01)  # E/O redoes its own evaluation (rework)
NEW_REPORT_DURING_FOLLOW_UP = 0.06
#: Chance of coming back after a closure, by how the episode ended, before and after.
RETURNS = {"screening": (0.16, 0.16), "evaluation": (0.20, 0.18), "services": (0.20, 0.11)}
RETURN_GAP = 150.0  # mean days from a closure to the next report or request

MINUTES = 1440
WORK_START, WORK_END = 8 * 60 + 30, 16 * 60 + 30
#: Days off besides weekends (month, day): New Year, Fête nationale, Canada Day, Christmas.
HOLIDAYS = {(1, 1), (1, 2), (6, 24), (7, 1), (12, 24), (12, 25), (12, 26), (12, 31)}


@dataclass
class _Calendar:
    """Day numbers from the start of the export (local midnight), with their working days."""

    start: datetime.date
    days: int  # days in the export
    size: int  # days simulated, past the end too (those events are left out)
    next_working: np.ndarray = field(init=False)
    reorganisation: int = field(init=False)

    def __post_init__(self) -> None:
        dates = [self.start + datetime.timedelta(days=d) for d in range(self.size)]
        working = np.array(
            [d.weekday() < 5 and (d.month, d.day) not in HOLIDAYS for d in dates], dtype=bool
        )
        following = np.empty(self.size, dtype=np.int64)
        upcoming = self.size - 1
        for day in range(self.size - 1, -1, -1):
            if working[day]:
                upcoming = day
            following[day] = upcoming
        self.next_working = following
        self.working = working
        self.dates = dates
        self.reorganisation = (JIMMY_START - self.start).days * MINUTES
        self.busy = np.array([_busy(d) for d in dates[: self.days]])

    def work_time(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """A time within working hours on `day`, or on the next working day (in minutes)."""
        day = self.next_working[np.clip(day, 0, self.size - 1)]
        return day * MINUTES + rng.integers(WORK_START, WORK_END, size=len(day))

    def after(self, rng: np.random.Generator, time: np.ndarray, days: np.ndarray) -> np.ndarray:
        """A working time `days` days (rounded up) after `time`, and never before it."""
        day = time // MINUTES + np.ceil(days).astype(np.int64)
        return np.maximum(self.work_time(rng, day), time + rng.integers(5, 60, size=len(time)))


class _Events:
    """Events as parallel integer columns, gathered phase by phase."""

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, ...]] = []
        self.phase = 0

    def add(
        self,
        episode: np.ndarray,
        time: np.ndarray,
        activity: int | np.ndarray,
        team: int | np.ndarray,
        worker: np.ndarray,
        *,
        start: bool = False,
        priority: np.ndarray | None = None,
    ) -> None:
        n = len(episode)
        if not n:
            return
        self.phase += 1

        def full(value: int | np.ndarray) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()

        self.chunks.append(
            (
                episode.astype(np.int64),
                time.astype(np.int64),
                full(activity),
                full(1 if start else 0),
                full(team),
                worker.astype(np.int64),
                full(0) if priority is None else priority.astype(np.int64),
                full(self.phase),
            )
        )

    def columns(self) -> list[np.ndarray]:
        return [np.concatenate(parts) for parts in zip(*self.chunks, strict=True)]


class _Workers:
    """Worker numbers by team, before and after the reorganisation."""

    def __init__(self) -> None:
        self.pools: dict[tuple[int, bool], np.ndarray] = {}
        number = 1
        moving: list[np.ndarray] = []
        for code, team in enumerate(TEAMS):
            ids = np.arange(number, number + team.workers)
            number += team.workers
            staying = ids[: team.workers - team.leaving]
            moving.append(ids[team.workers - team.leaving :])
            self.pools[(code, False)] = ids
            self.pools[(code, True)] = staying
        self.pools[(JEF_FAMILLE, True)] = np.concatenate(
            [self.pools[(JEF_FAMILLE, False)], *moving]
        )

    def draw(self, rng: np.random.Generator, team: np.ndarray, after: np.ndarray) -> np.ndarray:
        result = np.empty(len(team), dtype=np.int64)
        for (code, late), pool in self.pools.items():
            mask = (team == code) & (after == late)
            result[mask] = pool[rng.integers(0, len(pool), size=int(mask.sum()))]
        return result


def _gamma(rng: np.random.Generator, mean: np.ndarray | float, n: int, shape: float = 2.0):
    return rng.gamma(shape, np.asarray(mean, dtype=float) / shape, size=n)


def _season(dates: Sequence[datetime.date]) -> np.ndarray:
    """Volume of reports on each day relative to an ordinary day (the indicators' factors)."""
    return np.array([reports_factor(d) for d in dates])


@dataclass
class _Episodes:
    """Episodes waiting to be simulated: their child, when they start, how, at what age."""

    case: np.ndarray
    time: np.ndarray  # minutes from the export start
    age: np.ndarray  # years
    report: np.ndarray  # a report to youth protection (else a request for first-line services)


class _Simulation:
    def __init__(self, seed: int, years: float, volume: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.volume = volume
        days = round(365.25 * years)
        start = EXPORT_END - datetime.timedelta(days=days)
        self.calendar = _Calendar(start, days, days + 3 * 365)
        self.workers = _Workers()
        self.events = _Events()
        self.n_episodes = 0
        self.episode_case: list[np.ndarray] = []
        self.episode_time: list[np.ndarray] = []

    # -- arrivals --------------------------------------------------------------------------

    def first_episodes(self) -> _Episodes:
        rng, cal = self.rng, self.calendar
        dates = cal.dates[: cal.days]
        season = _season(dates)
        weekday = np.array([d.weekday() < 5 for d in dates])
        growth = 1 + GROWTH_PER_YEAR * np.arange(cal.days) / 365.25
        report_rate = REPORTS_PER_DAY * season * np.where(weekday, 1.16, 0.6) * growth
        request_rate = REQUESTS_PER_WORKING_DAY * season * cal.working[: cal.days] * growth
        reports = rng.poisson(report_rate * self.volume)
        requests = rng.poisson(request_rate * self.volume)
        report_day = np.repeat(np.arange(cal.days), reports)
        request_day = np.repeat(np.arange(cal.days), requests)
        time = np.concatenate(
            [
                report_day * MINUTES + rng.integers(7 * 60, 22 * 60, size=len(report_day)),
                request_day * MINUTES + rng.integers(WORK_START, WORK_END, size=len(request_day)),
            ]
        )
        report = np.concatenate(
            [np.ones(len(report_day), dtype=bool), np.zeros(len(request_day), dtype=bool)]
        )
        order = np.argsort(time, kind="stable")
        time, report = time[order], report[order]
        # Ages at the first contact: many young children, fewer teenagers.
        weights = np.array([9, 8, 7, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 4, 3], dtype=float)
        age = rng.choice(18, size=len(time), p=weights / weights.sum()) + rng.random(len(time))
        return _Episodes(np.arange(len(time)), time, age, report)

    def returns(self, case, closed_at, how, after, age) -> _Episodes:
        """The families who come back after a closure: a new report or request."""
        rng = self.rng
        share = np.select(
            [how == k for k in range(3)],
            [np.where(after, RETURNS[k][1], RETURNS[k][0]) for k in RETURNS],
        )
        back = rng.random(len(case)) < share
        gap = _gamma(rng, RETURN_GAP, int(back.sum()), shape=1.3) * MINUTES
        time = closed_at[back] + np.maximum(gap.astype(np.int64), 60)
        new_age = age[back] + gap / MINUTES / 365.25
        keep = (time < self.calendar.days * MINUTES) & (new_age < 18)
        report = rng.random(int(back.sum())) < 0.7
        return _Episodes(case[back][keep], time[keep], new_age[keep], report[keep])

    # -- one round of episodes -------------------------------------------------------------

    def simulate(self, episodes: _Episodes) -> _Episodes:
        rng, cal, ev, workers = self.rng, self.calendar, self.events, self.workers
        n = len(episodes.case)
        ep = self.n_episodes + np.arange(n)
        self.n_episodes += n
        self.episode_case.append(episodes.case)
        self.episode_time.append(episodes.time)
        t0, age, report = episodes.time, episodes.age, episodes.report
        after = t0 >= cal.reorganisation
        closed_at = np.full(n, np.iinfo(np.int64).max // 2)
        how = np.full(n, 2)
        young = age < 6

        # Reception: reports at screening, first-line requests at the family's team.
        first_line_team = np.where(
            young & ~(after & (rng.random(n) < JIMMY_YOUNG)), JEF_0_5, JEF_FAMILLE
        )
        reception = np.where(report, RTS, first_line_team)
        ev.add(
            ep,
            t0,
            np.where(report, A[REPORT_RECEIVED], A[SERVICE_REQUEST]),
            reception,
            workers.draw(rng, reception, after),
        )

        # Screening (RTS): retained or not, the same day or the next.
        r = np.flatnonzero(report)
        retained = rng.random(len(r)) < RETAINED
        priority = rng.choice(3, size=len(r), p=PRIORITY_SHARES) + 1
        delay = np.where(
            retained & (priority == 1),
            rng.integers(30, 240, size=len(r)),
            (_gamma(rng, 0.8, len(r), shape=1.2) * MINUTES).astype(np.int64) + 20,
        )
        screened = t0[r] + delay
        rts_worker = workers.draw(rng, np.full(len(r), RTS), after[r])
        ev.add(
            ep[r],
            screened,
            np.where(retained, A[REPORT_RETAINED], A[REPORT_NOT_RETAINED]),
            RTS,
            rts_worker,
            priority=np.where(retained, priority, 0),
        )
        dropped = r[~retained]
        closing = screened[~retained] + rng.integers(5, 60, size=len(dropped))
        ev.add(ep[dropped], closing, A[FILE_CLOSED], RTS, rts_worker[~retained])
        closed_at[dropped], how[dropped] = closing, 0

        # Evaluation: E/O, or from the reorganisation often the Jimmy team.
        v = r[retained]
        code = priority[retained]
        screened_v = screened[retained]
        jimmy = after[v] & (rng.random(len(v)) < np.take(JIMMY_EVALUATES, code - 1))
        evaluator = np.where(jimmy, JEF_FAMILLE, EO)
        mean_wait = np.zeros(len(v))
        for team, regimes in EVALUATION_WAIT.items():
            for late, waits in enumerate(regimes):
                mask = (evaluator == team) & (after[v] == bool(late))
                mean_wait[mask] = np.where(code[mask] == 2, waits[0], waits[1])
        busy = cal.busy[np.minimum(screened_v // MINUTES, cal.days - 1)]
        wait = np.ceil(_gamma(rng, mean_wait * busy, len(v), 2.2))
        begun = np.where(
            code == 1,
            screened_v + rng.integers(60, 360, size=len(v)),
            cal.after(rng, screened_v, wait),
        )
        evaluator_worker = workers.draw(rng, evaluator, begun >= cal.reorganisation)
        ev.add(ep[v], begun, A[EVALUATION], evaluator, evaluator_worker, start=True, priority=code)
        finished = cal.after(rng, begun, _gamma(rng, 20.0, len(v), shape=3.0))
        ev.add(ep[v], finished, A[EVALUATION], evaluator, evaluator_worker, priority=code)
        redo = rng.random(len(v)) < np.where(after[v], EVALUATION_REDONE[1], EVALUATION_REDONE[0])
        redo &= evaluator == EO
        again = cal.after(rng, finished[redo], rng.integers(2, 10, size=int(redo.sum())))
        ev.add(
            ep[v][redo],
            again,
            A[EVALUATION],
            EO,
            evaluator_worker[redo],
            start=True,
            priority=code[redo],
        )
        again_done = cal.after(rng, again, _gamma(rng, 10.0, len(again), shape=3.0))
        ev.add(
            ep[v][redo], again_done, A[EVALUATION], EO, evaluator_worker[redo], priority=code[redo]
        )
        finished[redo] = again_done
        oriented = cal.after(rng, finished, rng.integers(0, 4, size=len(v)))
        ev.add(ep[v], oriented, A[ORIENTATION], evaluator, evaluator_worker, priority=code)

        compromised = rng.random(len(v)) < np.take(COMPROMISED, code - 1)
        referred = ~compromised & (rng.random(len(v)) < NOT_COMPROMISED_REFERRED)
        shut = ~compromised & ~referred
        closing = oriented[shut] + rng.integers(5, 90, size=int(shut.sum()))
        ev.add(ep[v][shut], closing, A[FILE_CLOSED], evaluator[shut], evaluator_worker[shut])
        closed_at[v[shut]], how[v[shut]] = closing, 1

        # Services: who serves first, then the teams the family is passed on to, one after
        # the other (a family followed by two teams at once would count a hand-off at every
        # alternation; source systems record one responsible team at a time).
        requests = np.flatnonzero(~report)
        served = np.concatenate([requests, v[~shut]])
        first_team = np.concatenate([first_line_team[requests], evaluator[~shut]])
        last_worker = np.concatenate([np.full(len(requests), -1), evaluator_worker[~shut]])
        last_end = np.concatenate([t0[requests], oriented[~shut]])
        protection = np.concatenate([np.zeros(len(requests), bool), compromised[~shut]])
        evaluated = np.concatenate(
            [np.zeros(len(requests), bool), np.ones(int((~shut).sum()), bool)]
        )
        late, kids, m = after[served], age[served], len(served)
        am = np.where(kids < 13, AM_0_12, AM_13_17)
        by_age = np.where(
            kids < 6,
            np.where(late & (rng.random(m) < JIMMY_YOUNG), JEF_FAMILLE, JEF_0_5),
            JEF_FAMILLE,
        )
        jimmy_takes = late & ((first_team == JEF_FAMILLE) | (rng.random(m) < JIMMY_FOLLOWS))
        main = np.where(
            protection,
            np.where(jimmy_takes, JEF_FAMILLE, am),
            np.where(evaluated & (first_team != JEF_FAMILLE), by_age, first_team),
        )
        jimmy_main = late & (main == JEF_FAMILLE)
        on_am = (main == AM_0_12) | (main == AM_13_17)
        p_rehab = np.select([jimmy_main, on_am, main == JEF_0_5], [0.04, 0.35, 0.35], 0.28)
        p_liaison = (kids >= 6) * np.select([jimmy_main, on_am], [0.02, 0.25], 0.22)
        p_transition = np.select([on_am, main == JEF_0_5], [0.40, 0.20], 0.0)
        transition_team = np.where(late | (kids >= 6) | (main == JEF_0_5), JEF_FAMILLE, JEF_0_5)
        stays = [
            (main, np.ones(m, dtype=bool)),
            (np.full(m, READAPTATION), rng.random(m) < p_rehab),
            (np.full(m, LIAISON), rng.random(m) < p_liaison),
            (transition_team, rng.random(m) < p_transition),
        ]
        last_team = first_team.copy()
        for position, (team, wanted) in enumerate(stays):
            idx = np.flatnonzero(wanted & (team != last_team) if position else wanted)
            stay_team, k = team[idx], len(idx)
            # The same worker goes on when the team that evaluated the family serves it.
            same = (stay_team == last_team[idx]) & (last_worker[idx] >= 0)
            wait = np.where(late[idx] & (stay_team == JEF_FAMILLE), JIMMY_WAIT, WAIT[stay_team])
            wait = np.where(same, SAME_TEAM_WAIT, wait)
            begin = cal.after(rng, last_end[idx], _gamma(rng, wait, k))
            worker = np.where(
                same,
                last_worker[idx],
                workers.draw(rng, stay_team, begin >= cal.reorganisation),
            )
            episode = ep[served[idx]]
            ev.add(episode, begin, A[SERVICE_START], stay_team, worker)
            mean_stay = np.where(
                protection[idx] & (stay_team == JEF_FAMILLE),
                JIMMY_PROTECTION_STAY,
                STAY[stay_team],
            )
            length = np.maximum(_gamma(rng, mean_stay, k, shape=1.8), 14.0)
            end = cal.after(rng, begin, length)
            # Interventions, spread over the stay on working days.
            owner = np.repeat(np.arange(k), rng.poisson(length / EVERY[stay_team]))
            spread = begin[owner] + (rng.random(len(owner)) * (end - begin)[owner]).astype(int)
            moment = np.clip(
                cal.work_time(rng, spread // MINUTES), begin[owner] + 1, end[owner] - 1
            )
            ev.add(episode[owner], moment, A[INTERVENTION], stay_team[owner], worker[owner])
            # The team taking the family over assesses it again (repeated assessment).
            redo = evaluated[idx] & ~same & (stay_team != JEF_FAMILLE)
            redo &= rng.random(k) < np.where(late[idx], REASSESSED[1], REASSESSED[0])
            j = np.flatnonzero(redo)
            begun = cal.after(rng, begin[j], rng.integers(1, 8, size=len(j)))
            done = cal.after(rng, begun, _gamma(rng, 15.0, len(j), 3.0))
            done = np.maximum(np.minimum(done, end[j] - 1), begun + 1)
            ev.add(episode[j], begun, A[EVALUATION], stay_team[j], worker[j], start=True)
            ev.add(episode[j], done, A[EVALUATION], stay_team[j], worker[j])
            # A new report on a family followed in protection joins the open episode.
            followed = np.flatnonzero((stay_team == AM_0_12) | (stay_team == AM_13_17))
            j = followed[rng.random(len(followed)) < NEW_REPORT_DURING_FOLLOW_UP]
            when = begin[j] + (rng.random(len(j)) * (end - begin)[j]).astype(np.int64)
            rts = workers.draw(rng, np.full(len(j), RTS), when >= cal.reorganisation)
            ev.add(episode[j], when, A[REPORT_RECEIVED], RTS, rts)
            retained_at = when + rng.integers(60, 1440, size=len(j))
            ev.add(
                episode[j], retained_at, A[REPORT_RETAINED], RTS, rts, priority=np.full(len(j), 3)
            )
            last_team[idx], last_worker[idx], last_end[idx] = stay_team, worker, end
        closing = cal.after(rng, last_end, rng.integers(0, 3, size=m))
        ev.add(ep[served], closing, A[END_OF_SERVICES], last_team, last_worker)
        closed_at[served], how[served] = closing, 2
        return self.returns(episodes.case, closed_at, how, after, age)

    # -- the table ---------------------------------------------------------------------------

    def table(self) -> pa.Table:
        episode, time, activity, start, team, worker, priority, phase = self.events.columns()
        keep = time < self.calendar.days * MINUTES
        episode, time, activity, start, team, worker, priority, phase = (
            c[keep] for c in (episode, time, activity, start, team, worker, priority, phase)
        )
        episode_case = np.concatenate(self.episode_case)
        episode_time = np.concatenate(self.episode_time)
        case = episode_case[episode]
        order = np.lexsort((phase, case, time))
        episode, time, activity, start, team, worker, priority, case = (
            c[order] for c in (episode, time, activity, start, team, worker, priority, case)
        )
        # Episode numbers as the source system gives them: in order of their first event.
        rank = np.empty(len(episode_time), dtype=np.int64)
        rank[np.lexsort((episode_case, episode_time))] = np.arange(len(episode_time))
        local = np.datetime64(self.calendar.start, "m") + time.astype("timedelta64[m]")
        # A local time the autumn change repeats is its first occurrence (as zoneinfo reads
        # it); one the spring change skips moves forward to the first valid time.
        timestamps = pc.assume_timezone(
            pa.array(local.astype("datetime64[us]")),
            TIME_ZONE,
            ambiguous="earliest",
            nonexistent="latest",
        ).cast(pa.timestamp("us", tz="UTC"))
        n = len(time)
        case_labels = pa.array([f"DOSSIER-{i + 1:06d}" for i in range(int(episode_case.max()) + 1)])
        episode_labels = pa.array([f"EPS-{i + 1:07d}" for i in range(len(episode_time))])
        last_worker = max(int(pool.max()) for pool in self.workers.pools.values())
        worker_labels = pa.array(
            [None] + [f"INT-{i:04d}" for i in range(last_worker + 1)], pa.string()
        )
        return pa.Table.from_arrays(
            [
                pc.take(case_labels, pa.array(case)),
                pc.take(episode_labels, pa.array(rank[episode])),
                pc.take(pa.array(ACTIVITIES), pa.array(activity)),
                timestamps,
                pc.take(pa.array(["complete", "start"]), pa.array(start)),
                pc.take(pa.array([t.source_name for t in TEAMS]), pa.array(team)),
                pc.take(worker_labels, pa.array(worker + 1)),
                pc.take(pa.array([None, "1", "2", "3"], pa.string()), pa.array(priority)),
                pa.array(np.arange(1, n + 1), pa.int64()),
            ],
            schema=SCHEMA,
        )


def _busy(day: datetime.date) -> float:
    """How much longer families wait when the reports pile up (autumn) or the staff is on
    holiday (summer, Christmas); about 1 over a year."""
    md = (day.month, day.day)
    if (9, 1) <= md < (11, 15):
        return 1.12
    if (6, 24) <= md < (8, 25) or md >= (12, 20) or md < (1, 5):
        return 1.08
    return 0.95


def generate(seed: int = SEED, *, years: float = YEARS, volume: float = 1.0) -> pa.Table:
    """The demo's event log: `years` years of events ending the night before `END`.

    `volume` scales the number of children (1.0: the demo, about 35,000 children, 40,000
    episodes and 316,000 events over four years); `years` may be a fraction. The same
    arguments always give the same table.
    """
    simulation = _Simulation(seed, years, volume)
    episodes = simulation.first_episodes()
    while len(episodes.case):
        episodes = simulation.simulate(episodes)
    return simulation.table()


def source_export(table: pa.Table) -> pa.Table:
    """The table as the source system exports it: `COLUMN_MAPPING`'s column names, local
    time as ISO 8601 text with its UTC offset (unambiguous on the night clocks go back), empty
    cells for missing values; no row numbers (they are the file's)."""
    return pa.table(
        {
            getattr(COLUMN_MAPPING, name): (
                _local_text(table["timestamp"]) if name == "timestamp" else table[name]
            )
            for name in EXPORTED_FIELDS
        }
    )


def _local_text(timestamps: pa.ChunkedArray) -> pa.Array:
    """ISO 8601 local times with their offset, such as ``2025-09-15T09:30:00-04:00``."""
    utc = timestamps.cast(pa.timestamp("s", tz="UTC"))
    local = pc.local_timestamp(utc.cast(pa.timestamp("s", tz=TIME_ZONE)))
    local_s = local.to_numpy().astype("datetime64[s]")
    minutes = (local_s - utc.to_numpy().astype("datetime64[s]")).astype(np.int64) // 60
    offsets = {
        m: f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
        for m in np.unique(minutes).tolist()
    }
    return pc.binary_join_element_wise(
        pa.array(np.datetime_as_string(local_s, unit="s")),
        pa.array([offsets[m] for m in minutes.tolist()]),
        "",
    )


def write_csv(table: pa.Table, path: Path) -> Path:
    """`table` as a semicolon-separated UTF-8 CSV export, quoting only where needed."""
    export = source_export(table)
    # No value holds a delimiter, a quote or a line break: nothing needs quoting, and an
    # export read by a person in a text editor is easier without.
    options = pa_csv.WriteOptions(delimiter=";", quoting_style="none", include_header=False)
    body = pa.BufferOutputStream()
    pa_csv.write_csv(export, body, write_options=options)
    with open(path, "wb") as handle:
        handle.write((";".join(export.column_names) + "\n").encode())
        handle.write(body.getvalue().to_pybytes())
    return path


def write_demo_files(
    directory: str | Path,
    *,
    table: pa.Table | None = None,
    parquet: bool = False,
) -> list[Path]:
    """Write the demo's event log into `directory` (created if needed): the CSV export, and
    the same columns as Parquet when `parquet`. Returns the paths; same table, same bytes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    table = generate() if table is None else table
    paths = [write_csv(table, directory / FILE_NAME)]
    if parquet:
        path = directory / Path(FILE_NAME).with_suffix(".parquet").name
        pq.write_table(source_export(table), path)
        paths.append(path)
    return paths
