"""The demo's indicators: the Jimmy partnership's true north, indicators and two years of values.

Three strategic priorities of the executive committee (timely access, continuity, well-being
at work), ten indicators serving them, a few targets, and two years of weekly (and some
monthly) values per team, ending on a fixed Monday so the demo reads the same everywhere.

The values are simulated from small process models (evaluations with their delays, caseloads,
hours planned and worked) with a seeded generator per series, and carry the signals a control
room should see:

- a shift after an improvement: the evaluation delay in evaluation-orientation falls from about
  16 days to about 8 when the Jimmy single-team organisation starts (a rebase is recorded);
- a worsening trend: overtime per FTE in the 13-17 follow-up team rises over the last ten weeks;
- outliers: the screening waiting list the week the youth-protection information system was
  down, and the rehabilitation absence rate during the January flu outbreak;
- a target consistently missed: the same-team continuity rate of the early childhood team,
  whose process limits sit entirely below the 80 % target.

Every other series of a team varies by common causes only (see `_draw`); the directorates'
series, rolled up from their teams', carry the teams' signals up. `generate_values()` is pure
(no database) and checks each series against the SPC engine; `build_indicators()` writes it
all, and running it again changes nothing.
"""

import datetime
import functools
import statistics
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from pilotage import spc
from pilotage.demo.organisation import UNITS, demo_people
from pilotage.indicators.actions import Measurement, resolve
from pilotage.indicators.models import (
    Dimension,
    Direction,
    Frequency,
    Indicator,
    Kind,
    Priority,
    Rebase,
    Source,
    Target,
    Value,
)
from pilotage.organisation.models import Membership, Role, Unit

SEED = 2016  # the year Project Jimmy started
WEEK = datetime.timedelta(days=7)
#: The Monday of the last week of values; fixed, so the demo is the same on every machine.
END = datetime.date(2026, 11, 16)
WEEKS = 104
START = END - (WEEKS - 1) * WEEK  # 2024-11-25
#: The Jimmy single-team organisation starts in evaluation-orientation (14 months before END).
JIMMY_START = datetime.date(2025, 9, 15)
REORGANISATION = (
    "Réorganisation Jimmy : une équipe pour la famille, de l'évaluation aux services"
    " / Jimmy reorganisation: one team for the family, from evaluation to services"
)
#: The youth-protection information system (PIJ) was down three days: reports piled up.
PIJ_OUTAGE = datetime.date(2026, 3, 16)
#: The flu outbreak in the rehabilitation unit.
FLU_WEEK = datetime.date(2026, 1, 12)
#: Overtime in the 13-17 follow-up team rises from this week to the end (two vacant posts).
OVERTIME_RISE = END - 9 * WEEK

# code, order, French title, English title (priorities of the executive committee, `jimmy`)
PRIORITIES = [
    ("jimmy-acces", 1, "Accès rapide aux services", "Timely access to services"),
    (
        "jimmy-continuite",
        2,
        "Continuité : une famille, une équipe",
        "Continuity: one family, one team",
    ),
    ("jimmy-bien-etre", 3, "Bien-être au travail", "Well-being at work"),
]


@dataclass(frozen=True)
class Spec:
    """One indicator of the demo, as a performance advisor would write it down."""

    code: str
    priority: str
    dimension: str
    name_fr: str
    name_en: str
    definition_fr: str
    definition_en: str
    measure_unit_fr: str
    measure_unit_en: str
    kind: str
    direction: str
    owner: str
    source: str
    is_outcome: bool
    decimals: int
    units: tuple[str, ...]
    frequency: str = Frequency.WEEKLY
    factor: float = 1.0
    fix_after_n_points: int | None = None


EVALUATION = ("eo",)
FOLLOW_UP = ("jef-famille", "jef-0-5", "am-0-12", "am-13-17", "readaptation")
#: Well-being is measured where people work: every operational unit without teams, every team.
WORKPLACES = (
    "rts",
    "eo",
    "am-0-12",
    "am-13-17",
    "jef-famille",
    "jef-0-5",
    "readaptation",
    "liaison",
)

