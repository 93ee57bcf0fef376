"""Measures of the escalation loop: how well the management system itself answers.

Two uses. The receiving board shows, for its room, the median round-trip time, the open
escalations by age and those left without a decision after N meetings (`room_measures`).
And the same loop becomes weekly indicator values of every unit that has a room
(`compute_room_indicators`), so that it is read with SPC like any other indicator.

Definitions (also in docs/decisions/0013-escalation-measures.md):

- An escalation *belongs to* the room that received it (`to_room`): the measures say how a
  room answers what is sent to it.
- *Round-trip time*: from sending (`sent_at`) to the originating room's acknowledgement
  (`acknowledged_at`), so it includes the time a decision took to come back down when the
  matter went further up.
- *Open*: not acknowledged yet (sent, or decided and awaiting acknowledgement).
- *Answered*: decided, or escalated further up (the room acted; the room above now owes the
  answer). *Waiting* = sent and not answered.
- *Left without a decision after N meetings*: waiting, and the receiving room held at least
  `N_MEETINGS` meetings meanwhile (`meetings_without_decision`, counted by the meetings).
"""

import datetime
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Min, QuerySet
from django.utils import timezone

from pilotage.indicators.actions import Measurement, Outcome, do_set_value
from pilotage.indicators.models import (
    Dimension,
    Direction,
    Frequency,
    Indicator,
    Kind,
    Source,
    Value,
)
from pilotage.indicators.periods import period_start
from pilotage.organisation.models import Level, Unit
from pilotage.rooms.models import (
    CADENCE_DAYS,
    DecisionKind,
    Escalation,
    EscalationState,
    Room,
    RoomKind,
)

#: An escalation still waiting after this many meetings of the receiving room is shown as
#: "left without a decision". Two, not one: a matter that arrives just before a meeting may
#: fairly wait for the next one; a second meeting without an answer is the pitfall the design
#: names ("escalations with no answer").
N_MEETINGS = 2

#: The board's round-trip median covers the escalations closed in this many days.
ROUND_TRIP_WINDOW_DAYS = 90

#: Codes of the computed indicators of the management system.
ROUND_TRIP_CODE = "escalation-round-trip"
OPEN_CODE = "escalations-open"
WAITING_CODE = "escalations-waiting"

_DAY = 86400.0


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def age_days(escalation: Escalation, now: datetime.datetime | None = None) -> int:
    """Whole days elapsed since the escalation was sent (rounded down)."""
    return (_now(now) - escalation.sent_at).days


def round_trip_days(escalation: Escalation) -> float | None:
    """The escalation's round-trip time (`Escalation.round_trip`) in days, if closed."""
    trip = escalation.round_trip()
    return None if trip is None else trip.total_seconds() / _DAY


