"""Computed indicators: a trajectory's weekly measures become indicator values.

After every import or withdrawal, `recompute` runs the analytics engine
(`analytics.weekly_measures`) over the trajectory's live batches and writes, through
`indicators.actions.do_set_values` (history kept, an identical value changes nothing), one
value per week for:

* each unit that is a team of the trajectory (`TrajectoryTeam`: the team's name in the
  log -> the unit; several names may point at one unit, whose figures are then summed:
  counts add up, means and rates add their numerators and denominators);
* the trajectory's own unit (the direction, or the unit hosting the trajectory room), from
  the engine's all-teams row: every event, teams linked or not. When a team is linked to the
  trajectory's unit itself, that unit gets the all-teams figures only.

Each measure is an indicator created when missing, coded ``traj-<trajectory code>-<measure>``
and owned by the trajectory's unit. Medians are not summable, so the median delay to
evaluation exists for the trajectory's unit only, computed by the engine over all events
(the "recomputed from source data" roll-up of decision 7).

These indicators count children and families, so they are flagged `hides_small_counts`
(all but the median): every page, chart and export hides their counts under 5
(`indicators/disclosure.py`, decision 18). A median has no count to hide beside it, so a
week's median over fewer than 5 items is not written at all: that week has no value.

Values of these indicators that a recomputation no longer produces (the weeks of a withdrawn
batch) are deleted, and only those: values with a source other than "computed" are left
alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from pilotage.analytics import EventLog, WeeklyMeasures, weekly_measures
from pilotage.analytics.suppression import DEFAULT_THRESHOLD
from pilotage.indicators.actions import Measurement, Outcome, do_set_values
from pilotage.indicators.models import (
    Dimension,
    Direction,
    Frequency,
    Indicator,
    Kind,
    Source,
    Value,
)
from pilotage.organisation.models import Unit
from pilotage.trajectories import storage
from pilotage.trajectories.models import Trajectory, TrajectoryTeam

logger = logging.getLogger(__name__)

#: Tries when batches change while the measures are being computed.
MAX_TRIES = 3


@dataclass(frozen=True)
class MeasureSpec:
    """One computed indicator: what it is called, and how a weekly row gives its value.

    Counts read `count` (a `WeeklyMeasures` field). Means and rates read `statistic` (a
    mean, or a share between 0 and 1) over `count` items, and store numerator = statistic ×
    count and denominator = count, so they roll up. Medians read `statistic` from the
    all-teams row, and are left out when `count` is under the suppression threshold.
    """

    slug: str
    kind: str
    direction: str
    dimension: str
    name_en: str
    name_fr: str
    definition_en: str
    definition_fr: str
    unit_en: str
    unit_fr: str
    count: str = ""
    statistic: str = ""
    factor: float = 1.0
    decimals: int = 1
    is_outcome: bool = False
    all_teams_only: bool = False
    applies: Callable[[Trajectory], bool] = field(default=lambda trajectory: True)


_DAYS = ("days", "jours")
_PER_CENT = ("%", "%")
_WEEK_NOTE_EN = " Computed each week from the trajectory's event log (docs/trajectory-measures.md)."
_WEEK_NOTE_FR = (
    " Calculé chaque semaine à partir du journal d'événements de la trajectoire "
    "(docs/trajectory-measures.md)."
)

MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec(
        "requests",
        Kind.COUNT,
        Direction.NEUTRAL,
        Dimension.ACCESSIBILITY,
        "new requests",
        "nouvelles demandes",
        "Episodes opened during the week (their first request), by the team that received "
        "the request.",
        "Épisodes ouverts dans la semaine (leur première demande), par l'équipe qui a reçu "
        "la demande.",
        "requests",
        "demandes",
        count="new_requests",
        decimals=0,
    ),
    MeasureSpec(
        "waiting",
        Kind.COUNT,
        Direction.DECREASE,
        Dimension.ACCESSIBILITY,
        "waiting list at week end",
        "liste d'attente en fin de semaine",
        "Episodes requested by Sunday with neither a first service nor a closure yet, by the "
        "team holding them.",
        "Épisodes demandés au plus tard le dimanche, sans premier service ni fermeture, par "
        "l'équipe qui les détient.",
        "episodes",
        "épisodes",
        count="waiting",
        decimals=0,
        is_outcome=True,
    ),
    MeasureSpec(
        "eval-delay",
        Kind.DURATION,
        Direction.DECREASE,
        Dimension.ACCESSIBILITY,
        "delay to evaluation (mean)",
        "délai avant l'évaluation (moyenne)",
        "Mean days from the request to the first evaluation, for evaluations done in the week "
        "(numerator: days added up; denominator: evaluations).",
        "Moyenne des jours entre la demande et la première évaluation, pour les évaluations "
        "de la semaine (numérateur : somme des jours ; dénominateur : évaluations).",
        *_DAYS,
        count="evaluations",
        statistic="evaluation_delay_mean_days",
        is_outcome=True,
    ),
    MeasureSpec(
        "eval-target",
        Kind.RATE,
        Direction.INCREASE,
        Dimension.ACCESSIBILITY,
        "evaluated within the target delay",
        "évaluations dans le délai cible",
        "Share of the week's first evaluations done within the trajectory's target delay.",
        "Part des premières évaluations de la semaine faites dans le délai cible de la "
        "trajectoire.",
        *_PER_CENT,
        count="evaluations",
        statistic="evaluation_within_target",
        factor=100.0,
        is_outcome=True,
        applies=lambda trajectory: trajectory.evaluation_target_days is not None,
    ),
    MeasureSpec(
        "service-delay",
        Kind.DURATION,
        Direction.DECREASE,
        Dimension.ACCESSIBILITY,
        "delay to first service (mean)",
        "délai avant le premier service (moyenne)",
        "Mean days from the request to the first service, for first services given in the week.",
        "Moyenne des jours entre la demande et le premier service, pour les premiers services "
        "de la semaine.",
        *_DAYS,
        count="first_services",
        statistic="first_service_delay_mean_days",
        is_outcome=True,
    ),
    MeasureSpec(
        "handoffs",
        Kind.MEAN,
        Direction.DECREASE,
        Dimension.CONTINUITY,
        "hand-offs per closed episode",
        "transferts par épisode fermé",
        "Mean number of changes of team between services, over the episodes closed in the "
        "week that had services.",
        "Nombre moyen de changements d'équipe entre les services, pour les épisodes fermés "
        "dans la semaine qui ont reçu des services.",
        "hand-offs",
        "transferts",
        count="closed_with_services",
        statistic="handoffs_per_closed_episode",
        decimals=2,
    ),
    MeasureSpec(
        "continuity",
        Kind.RATE,
        Direction.INCREASE,
        Dimension.CONTINUITY,
        "same-team continuity",
        "continuité par la même équipe",
        "Share of the episodes closed in the week whose services were all given by one team.",
        "Part des épisodes fermés dans la semaine dont tous les services ont été donnés par "
        "une seule équipe.",
        *_PER_CENT,
        count="closed_with_services",
        statistic="same_team_continuity_rate",
        factor=100.0,
        is_outcome=True,
    ),
    MeasureSpec(
        "re-referrals",
        Kind.COUNT,
        Direction.DECREASE,
        Dimension.CONTINUITY,
        "re-referrals",
        "nouvelles demandes après fermeture",
        "New requests for a case whose previous episode closed less than the trajectory's "
        "re-referral window before.",
        "Nouvelles demandes pour un usager dont l'épisode précédent a été fermé depuis moins "
        "que la fenêtre de la trajectoire.",
        "requests",
        "demandes",
        count="re_referrals",
        decimals=0,
    ),
    MeasureSpec(
        "reassess",
        Kind.COUNT,
        Direction.DECREASE,
        Dimension.CONTINUITY,
        "repeated assessments",
        "évaluations répétées",
        "Evaluations of a case already evaluated, by any team, in the 12 months before.",
        "Évaluations d'un usager déjà évalué, par n'importe quelle équipe, dans les 12 mois "
        "précédents.",
        "evaluations",
        "évaluations",
        count="repeated_assessments",
        decimals=0,
    ),
    MeasureSpec(
        "eval-median",
        Kind.MEDIAN,
        Direction.DECREASE,
        Dimension.ACCESSIBILITY,
        "delay to evaluation (median)",
        "délai avant l'évaluation (médiane)",
        "Median days from the request to the first evaluation, for evaluations done in the "
        "week, over all the trajectory's teams (recomputed from the events, never from the "
        "teams' values).",
        "Médiane des jours entre la demande et la première évaluation, pour les évaluations "
        "de la semaine, toutes équipes de la trajectoire (recalculée à partir des "
        "événements, jamais des valeurs des équipes).",
        *_DAYS,
        count="evaluations",
        statistic="evaluation_delay_median_days",
        all_teams_only=True,
        is_outcome=True,
    ),
)

#: Indicator codes are slugs of at most 50 characters.
CODE_LENGTH = 50


def indicator_code(trajectory: Trajectory, spec: MeasureSpec) -> str:
    """``traj-<trajectory code>-<measure>``; a long trajectory code is shortened with a hash
    of it, so the code stays unique and within the field's length."""
    code = f"traj-{trajectory.code}-{spec.slug}"
    if len(code) <= CODE_LENGTH:
        return code
    digest = hashlib.sha256(trajectory.code.encode()).hexdigest()[:6]
    room = CODE_LENGTH - len(f"traj--{digest}-{spec.slug}")
    return f"traj-{trajectory.code[:room]}{digest}-{spec.slug}"