INDICATORS = [
    Spec(
        code="delai-evaluation",
        priority="jimmy-acces",
        dimension=Dimension.ACCESSIBILITY,
        name_fr="Délai entre la rétention du signalement et l'évaluation",
        name_en="Delay from report retained to evaluation",
        definition_fr=(
            "Nombre moyen de jours civils entre la décision de retenir un signalement et le "
            "début de l'évaluation (première rencontre de l'intervenant avec l'enfant ou ses "
            "parents), pour les évaluations débutées dans la semaine. Numérateur : somme des "
            "délais en jours ; dénominateur : nombre d'évaluations débutées. Source : système "
            "Projet intégration jeunesse (PIJ). Norme québécoise : 12 jours."
        ),
        definition_en=(
            "Mean number of calendar days between the decision to retain a report and the start "
            "of the evaluation (the worker's first meeting with the child or the parents), over "
            "the evaluations started in the week. Numerator: sum of the delays in days; "
            "denominator: number of evaluations started. Source: the youth-protection "
            "information system (PIJ). Quebec standard: 12 days."
        ),
        measure_unit_fr="jours",
        measure_unit_en="days",
        kind=Kind.MEAN,
        direction=Direction.DECREASE,
        owner="dpj",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=1,
        units=EVALUATION,
    ),
    Spec(
        code="evaluations-12-jours",
        priority="jimmy-acces",
        dimension=Dimension.ACCESSIBILITY,
        name_fr="Évaluations débutées dans les 12 jours",
        name_en="Evaluations started within 12 days",
        definition_fr=(
            "Part des évaluations débutées dans la semaine dont le délai depuis la rétention du "
            "signalement est de 12 jours ou moins. Numérateur : évaluations débutées en 12 jours "
            "ou moins ; dénominateur : évaluations débutées. Source : PIJ."
        ),
        definition_en=(
            "Share of the evaluations started in the week that started 12 days or less after "
            "the report was retained. Numerator: evaluations started within 12 days; "
            "denominator: evaluations started. Source: PIJ."
        ),
        measure_unit_fr="%",
        measure_unit_en="%",
        kind=Kind.RATE,
        factor=100,
        direction=Direction.INCREASE,
        owner="dpj",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=0,
        units=EVALUATION,
    ),
    Spec(
        code="liste-attente",
        priority="jimmy-acces",
        dimension=Dimension.ACCESSIBILITY,
        name_fr="Liste d'attente en fin de semaine",
        name_en="Waiting list at the end of the week",
        definition_fr=(
            "Nombre d'enfants en attente le vendredi à 16 h : à la réception et au traitement "
            "des signalements, les signalements reçus et non encore traités ; à "
            "l'évaluation-orientation, les signalements retenus dont l'évaluation n'a pas "
            "débuté. Compté par le chef de service."
        ),
        definition_en=(
            "Number of children waiting on Friday at 4 pm: at screening, the reports received "
            "and not yet processed; at evaluation and orientation, the retained reports whose "
            "evaluation has not started. Counted by the service head."
        ),
        measure_unit_fr="enfants",
        measure_unit_en="children",
        kind=Kind.COUNT,
        direction=Direction.DECREASE,
        owner="dpj",
        source=Source.ENTERED,
        is_outcome=False,
        decimals=0,
        units=("rts", "eo"),
    ),
    Spec(
        code="delai-premier-service",
        priority="jimmy-acces",
        dimension=Dimension.ACCESSIBILITY,
        name_fr="Délai médian jusqu'au premier service",
        name_en="Median delay to first service",
        definition_fr=(
            "Médiane, en jours civils, du délai entre la décision d'orientation (ou la demande "
            "de service en première ligne) et la première intervention de l'équipe qui offre "
            "le service, pour les premiers services donnés dans la semaine. Une médiane ne "
            "s'additionne pas d'une équipe à l'autre : elle est recalculée à partir des données "
            "sources pour les directions."
        ),
        definition_en=(
            "Median number of calendar days between the orientation decision (or the request "
            "for first-line services) and the first intervention of the team giving the "
            "service, over the first services given in the week. A median does not add up "
            "across teams: it is recomputed from the source records for the directorates."
        ),
        measure_unit_fr="jours",
        measure_unit_en="days",
        kind=Kind.MEDIAN,
        direction=Direction.DECREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=1,
        units=FOLLOW_UP,
    ),
    Spec(
        code="transitions-episode",
        priority="jimmy-continuite",
        dimension=Dimension.CONTINUITY,
        name_fr="Transferts par épisode de service",
        name_en="Hand-offs per episode of care",
        definition_fr=(
            "Nombre moyen de changements d'équipe responsable (transferts) au cours d'un "
            "épisode de service, pour les épisodes terminés dans la semaine. Numérateur : "
            "transferts des épisodes terminés ; dénominateur : épisodes terminés. Chaque "
            "transfert est une famille qui recommence son histoire avec une nouvelle équipe."
        ),
        definition_en=(
            "Mean number of changes of the responsible team (hand-offs) during an episode of "
            "care, over the episodes closed in the week. Numerator: hand-offs of the closed "
            "episodes; denominator: episodes closed. Every hand-off is a family telling its "
            "story again to a new team."
        ),
        measure_unit_fr="transferts par épisode",
        measure_unit_en="hand-offs per episode",
        kind=Kind.MEAN,
        direction=Direction.DECREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=2,
        units=FOLLOW_UP,
    ),
    Spec(
        code="continuite-equipe",
        priority="jimmy-continuite",
        dimension=Dimension.CONTINUITY,
        name_fr="Taux de continuité dans la même équipe",
        name_en="Same-team continuity rate",
        definition_fr=(
            "Part des familles suivies en fin de semaine dont tous les services de l'épisode "
            "en cours ont été donnés par l'équipe qui les a prises en charge. Numérateur : "
            "familles sans transfert depuis le début de l'épisode ; dénominateur : familles "
            "suivies le vendredi."
        ),
        definition_en=(
            "Share of the families followed at the end of the week whose services in the "
            "current episode have all been given by the team that took them on. Numerator: "
            "families with no hand-off since the episode started; denominator: families "
            "followed on Friday."
        ),
        measure_unit_fr="%",
        measure_unit_en="%",
        kind=Kind.RATE,
        factor=100,
        direction=Direction.INCREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=1,
        units=FOLLOW_UP,
    ),
    Spec(
        code="re-references-12-mois",
        priority="jimmy-continuite",
        dimension=Dimension.CONTINUITY,
        name_fr="Re-références dans les 12 mois",
        name_en="Re-referrals within 12 months",
        definition_fr=(
            "Part des épisodes terminés le même mois un an plus tôt dont la famille est revenue "
            "(nouveau signalement retenu ou nouvelle demande de service) dans les 12 mois. "
            "Numérateur : épisodes suivis d'un retour ; dénominateur : épisodes terminés."
        ),
        definition_en=(
            "Share of the episodes closed in the same month a year earlier whose family came "
            "back (a new retained report or a new request for services) within 12 months. "
            "Numerator: episodes followed by a return; denominator: episodes closed."
        ),
        measure_unit_fr="%",
        measure_unit_en="%",
        kind=Kind.RATE,
        factor=100,
        direction=Direction.DECREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=True,
        decimals=1,
        units=FOLLOW_UP,
        frequency=Frequency.MONTHLY,
    ),
    Spec(
        code="taux-absence",
        priority="jimmy-bien-etre",
        dimension=Dimension.WELL_BEING,
        name_fr="Taux d'absence",
        name_en="Absence rate",
        definition_fr=(
            "Heures d'absence (maladie, accident du travail, congés non planifiés ; sans les "
            "vacances ni la formation) sur les heures planifiées à l'horaire de la semaine, "
            "en pourcentage. Source : système de paie de l'employeur."
        ),
        definition_en=(
            "Hours of absence (sickness, work injury, unplanned leave; not holidays or "
            "training) over the hours planned on the week's schedule, as a percentage. "
            "Source: the employer's payroll system."
        ),
        measure_unit_fr="%",
        measure_unit_en="%",
        kind=Kind.RATE,
        factor=100,
        direction=Direction.DECREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=False,
        decimals=1,
        units=WORKPLACES,
    ),
    Spec(
        code="heures-sup-etp",
        priority="jimmy-bien-etre",
        dimension=Dimension.WELL_BEING,
        name_fr="Heures supplémentaires par ETC",
        name_en="Overtime hours per FTE",
        definition_fr=(
            "Heures supplémentaires travaillées dans la semaine par équivalent temps complet "
            "(ETC) en poste. Numérateur : heures supplémentaires payées ou reprises ; "
            "dénominateur : ETC de la semaine. Source : système de paie de l'employeur."
        ),
        definition_en=(
            "Overtime hours worked in the week per full-time equivalent (FTE) in post. "
            "Numerator: overtime hours paid or taken back as time off; denominator: the "
            "week's FTEs. Source: the employer's payroll system."
        ),
        measure_unit_fr="heures par ETC",
        measure_unit_en="hours per FTE",
        kind=Kind.MEAN,
        direction=Direction.DECREASE,
        owner="jimmy",
        source=Source.IMPORTED,
        is_outcome=False,
        decimals=2,
        units=WORKPLACES,
        # Limits fixed on the first year, so a drift in overtime is read against the
        # baseline rather than absorbed into it.
        fix_after_n_points=52,
    ),
    Spec(
        code="pouls-equipe",
        priority="jimmy-bien-etre",
        dimension=Dimension.WELL_BEING,
        name_fr="Pouls de l'équipe",
        name_en="Team pulse",
        definition_fr=(
            "Note moyenne, de 1 (pas du tout) à 5 (tout à fait), à la question du sondage "
            "éclair anonyme du mois : « Ce mois-ci, j'ai eu le soutien et le temps pour bien "
            "faire mon travail. » Numérateur : somme des notes ; dénominateur : nombre de "
            "réponses. Saisi par le chef de service, jamais par personne."
        ),
        definition_en=(
            "Mean score, from 1 (not at all) to 5 (completely), to the month's short anonymous "
            'pulse question: "This month I had the support and the time to do my work well." '
            "Numerator: sum of the scores; denominator: number of answers. Entered by the "
            "service head, never per person."
        ),
        measure_unit_fr="sur 5",
        measure_unit_en="out of 5",
        kind=Kind.MEAN,
        direction=Direction.INCREASE,
        owner="jimmy",
        source=Source.ENTERED,
        is_outcome=False,
        decimals=2,
        units=WORKPLACES,
        frequency=Frequency.MONTHLY,
    ),
]

