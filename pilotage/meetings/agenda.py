"""A huddle's agenda, generated from the board when the meeting starts.

Order (the issue's): indicator signals (a special cause of concern on the last point), then
indicators whose target is out of reach (failing assurance), new problems, escalations
received that await a decision, decisions received from above that await acknowledgement,
overdue actions, and recognition given since the last meeting. Within a section the board's
order is kept (tiles in board order, oldest card first).

Time rule (`allot`): the room's time box is shared in proportion to a weight, indicator items
(signals and failing assurance) weighing 2 and every other item 1, with a floor of 60 seconds
per unit of weight. Items are taken in agenda order while their floors still fit in the box;
those fitting share the whole box (whole seconds, rounded down, so the total never exceeds
it); the rest are listed "if time allows" with their floor as their time. So the first
sections (signals) are always the ones inside the box.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from pilotage.indicators.models import Indicator
from pilotage.meetings.models import AgendaItemKind, Meeting
from pilotage.rooms.models import (
    CADENCE_DAYS,
    Action,
    ActionStatus,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
)
from pilotage.rooms.signals import indicator_tiles

#: Floor of an item's time, per unit of weight.
MINIMUM_SECONDS = 60
#: Weight of an indicator item (signal or failing assurance) against 1 for the others.
INDICATOR_WEIGHT = 2
TITLE_LENGTH = 300


@dataclass
class PlannedItem:
    """One item of the agenda before it is stored: what it is about and its time."""

    kind: str
    title: str
    indicator: Indicator | None = None
    problem: Problem | None = None
    escalation: Escalation | None = None
    action: Action | None = None
    recognition: Recognition | None = None
    allotted_seconds: int = 0
    if_time_allows: bool = False

    @property
    def weight(self) -> int:
        indicator_kinds = {AgendaItemKind.SIGNAL, AgendaItemKind.FAILING_ASSURANCE}
        return INDICATOR_WEIGHT if self.kind in indicator_kinds else 1


def allot(weights: Sequence[int], box_seconds: int) -> list[tuple[int, bool]]:
    """Seconds for each item and whether it is beyond the box ("if time allows"), by the
    rule in the module docstring. Pure: weights in agenda order, the box in seconds."""
    fitting, floor_total = 0, 0
    for weight in weights:
        if floor_total + weight * MINIMUM_SECONDS > box_seconds:
            break
        floor_total += weight * MINIMUM_SECONDS
        fitting += 1
    unit = box_seconds // sum(weights[:fitting]) if fitting else 0
    return [
        (weight * unit, False) if index < fitting else (weight * MINIMUM_SECONDS, True)
        for index, weight in enumerate(weights)
    ]


def last_meeting_end(room: Room) -> datetime.datetime | None:
    """When the room's previous meeting ended (None before its first)."""
    return (
        Meeting.objects.filter(room=room, ended_at__isnull=False)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )


def board_items(room: Room, *, since: datetime.datetime, today: datetime.date) -> list[PlannedItem]:
    """What the board puts on the agenda now, in the issue's order (no times yet)."""
    tiles = indicator_tiles(room)
    items = [
        PlannedItem(AgendaItemKind.SIGNAL, t.reading.indicator.name, indicator=t.reading.indicator)
        for t in tiles
        if t.concern
    ]
    items += [
        PlannedItem(
            AgendaItemKind.FAILING_ASSURANCE,
            t.reading.indicator.name,
            indicator=t.reading.indicator,
        )
        for t in tiles
        if t.failing and not t.concern  # one item per indicator: the concern says it first
    ]
    new_problems = Problem.objects.filter(room=room, status=ProblemStatus.NEW)
    items += [
        PlannedItem(AgendaItemKind.NEW_PROBLEM, p.title, problem=p, indicator=p.indicator)
        for p in new_problems.select_related("indicator").order_by("created_at", "pk")
    ]
    received = room.escalations_received.awaiting_decision().select_related("from_room")
    items += [
        PlannedItem(AgendaItemKind.ESCALATION_RECEIVED, e.title, escalation=e)
        for e in received.order_by("sent_at", "pk")
    ]
    decided = room.escalations_sent.filter(state=EscalationState.DECIDED).select_related("to_room")
    items += [
        PlannedItem(AgendaItemKind.DECISION_RECEIVED, e.title, escalation=e, problem=e.problem)
        for e in decided.order_by("decided_at", "pk")
    ]
    overdue = Action.objects.filter(
        room=room, status__in=[ActionStatus.TODO, ActionStatus.DOING], due__lt=today
    ).select_related("owner", "problem", "indicator")
    items += [
        PlannedItem(
            AgendaItemKind.OVERDUE_ACTION,
            a.title,
            action=a,
            problem=a.problem,
            indicator=a.indicator,
        )
        for a in overdue.order_by("due", "pk")
    ]
    recognitions = room.recognitions.filter(given_at__gt=since).order_by("given_at", "pk")
    items += [PlannedItem(AgendaItemKind.RECOGNITION, r.text, recognition=r) for r in recognitions]
    for item in items:
        item.title = item.title[:TITLE_LENGTH]
    return items


def plan_agenda(room: Room, *, now: datetime.datetime | None = None) -> list[PlannedItem]:
    """The agenda for a meeting of the room starting now, with each item's time. Recognition
    counts from the end of the previous meeting (or, before the first, one cadence back)."""
    now = now or timezone.now()
    since = last_meeting_end(room) or now - datetime.timedelta(days=CADENCE_DAYS[room.cadence])
    items = board_items(room, since=since, today=timezone.localdate(now))
    times = allot([item.weight for item in items], room.time_box_minutes * 60)
    for item, (seconds, beyond) in zip(items, times, strict=True):
        item.allotted_seconds, item.if_time_allows = seconds, beyond
    return items