def ensure_indicators(trajectory: Trajectory) -> dict[str, Indicator]:
    """The trajectory's computed indicators by measure slug, created or brought up to date.

    What defines the measure (names, kind, direction, factor, owner) is kept in step with
    the code; what people tune on an indicator (its priority, decimals shown, outcome flag,
    SPC settings) is set only when it is created.
    """
    indicators = {}
    for spec in MEASURES:
        if not spec.applies(trajectory):
            continue
        defining = {
            "name_en": f"{trajectory.name_en}: {spec.name_en}"[:200],
            "name_fr": f"{trajectory.name_fr} : {spec.name_fr}"[:200],
            "definition_en": spec.definition_en + _WEEK_NOTE_EN,
            "definition_fr": spec.definition_fr + _WEEK_NOTE_FR,
            "dimension": spec.dimension,
            "measure_unit_en": spec.unit_en,
            "measure_unit_fr": spec.unit_fr,
            "kind": spec.kind,
            "factor": spec.factor,
            "direction": spec.direction,
            "frequency": Frequency.WEEKLY,
            "owner_unit": trajectory.unit,
            "source": Source.COMPUTED,
            # Counts of children and families: hidden under 5 wherever they are shown
            # (indicators/disclosure.py). A median carries no count to hide.
            "hides_small_counts": spec.kind != Kind.MEDIAN,
        }
        indicator, _ = Indicator.objects.update_or_create(
            code=indicator_code(trajectory, spec),
            defaults=defining,
            create_defaults={
                **defining,
                "decimals": spec.decimals,
                "is_outcome": spec.is_outcome,
            },
        )
        indicators[spec.slug] = indicator
    return indicators