# indicator code, unit code (None: for every unit), target; all in force from START
TARGETS = [
    ("delai-evaluation", None, 12.0),  # the Quebec standard
    ("evaluations-12-jours", "dpj", 80.0),
    ("continuite-equipe", None, 80.0),
    ("continuite-equipe", "jef-famille", 90.0),  # the Jimmy team promises more
]

# indicator code, unit code, from: the reorganisation changed the evaluation process
REBASES = [
    ("delai-evaluation", "eo", JIMMY_START),
    ("evaluations-12-jours", "eo", JIMMY_START),
    ("liste-attente", "eo", JIMMY_START),
]


@dataclass(frozen=True)
class Measure:
    """One period's value; rates and means carry their numerator and denominator."""

    period: datetime.date
    value: float
    numerator: float | None = None
    denominator: float | None = None


def _count(period: datetime.date, value: float) -> Measure:
    return Measure(period, float(value))


def _ratio(
    period: datetime.date, numerator: float, denominator: float, factor: float = 1
) -> Measure:
    numerator, denominator = float(numerator), float(denominator)
    return Measure(period, numerator / denominator * factor, numerator, denominator)


Values = dict[tuple[str, str], tuple[Measure, ...]]


def weeks() -> list[datetime.date]:
    """The Mondays of the demo's two years, oldest first."""
    return [START + i * WEEK for i in range(WEEKS)]