def waiting(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """Escalations sent and not answered: no decision, and not escalated further up."""
    return escalations.filter(state=EscalationState.SENT).exclude(decision=DecisionKind.ESCALATED)


def round_trip_median(
    escalations: QuerySet[Escalation],
    *,
    now: datetime.datetime | None = None,
    window_days: int = ROUND_TRIP_WINDOW_DAYS,
) -> datetime.timedelta | None:
    """Median of `acknowledged_at - sent_at` over the escalations acknowledged (closed) in the
    last `window_days` days up to `now` (`now - window_days <= acknowledged_at <= now`); the
    mean of the two middle values for an even count; None when none closed in the window."""
    moment = _now(now)
    trips = [
        (acknowledged - sent).total_seconds()
        for sent, acknowledged in escalations.filter(
            acknowledged_at__isnull=False,
            acknowledged_at__gte=moment - datetime.timedelta(days=window_days),
            acknowledged_at__lte=moment,
        ).values_list("sent_at", "acknowledged_at")
    ]
    return datetime.timedelta(seconds=statistics.median(trips)) if trips else None


@dataclass(frozen=True)
class AgeBands:
    """Open escalations by age in whole days (rounded down): under 7, 7 to 30, over 30."""

    under_7: int = 0
    from_7_to_30: int = 0
    over_30: int = 0

    @property
    def total(self) -> int:
        return self.under_7 + self.from_7_to_30 + self.over_30


def open_by_age(
    escalations: QuerySet[Escalation], *, now: datetime.datetime | None = None
) -> AgeBands:
    """Open (not closed) escalations sent up to `now`, counted by `age_days`: 0-6 days,
    7-30 days, 31 days and more."""
    moment = _now(now)
    bands: Counter[str] = Counter()
    for sent in escalations.open().filter(sent_at__lte=moment).values_list("sent_at", flat=True):
        days = (moment - sent).days
        bands["under_7" if days < 7 else "from_7_to_30" if days <= 30 else "over_30"] += 1
    return AgeBands(**bands)


def waiting_after_meetings(escalations: QuerySet[Escalation], n: int = N_MEETINGS) -> int:
    """Waiting escalations (see `waiting`) whose receiving room held `n` or more meetings
    since they arrived (`meetings_without_decision >= n`)."""
    return waiting(escalations).filter(meetings_without_decision__gte=n).count()


@dataclass(frozen=True)
class RoomMeasures:
    """The receiving board's measures of the loop, for one room."""

    round_trip_median: datetime.timedelta | None
    open_by_age: AgeBands
    waiting_after_meetings: int
    n_meetings: int = N_MEETINGS
    window_days: int = ROUND_TRIP_WINDOW_DAYS

    @property
    def round_trip_days(self) -> float | None:
        if self.round_trip_median is None:
            return None
        return self.round_trip_median.total_seconds() / _DAY


def room_measures(room: Room, *, now: datetime.datetime | None = None) -> RoomMeasures:
    """The measures of the escalations a room received."""
    received = Escalation.objects.filter(to_room=room)
    return RoomMeasures(
        round_trip_median=round_trip_median(received, now=now),
        open_by_age=open_by_age(received, now=now),
        waiting_after_meetings=waiting_after_meetings(received),
    )


def is_overdue(escalation: Escalation, n: int = N_MEETINGS) -> bool:
    """Whether the escalation is waiting (see `waiting`) after `n` or more meetings."""
    return (
        escalation.state == EscalationState.SENT
        and escalation.decision != DecisionKind.ESCALATED
        and escalation.meetings_without_decision >= n
    )


def mark_escalations(
    escalations: Iterable[Escalation], *, now: datetime.datetime | None = None
) -> list[Escalation]:
    """Say on each escalation its `age_days` and whether it is `overdue` (left without a
    decision after N meetings), for the escalations zone; returns them as a list."""
    moment = _now(now)
    marked = list(escalations)
    for escalation in marked:
        escalation.age_days = age_days(escalation, moment)
        escalation.overdue = is_overdue(escalation)
    return marked


def zone_extra(
    room: Room,
    sent: Iterable[Escalation],
    received: Iterable[Escalation],
    *,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """What the escalations zone (`rooms/zones/escalations.html`) needs beyond the room and
    `readonly`: the escalations sent and received, marked (`mark_escalations`), and the
    receiving room's measures (`escalation_measures`)."""
    moment = _now(now)
    return {
        "escalations_sent": mark_escalations(sent, now=moment),
        "escalations_received": mark_escalations(received, now=moment),
        "escalation_measures": room_measures(room, now=moment),
    }


# --- Weekly indicator values ------------------------------------------------------------------


@dataclass(frozen=True)
class Trip:
    """What the weekly measures need of one escalation, as plain data."""

    sent_at: datetime.datetime
    answered_at: datetime.datetime | None  # decided, or escalated further up
    acknowledged_at: datetime.datetime | None
    meetings_without_decision: int
    cadence_days: int  # of the receiving room


@dataclass(frozen=True)
class WeekFigures:
    round_trip_days_total: float  # numerator of the mean round trip
    closed: int  # its denominator
    open_at_end: int
    waiting_at_end: int


def week_figures(
    trips: Iterable[Trip], start: datetime.datetime, end: datetime.datetime
) -> WeekFigures:
    """The three weekly measures of one unit's received escalations for the week
    [start, end):

    - round trip: the escalations acknowledged in the week, the sum of their round-trip times
      in days and their number (the mean is the one over the other);
    - open at the end of the week: sent before `end`, not acknowledged before `end`;
    - waiting after N meetings at the end of the week: sent before `end`, not answered before
      `end`, `meetings_without_decision >= N_MEETINGS`, and `end` at least N meeting
      intervals of the room's cadence after sending (the counter says how many meetings
      passed, not when: the N-th is dated by the cadence).
    """
    total, closed, open_count, waiting_count = 0.0, 0, 0, 0
    for t in trips:
        if t.acknowledged_at is not None and start <= t.acknowledged_at < end:
            total += (t.acknowledged_at - t.sent_at).total_seconds() / _DAY
            closed += 1
        if t.sent_at >= end:
            continue
        if t.acknowledged_at is None or t.acknowledged_at >= end:
            open_count += 1
        if (
            (t.answered_at is None or t.answered_at >= end)
            and t.meetings_without_decision >= N_MEETINGS
            and t.sent_at + datetime.timedelta(days=N_MEETINGS * t.cadence_days) <= end
        ):
            waiting_count += 1
    return WeekFigures(round(total, 6), closed, open_count, waiting_count)


def _bilingual_indicators() -> list[dict[str, Any]]:
    common = {
        "dimension": Dimension.OTHER,
        "direction": Direction.DECREASE,
        "frequency": Frequency.WEEKLY,
        "source": Source.COMPUTED,
    }
    return [
        {
            **common,
            "code": ROUND_TRIP_CODE,
            "kind": Kind.MEAN,
            "decimals": 1,
            "name_en": "Escalation round-trip time",
            "name_fr": "Délai aller-retour des escalades",
            "definition_en": (
                "Mean time, in days, from sending an escalation to the room to the originating "
                "room's acknowledgement of the decision, over the escalations acknowledged in "
                "the week (numerator: total days; denominator: escalations closed)."
            ),
            "definition_fr": (
                "Délai moyen, en jours, entre l’envoi d’une escalade à la salle et la prise "
                "de connaissance de la décision par la salle d’origine, pour les escalades "
                "fermées dans la semaine (numérateur : total des jours ; dénominateur : "
                "escalades fermées)."
            ),
            "measure_unit_en": "days",
            "measure_unit_fr": "jours",
        },
        {
            **common,
            "code": OPEN_CODE,
            "kind": Kind.COUNT,
            "decimals": 0,
            "name_en": "Open escalations",
            "name_fr": "Escalades ouvertes",
            "definition_en": (
                "Escalations received by the unit's rooms and not yet closed (awaiting a "
                "decision or its acknowledgement) at the end of the week."
            ),
            "definition_fr": (
                "Escalades reçues par les salles de l’unité et pas encore fermées (en attente "
                "de décision ou de prise de connaissance) à la fin de la semaine."
            ),
            "measure_unit_en": "escalations",
            "measure_unit_fr": "escalades",
        },
        {
            **common,
            "code": WAITING_CODE,
            "kind": Kind.COUNT,
            "decimals": 0,
            "name_en": f"Escalations without a decision after {N_MEETINGS} meetings",
            "name_fr": f"Escalades sans décision après {N_MEETINGS} rencontres",
            "definition_en": (
                "Escalations received by the unit's rooms, still awaiting a decision at the "
                f"end of the week after {N_MEETINGS} or more meetings of the receiving room."
            ),
            "definition_fr": (
                "Escalades reçues par les salles de l’unité, toujours sans décision à la fin "
                f"de la semaine après {N_MEETINGS} rencontres ou plus de la salle qui les a "
                "reçues."
            ),
            "measure_unit_en": "escalations",
            "measure_unit_fr": "escalades",
        },
    ]


def _owner_unit() -> Unit | None:
    """The unit of the strategic room, else the root of the unit tree."""
    room = (
        Room.objects.filter(kind=RoomKind.UNIT, unit__level=Level.STRATEGIC)
        .select_related("unit")
        .order_by("unit__path")
        .first()
    )
    if room is not None:
        return room.unit
    return Unit.objects.filter(parent__isnull=True).order_by("path").first()


def ensure_indicators() -> dict[str, Indicator] | None:
    """Create or refresh the three indicators of the management system (by code); their
    priority and targets, set by people, are left alone. None when there is no unit yet."""
    owner = _owner_unit()
    if owner is None:
        return None
    made = {}
    for spec in _bilingual_indicators():
        code = spec.pop("code")
        made[code], _ = Indicator.objects.update_or_create(
            code=code, defaults={**spec, "owner_unit": owner}
        )
    return made


def _monday_moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _trips_by_unit() -> dict[int, list[Trip]]:
    """Every escalation as a Trip, grouped by the unit of the room that received it."""
    forwarded = dict(
        Escalation.objects.filter(parent__isnull=False)
        .values_list("parent_id")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    trips: dict[int, list[Trip]] = defaultdict(list)
    rows = Escalation.objects.order_by("pk").values_list(
        "pk",
        "to_room__unit_id",
        "to_room__cadence",
        "sent_at",
        "decided_at",
        "acknowledged_at",
        "meetings_without_decision",
    )
    for pk, unit_id, cadence, sent, decided, acknowledged, meetings in rows:
        answers = [moment for moment in (decided, forwarded.get(pk)) if moment is not None]
        trips[unit_id].append(
            Trip(
                sent_at=sent,
                answered_at=min(answers) if answers else None,
                acknowledged_at=acknowledged,
                meetings_without_decision=meetings,
                cadence_days=CADENCE_DAYS.get(cadence, 7),
            )
        )
    return trips


def weeks_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The Mondays of the ISO weeks from the one holding `first` to the one holding `last`."""
    monday, end = period_start(first, "weekly"), period_start(last, "weekly")
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += datetime.timedelta(days=7)
    return weeks


def compute_room_indicators(*, today: datetime.date | None = None) -> dict[str, int]:
    """Write the weekly values of the three indicators for the unit of every room, from the
    week of the first escalation to the current week (source: computed).

    Idempotent: a value already stored as computed is not touched, so a second run writes
    nothing. The current week's values are provisional until it ends ("end of the week" is
    then the future: open counts are those open now). Returns how many values were created,
    updated and left unchanged.
    """
    counts = {Outcome.CREATED.value: 0, Outcome.UPDATED.value: 0, Outcome.UNCHANGED.value: 0}
    first_sent = Escalation.objects.aggregate(first=Min("sent_at"))["first"]
    indicators = ensure_indicators()
    if first_sent is None or indicators is None:
        return counts
    weeks = weeks_between(timezone.localdate(first_sent), today or timezone.localdate())
    trips = _trips_by_unit()
    unit_ids = sorted(set(Room.objects.values_list("unit_id", flat=True)))
    units = Unit.objects.in_bulk(unit_ids)
    stored = {
        (v.indicator_id, v.unit_id, v.period): (v.value, v.numerator, v.denominator)
        for v in Value.objects.filter(
            indicator__in=indicators.values(), unit_id__in=unit_ids, period__gte=weeks[0]
        ).order_by()
    }
    for unit_id in unit_ids:
        with transaction.atomic():  # one commit per unit, not one per value
            _write_unit(unit_id, units[unit_id], weeks, trips, indicators, stored, counts)
    return counts


def _write_unit(
    unit_id: int,
    unit: Unit,
    weeks: list[datetime.date],
    trips: dict[int, list[Trip]],
    indicators: dict[str, Indicator],
    stored: dict[tuple[int, int, datetime.date], tuple[float, float | None, float | None]],
    counts: dict[str, int],
) -> None:
    for monday in weeks:
        figures = week_figures(
            trips.get(unit_id, ()),
            _monday_moment(monday),
            _monday_moment(monday + datetime.timedelta(days=7)),
        )
        for code, measurement in _measurements(figures):
            indicator = indicators[code]
            if _same(stored.get((indicator.pk, unit_id, monday)), measurement):
                counts[Outcome.UNCHANGED.value] += 1
                continue
            outcome = do_set_value(
                indicator, unit, monday, measurement, user=None, source=Source.COMPUTED
            )
            counts[outcome.value] += 1


def _measurements(figures: WeekFigures) -> Sequence[tuple[str, Measurement]]:
    wanted = [
        (OPEN_CODE, Measurement(float(figures.open_at_end))),
        (WAITING_CODE, Measurement(float(figures.waiting_at_end))),
    ]
    if figures.closed:
        # A mean of nothing is no value: weeks without a closed escalation have none.
        wanted.insert(
            0,
            (
                ROUND_TRIP_CODE,
                Measurement(None, figures.round_trip_days_total, float(figures.closed)),
            ),
        )
    return wanted


def _same(current: tuple[float, float | None, float | None] | None, m: Measurement) -> bool:
    if current is None:
        return False
    value, numerator, denominator = current
    if m.denominator is not None:
        return (numerator, denominator) == (m.numerator, m.denominator)
    return value == m.value and numerator is None and denominator is None