@dataclass
class _Sum:
    """A measure summed over the rows of one unit and week."""

    value: float = 0.0
    numerator: float = 0.0
    denominator: float = 0.0


def _measurement(spec: MeasureSpec, rows: list[WeeklyMeasures]) -> Measurement | None:
    """The value of one unit and week from its rows (one per team name linked to it, or the
    all-teams row); None when there is nothing to measure (a mean over no item)."""
    total = _Sum()
    if spec.kind == Kind.COUNT:
        return Measurement(float(sum(getattr(row, spec.count) for row in rows)))
    if spec.kind == Kind.MEDIAN:
        (row,) = rows
        statistic = getattr(row, spec.statistic)
        if statistic is None or getattr(row, spec.count) < DEFAULT_THRESHOLD:
            return None  # a median of 1 to 4 children would describe them
        return Measurement(round(float(statistic), 6))
    for row in rows:
        items, statistic = getattr(row, spec.count), getattr(row, spec.statistic)
        if items and statistic is not None:
            # Delays and hand-offs are whole numbers and shares are counts over items: the
            # product is an integer up to floating-point noise, removed by the rounding.
            total.numerator += round(statistic * items, 6)
            total.denominator += items
    if not total.denominator:
        return None
    return Measurement(None, total.numerator, total.denominator)