def months() -> list[datetime.date]:
    """The first days of the 24 complete months before END's month, oldest first."""
    year, month = END.year, END.month
    firsts = []
    for _ in range(24):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        firsts.append(datetime.date(year, month, 1))
    return firsts[::-1]


def reports_factor(day: datetime.date) -> float:
    """Volume of reports in the week starting `day`, relative to an ordinary week: schools are
    the main reporters, so fewer in their holidays and more when they start again."""
    md = (day.month, day.day)
    if md >= (12, 20) or md < (1, 5):
        return 0.65
    if (6, 24) <= md < (8, 25):
        return 0.75
    if (9, 1) <= md < (11, 1):
        return 1.2
    return 1.0


def on_duty(day: datetime.date, unit: str) -> float:
    """Share of the staff scheduled in the week (holidays); the school service centre's
    liaison officers work the school calendar and are off in July and early August."""
    md = (day.month, day.day)
    if unit == "liaison" and (6, 30) <= md < (8, 18):
        return 0.0
    if md >= (12, 22) or md < (1, 3):
        return 0.75
    if (6, 24) <= md < (8, 25):
        return 0.72
    return 0.95


STAFF = Counter(p.unit for p in demo_people())

Rng = np.random.Generator


def _evaluations(rng: Rng) -> dict[str, list[Measure]]:
    """Evaluations started each week in evaluation-orientation, each child with its delay."""
    delay, within = [], []
    for week in weeks():
        n = max(6, int(rng.poisson(22 * reports_factor(week))))
        mean = 16.0 if week < JIMMY_START else 8.0
        days = np.ceil(rng.gamma(4.0, mean / 4.0, size=n))
        delay.append(_ratio(week, days.sum(), n))
        within.append(_ratio(week, (days <= 12).sum(), n, 100))
    return {"delai-evaluation": delay, "evaluations-12-jours": within}


def _evaluation_waiting_list(rng: Rng) -> dict[str, list[Measure]]:
    waiting = []
    for week in weeks():
        days = 16.0 if week < JIMMY_START else 8.0
        # Little's law: children waiting = reports retained per day x days waited.
        expected = 22 / 7 * days * (1 + 0.2 * (reports_factor(week) - 1))
        waiting.append(_count(week, max(0, round(rng.normal(expected, 4.0)))))
    return {"liste-attente": waiting}


def _screening_waiting_list(rng: Rng) -> dict[str, list[Measure]]:
    waiting = []
    for week in weeks():
        expected = 26 * (1 + 0.2 * (reports_factor(week) - 1))
        if week == PIJ_OUTAGE:
            expected = 78  # three days without the information system
        waiting.append(_count(week, max(0, round(rng.normal(expected, 3.5)))))
    return {"liste-attente": waiting}


# team: median days to first service, hand-offs per episode, same-team continuity,
# re-referrals within 12 months
FOLLOW_UP_PROFILE = {
    "jef-famille": (9.0, 0.3, 0.93, 0.10),
    "jef-0-5": (24.0, 1.1, 0.62, 0.16),
    "am-0-12": (14.0, 1.3, 0.78, 0.20),
    "am-13-17": (16.0, 1.5, 0.72, 0.24),
    "readaptation": (30.0, 1.2, 0.70, 0.18),
}