def _team_units(trajectory: Trajectory) -> dict[str, Unit]:
    """Team name in the log -> unit, leaving out the trajectory's own unit (which gets the
    all-teams figures)."""
    return {
        team.source_name: team.unit
        for team in TrajectoryTeam.objects.filter(trajectory=trajectory).select_related("unit")
        if team.unit_id != trajectory.unit_id
    }


Key = tuple[int, int, dt.date]  # indicator, unit, period


def produce(
    trajectory: Trajectory, rows: list[WeeklyMeasures], indicators: dict[str, Indicator]
) -> dict[Key, tuple[Indicator, Unit, dt.date, Measurement]]:
    """Every value the weekly rows give, by (indicator, unit, week)."""
    units = _team_units(trajectory)
    grouped: dict[tuple[int, dt.date], tuple[Unit, list[WeeklyMeasures]]] = {}
    for row in rows:
        unit = trajectory.unit if row.team is None else units.get(row.team)
        if unit is None:
            continue  # a team not linked to a unit: counted in the all-teams row only
        grouped.setdefault((unit.pk, row.week), (unit, []))[1].append(row)
    produced = {}
    for (unit_id, week), (unit, unit_rows) in grouped.items():
        for slug, indicator in indicators.items():
            spec = next(s for s in MEASURES if s.slug == slug)
            if spec.all_teams_only and unit_id != trajectory.unit_id:
                continue
            measurement = _measurement(spec, unit_rows)
            if measurement is not None:
                produced[(indicator.pk, unit_id, week)] = (indicator, unit, week, measurement)
    return produced


@dataclass
class Recomputation:
    """What a recomputation changed."""

    weeks: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: str = ""


def _compute(trajectory: Trajectory) -> tuple[list[int], list[WeeklyMeasures]]:
    batches = storage.live_batches(trajectory)
    if not batches:
        return [], []
    events = EventLog([storage.absolute(batch.parquet_path) for batch in batches])
    try:
        rows = weekly_measures(events, trajectory.definition(), time_zone=trajectory.time_zone)
    finally:
        events.close()
    return [b.pk for b in batches], rows


def recompute(trajectory: Trajectory) -> Recomputation:
    """Bring the trajectory's computed indicator values in line with its live batches.

    The measures are computed outside the database transaction (it can take seconds on a
    large log); then, with the trajectory locked, the set of live batches is checked again
    and the values are written only if it has not changed, else everything is computed
    again: two recomputations racing (two imports finishing together) cannot leave the
    values of the older set of batches.
    """
    result = Recomputation()
    try:
        trajectory.definition()
    except ValueError as exc:
        logger.warning("Trajectory %s is not fully defined: %s", trajectory.code, exc)
        result.skipped = str(exc)
        return result
    for _ in range(MAX_TRIES):
        batch_ids, rows = _compute(trajectory)
        with transaction.atomic():
            Trajectory.objects.select_for_update().filter(pk=trajectory.pk).first()
            if [b.pk for b in storage.live_batches(trajectory)] != batch_ids:
                continue
            _write(trajectory, rows, result)
            return result
    raise RuntimeError(f"the batches of {trajectory.code} kept changing during recomputation")


def _write(trajectory: Trajectory, rows: list[WeeklyMeasures], result: Recomputation) -> None:
    indicators = ensure_indicators(trajectory)
    produced = produce(trajectory, rows, indicators)
    result.weeks = len({row.week for row in rows})
    # Every computed value of the trajectory's indicators, including those of a measure
    # that no longer applies (a target delay removed): what is not produced now goes.
    codes = [indicator_code(trajectory, spec) for spec in MEASURES]
    stored = {
        (v.indicator_id, v.unit_id, v.period): v
        for v in Value.objects.filter(indicator__code__in=codes, source=Source.COMPUTED).order_by()
    }
    counts = do_set_values(produced.values(), user=None, source=Source.COMPUTED)
    result.created += counts[Outcome.CREATED]
    result.updated += counts[Outcome.UPDATED]
    result.unchanged += counts[Outcome.UNCHANGED]
    gone = [v.pk for key, v in stored.items() if key not in produced]
    if gone:
        Value.objects.filter(pk__in=gone).delete()
    result.deleted = len(gone)