def _first_services(team: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    median = FOLLOW_UP_PROFILE[team][0]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        first = []
        for week in weeks():
            n = max(3, int(rng.poisson(6 * reports_factor(week))))
            days = np.ceil(rng.gamma(2.5, median / 2.2, size=n))
            first.append(_count(week, statistics.median(days.tolist())))
        return {"delai-premier-service": first}

    return make


def _hand_offs(team: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    per_episode = FOLLOW_UP_PROFILE[team][1]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        handed = []
        for week in weeks():
            closed = max(2, int(rng.poisson(0.8 * STAFF[team])))
            handed.append(_ratio(week, rng.poisson(per_episode * closed), closed))
        return {"transitions-episode": handed}

    return make


def _continuity(team: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    same_team = FOLLOW_UP_PROFILE[team][2]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        kept = []
        for week in weeks():
            families = int(round(13 * STAFF[team] * rng.normal(1, 0.03)))
            kept.append(_ratio(week, rng.binomial(families, same_team), families, 100))
        return {"continuite-equipe": kept}

    return make


def _re_referrals(team: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    share = FOLLOW_UP_PROFILE[team][3]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        returns = []
        for month in months():
            closed = max(5, int(rng.poisson(3.2 * STAFF[team])))
            returns.append(_ratio(month, rng.binomial(closed, share), closed, 100))
        return {"re-references-12-mois": returns}

    return make


# workplace: absence probability per scheduled day, overtime hours per FTE, pulse mean score
WORKPLACE_PROFILE = {
    "rts": (0.075, 0.9, 3.5),
    "eo": (0.080, 1.3, 3.4),
    "am-0-12": (0.070, 1.0, 3.6),
    "am-13-17": (0.075, 1.0, 3.5),
    "jef-famille": (0.050, 0.6, 4.1),
    "jef-0-5": (0.060, 0.5, 3.8),
    "readaptation": (0.070, 0.8, 3.6),
    "liaison": (0.050, 0.3, 3.9),
}


def _absence(unit: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    usual = WORKPLACE_PROFILE[unit][0]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        absence = []
        for week in weeks():
            if not (duty := on_duty(week, unit)):
                continue
            days = int(round(STAFF[unit] * 5 * duty))
            p = 0.22 if (unit, week) == ("readaptation", FLU_WEEK) else usual
            hours = 7.0 * rng.binomial(days, p) + 3.5 * rng.binomial(days, p / 4)
            absence.append(_ratio(week, hours, 7.0 * days, 100))
        return {"taux-absence": absence}

    return make


def _overtime(unit: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    usual = WORKPLACE_PROFILE[unit][1]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        extra = []
        for week in weeks():
            if not (duty := on_duty(week, unit)):
                continue
            if unit == "am-13-17" and week >= OVERTIME_RISE:
                # Two posts left vacant: the others cover, a little more every week.
                rise = (week - OVERTIME_RISE).days // 7 + 1
                per_fte = usual + 0.25 * rise + float(rng.uniform(-0.08, 0.08))
            else:
                per_fte = max(0.0, float(rng.normal(usual, 0.3)))
            fte = round(STAFF[unit] * duty, 1)
            extra.append(_ratio(week, round(per_fte * fte * 4) / 4, fte))  # quarter hours
        return {"heures-sup-etp": extra}

    return make


def _pulse(unit: str) -> Callable[[Rng], dict[str, list[Measure]]]:
    usual = WORKPLACE_PROFILE[unit][2]

    def make(rng: Rng) -> dict[str, list[Measure]]:
        scores = []
        for month in months():
            answers = max(3, int(rng.binomial(STAFF[unit], 0.7)))
            marks = np.clip(np.rint(rng.normal(usual, 0.8, size=answers)), 1, 5)
            scores.append(_ratio(month, marks.sum(), answers))
        return {"pouls-equipe": scores}

    return make


@dataclass(frozen=True)
class Plan:
    """A simulated process of one unit, the series it gives and the signals they must show.

    Every point must read as common cause except those in `may_signal`, and those in
    `must_signal` must not; `assurance` is the verdict the current limits must give.
    """

    name: str
    unit: str
    make: Callable[[Rng], dict[str, list[Measure]]]
    may_signal: frozenset[datetime.date] = frozenset()
    must_signal: frozenset[datetime.date] = frozenset()
    assurance: str | None = None


def plans() -> list[Plan]:
    """Every simulated process of the demo; the planned signals are set here."""
    outage, flu = frozenset({PIJ_OUTAGE}), frozenset({FLU_WEEK})
    rising = frozenset(OVERTIME_RISE + i * WEEK for i in range(-1, 10))
    last_seven = frozenset(END - i * WEEK for i in range(7))
    planned: dict[tuple[str, str], dict[str, Any]] = {
        ("waiting", "rts"): {"may_signal": outage, "must_signal": outage},
        ("absence", "readaptation"): {"may_signal": flu, "must_signal": flu},
        ("overtime", "am-13-17"): {"may_signal": rising, "must_signal": last_seven},
        ("continuity", "jef-0-5"): {"assurance": "consistent_fail"},
    }
    processes = [
        ("evaluations", "eo", _evaluations),
        ("waiting", "eo", _evaluation_waiting_list),
        ("waiting", "rts", _screening_waiting_list),
    ]
    for team in FOLLOW_UP:
        processes += [
            ("first-service", team, _first_services(team)),
            ("hand-offs", team, _hand_offs(team)),
            ("continuity", team, _continuity(team)),
            ("re-referrals", team, _re_referrals(team)),
        ]
    for unit in WORKPLACES:
        processes += [
            ("absence", unit, _absence(unit)),
            ("overtime", unit, _overtime(unit)),
            ("pulse", unit, _pulse(unit)),
        ]
    return [
        Plan(name, unit, make, **planned.get((name, unit), {})) for name, unit, make in processes
    ]


SPECS = {spec.code: spec for spec in INDICATORS}
PARENT = {code: parent for code, parent, *_ in UNITS}


def target_for(code: str, unit: str) -> float | None:
    """The demo target in force for a unit: its own, the nearest ancestor's, or everyone's."""
    targets = {target_unit: value for c, target_unit, value in TARGETS if c == code}
    at: str | None = unit
    while at is not None:
        if at in targets:
            return targets[at]
        at = PARENT[at]
    return targets.get(None)


def reading(code: str, unit: str, series: Sequence[Measure]) -> spc.SpcResult:
    """The SPC engine's reading of a demo series, with the indicator's settings, the unit's
    target and rebases: what the unit's board will show."""
    spec = SPECS[code]
    fix = spec.fix_after_n_points
    return spc.analyse(
        [m.value for m in series],
        [m.period for m in series],
        improvement_direction=spec.direction,
        target=target_for(code, unit),
        fix_after_n_points=fix if fix and fix <= len(series) else None,
        rebase_dates=[day for c, u, day in REBASES if (c, u) == (code, unit)],
    )


def _shows(plan: Plan, result: spc.SpcResult) -> bool:
    for point in result.points:
        signal = point.point_type != "common_cause"
        if signal and point.date not in plan.may_signal:
            return False
        if not signal and point.date in plan.must_signal:
            return False
    return plan.assurance is None or result.icons.assurance == plan.assurance


ATTEMPTS = 500


def _draw(plan: Plan) -> dict[str, list[Measure]]:
    """The first draw of the plan's process whose series show exactly the planned signals.

    Ordinary noise over two years often shows a run of seven by chance; a demo full of
    chance signals would teach the wrong lesson, so draws are tried in a fixed order until
    one reads as planned. The order is seeded, so the result is the same everywhere.
    """
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng(
            [SEED, zlib.crc32(plan.name.encode()), zlib.crc32(plan.unit.encode()), attempt]
        )
        drawn = plan.make(rng)
        if all(_shows(plan, reading(code, plan.unit, s)) for code, s in drawn.items()):
            return drawn
    raise RuntimeError(f"no draw of {plan.name} at {plan.unit} shows the planned signals")


@functools.cache
def generate_values() -> Values:
    """Every value of the demo by (indicator code, unit code), oldest first; pure and
    deterministic (so computed once per process)."""
    values: Values = {}
    for plan in plans():
        for code, series in _draw(plan).items():
            values[code, plan.unit] = tuple(series)
    return values


def _manager(unit: Unit) -> object | None:
    """The user heading the unit, or the nearest unit above it: who enters its values."""
    chain = [unit.pk, *reversed(unit.ancestor_ids())]
    heads = Membership.objects.filter(unit_id__in=chain, role__in=[Role.MANAGER, Role.DIRECTOR])
    by_unit = {m.unit_id: m.person.user for m in heads.select_related("person__user")}
    return next((by_unit[pk] for pk in chain if pk in by_unit), None)


#: What a value holds besides its key, as stored (foreign keys by id).
CONTENT = ("value", "numerator", "denominator", "source", "batch_id", "updated_by_id")


def _write_values(indicators: dict[str, Indicator], units: dict[str, Unit]) -> None:
    """Create the missing values and correct the changed ones, in a few bulk queries; values
    already right are left alone (their change time too)."""
    existing = {
        (indicator, unit, period): (pk, tuple(content))
        for pk, indicator, unit, period, *content in Value.objects.filter(
            indicator__in=indicators.values()
        ).values_list("pk", "indicator_id", "unit_id", "period", *CONTENT)
    }
    entered_by = {code: getattr(_manager(unit), "pk", None) for code, unit in units.items()}
    new, changed = [], []
    now = timezone.now()
    for (code, unit_code), series in generate_values().items():
        indicator, unit = indicators[code], units[unit_code]
        user = entered_by[unit_code] if indicator.source == Source.ENTERED else None
        for m in series:
            checked = resolve(indicator, m.period, Measurement(m.value, m.numerator, m.denominator))
            content = (checked.value, checked.numerator, checked.denominator, indicator.source)
            pk, stored = existing.get((indicator.pk, unit.pk, m.period), (None, None))
            if stored == (*content, None, user):
                continue
            value = Value(
                pk=pk,
                indicator=indicator,
                unit=unit,
                period=m.period,
                **dict(zip(CONTENT, (*content, None, user), strict=True)),
            )
            if pk is None:
                new.append(value)
            else:
                value.updated_at = now
                changed.append(value)
    Value.objects.bulk_create(new, batch_size=500)
    fields = ["value", "numerator", "denominator", "source", "batch", "updated_by", "updated_at"]
    Value.objects.bulk_update(changed, fields, batch_size=500)


@transaction.atomic
def build_indicators() -> dict[str, int]:
    """Create or update the demo's priorities, indicators, targets, rebases and values (the
    organisation must exist: see `build_organisation`); return how many of each there are."""
    codes = {code for spec in INDICATORS for code in (spec.owner, *spec.units)}
    codes |= {"jimmy", "dpj"} | {unit for _, unit, _ in TARGETS if unit}
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
    if missing := codes - set(units):
        raise RuntimeError(f"Load the demo organisation first (missing units: {sorted(missing)}).")

    priorities = {}
    for code, order, title_fr, title_en in PRIORITIES:
        priorities[code], _ = Priority.objects.update_or_create(
            code=code,
            defaults={
                "unit": units["jimmy"],
                "order": order,
                "title_fr": title_fr,
                "title_en": title_en,
            },
        )
    indicators = {}
    for spec in INDICATORS:
        indicators[spec.code], _ = Indicator.objects.update_or_create(
            code=spec.code,
            defaults={
                "name_fr": spec.name_fr,
                "name_en": spec.name_en,
                "definition_fr": spec.definition_fr,
                "definition_en": spec.definition_en,
                "dimension": spec.dimension,
                "measure_unit_fr": spec.measure_unit_fr,
                "measure_unit_en": spec.measure_unit_en,
                "kind": spec.kind,
                "factor": spec.factor,
                "direction": spec.direction,
                "frequency": spec.frequency,
                "owner_unit": units[spec.owner],
                "source": spec.source,
                "priority": priorities[spec.priority],
                "is_outcome": spec.is_outcome,
                "decimals": spec.decimals,
                "fix_after_n_points": spec.fix_after_n_points,
            },
        )
    for code, unit_code, value in TARGETS:
        Target.objects.update_or_create(
            indicator=indicators[code],
            unit=units[unit_code] if unit_code else None,
            effective_from=START,
            defaults={"value": value},
        )
    director = _director("dpj")
    for code, unit_code, day in REBASES:
        Rebase.objects.update_or_create(
            indicator=indicators[code],
            unit=units[unit_code],
            from_period=day,
            defaults={"reason": REORGANISATION, "decided_by": director},
        )
    _write_values(indicators, units)
    return {
        "priorities": Priority.objects.count(),
        "indicators": Indicator.objects.count(),
        "targets": Target.objects.count(),
        "rebases": Rebase.objects.count(),
        "values": Value.objects.count(),
    }


def _director(unit_code: str) -> object | None:
    membership = (
        Membership.objects.filter(unit__code=unit_code, role=Role.DIRECTOR)
        .select_related("person__user")
        .order_by("pk")
        .first()
    )
    return membership.person.user if membership else None
