"""The data of one board: its zones in the room's order, each with its items and its cap.

`build_board()` reads a whole board in a fixed number of queries, whatever the number of
cards: each zone is one query for its items (related rows joined or prefetched, never a
query per card), plus a count when the zone is capped. The TV display and the meeting pages
reuse the same zones and partial templates (`rooms/zones/<zone>.html`).

A zone shows at most its template's limit of items (0: no limit): the pitfall of boards
that try to show everything. What is left off is counted ("and 4 more") and listed on the
zone's full page. Done and solved items stay on the board for a while (`RECENT`), so a
team sees what it achieved, then leave it (they stay on the full list).
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from pilotage.indicators import charts
from pilotage.indicators.models import Indicator, Priority
from pilotage.indicators.series import Reading
from pilotage.rooms import metrics
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    Escalation,
    EscalationState,
    Kata,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
    Zone,
)
from pilotage.rooms.signals import Tile, indicator_tiles

#: How long solved problems, done actions, closed escalations and recognition stay on a board.
RECENT = datetime.timedelta(days=30)
RECOGNITION_RECENT = datetime.timedelta(days=90)

#: The kanban's columns, in order (escalated last but one: it waits for the room above).
KANBAN = [
    ProblemStatus.NEW,
    ProblemStatus.ANALYSING,
    ProblemStatus.ACTION,
    ProblemStatus.ESCALATED,
    ProblemStatus.SOLVED,
]
OPEN_ACTION = [ActionStatus.TODO, ActionStatus.DOING]

#: Zones this module draws (projects are drawn from the room's reverse relation in their
#: template, since rooms must not import the projects app).
DRAWN = {
    Zone.PROJECTS,
    Zone.PRIORITIES,
    Zone.INDICATORS,
    Zone.PROBLEMS,
    Zone.ACTIONS,
    Zone.ESCALATIONS,
    Zone.RECOGNITION,
    Zone.KATA,
}


@dataclass
class ZoneView:
    """One zone of a board: its items (at most `limit`), and how many there are in all."""

    zone: str
    limit: int
    items: list[Any] = field(default_factory=list)
    total: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(Zone(self.zone).label) if self.zone in Zone.values else self.zone

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)

    @property
    def template(self) -> str:
        return f"rooms/zones/{self.zone}.html" if self.zone in DRAWN else "rooms/zones/other.html"


@dataclass(frozen=True)
class TileView:
    """An indicator tile with what the page needs beyond the reading: the sparkline's key."""

    tile: Tile
    spark_key: str | None
    spark_alt: str


@dataclass(frozen=True)
class PriorityLine:
    """A priority of the true-north zone with what the room's board links to it."""

    priority: Priority | None  # None: the line of items linked to no priority
    problems: int
    actions: int
    indicators: int

    @property
    def total(self) -> int:
        return self.problems + self.actions + self.indicators


def _capped(queryset: QuerySet[Any], limit: int, full: bool) -> tuple[list[Any], int]:
    """The items (at most `limit` unless `full`) and their total: one query when uncapped,
    two when capped."""
    if full or not limit:
        items = list(queryset)
        return items, len(items)
    return list(queryset[:limit]), queryset.count()


def _chain(room: Room) -> list[int]:
    """The room's unit and the units above it: whose priorities and indicators apply."""
    return [*room.unit.ancestor_ids(), room.unit_id]


# --- Zones ---------------------------------------------------------------------------------


def _priorities(room: Room, zone: ZoneView, full: bool) -> None:
    priorities, zone.total = _capped(
        Priority.objects.filter(unit_id__in=_chain(room)).select_related("unit"), zone.limit, full
    )

    def counts(queryset: QuerySet[Any]) -> dict[int | None, int]:
        rows = (
            queryset.values("priority_id").annotate(n=Count("pk")).values_list("priority_id", "n")
        )
        return dict(rows)

    problems = counts(Problem.objects.filter(room=room).exclude(status=ProblemStatus.SOLVED))
    actions = counts(Action.objects.filter(room=room, status__in=OPEN_ACTION))
    indicators = counts(Indicator.objects.filter(owner_unit_id__in=_chain(room)))
    zone.items = [
        PriorityLine(p, problems.get(p.pk, 0), actions.get(p.pk, 0), indicators.get(p.pk, 0))
        for p in priorities
    ]
    zone.extra["unlinked"] = PriorityLine(
        None, problems.get(None, 0), actions.get(None, 0), indicators.get(None, 0)
    )


def sparkline_spec(reading: Reading) -> charts.Spec:
    """A tile's sparkline: the board and the image's own URL draw the same spec (its key is
    in the URL)."""
    return charts.sparkline_spec(reading, width=200, height=36)


def _indicators(room: Room, zone: ZoneView, full: bool) -> None:
    tiles = indicator_tiles(room, limit=0)
    zone.total = len(tiles)
    if zone.limit and not full and len(tiles) > zone.limit:
        # As signals.indicator_tiles(): signals first when capped, so a cap never hides one.
        ranked = [t for t in tiles if t.signal] + [t for t in tiles if not t.signal]
        keep = {id(t) for t in ranked[: zone.limit]}
        tiles = [t for t in tiles if id(t) in keep]
    zone.items = [
        TileView(
            tile,
            charts.spec_key(sparkline_spec(tile.reading)) if tile.reading.result else None,
            charts.summary(tile.reading) if tile.reading.result else "",
        )
        for tile in tiles
    ]
    zone.extra["red_without_action"] = sum(1 for t in tiles if t.red_without_action)


def problems_queryset(room: Room, *, full: bool = False) -> QuerySet[Problem]:
    """The room's problems in kanban order; without `full`, those solved long ago left off."""
    queryset = Problem.objects.filter(room=room)
    if not full:
        since = timezone.now() - RECENT
        queryset = queryset.filter(~Q(status=ProblemStatus.SOLVED) | Q(solved_at__gte=since))
    return (
        queryset.select_related("priority", "indicator", "created_by__person")
        .annotate(
            column=Case(
                *(When(status=s, then=Value(i)) for i, s in enumerate(KANBAN)),
                output_field=IntegerField(),
            ),
            open_actions=Count("actions", filter=Q(actions__status__in=OPEN_ACTION)),
        )
        .order_by("column", "-created_at", "-pk")
    )


def _problems(room: Room, zone: ZoneView, full: bool) -> None:
    zone.items, zone.total = _capped(problems_queryset(room, full=full), zone.limit, full)
    by_status: dict[str, list[Problem]] = {s: [] for s in KANBAN}
    for problem in zone.items:
        by_status.setdefault(problem.status, []).append(problem)
    zone.extra["columns"] = [
        (status, ProblemStatus(status).label, by_status[status]) for status in KANBAN
    ]
    # Escalated is reached by escalating, never by moving the card.
    zone.extra["moves"] = [c for c in ProblemStatus.choices if c[0] != ProblemStatus.ESCALATED]


def actions_queryset(room: Room, *, full: bool = False) -> QuerySet[Action]:
    """The room's actions, open first by due date; without `full`, those closed long ago
    left off."""
    queryset = Action.objects.filter(room=room)
    if not full:
        since = timezone.now() - RECENT
        queryset = queryset.filter(
            Q(status__in=OPEN_ACTION) | Q(done_at__gte=since) | Q(updated_at__gte=since)
        )
    return (
        queryset.select_related("owner", "problem", "indicator", "priority")
        .annotate(closed=Case(When(status__in=OPEN_ACTION, then=Value(0)), default=Value(1)))
        .order_by("closed", "due", "pk")
    )


def mark_due(actions: list[Action], today: datetime.date | None = None) -> None:
    """Say on each action how late it is (`overdue_days`) or how soon it is due (`due_in`)."""
    day = today or timezone.localdate()
    for action in actions:
        action.overdue_days = (day - action.due).days if action.is_overdue(day) else 0
        action.due_in = (action.due - day).days if action.due and action.is_open else None


def _actions(room: Room, zone: ZoneView, full: bool) -> None:
    zone.items, zone.total = _capped(actions_queryset(room, full=full), zone.limit, full)
    mark_due(zone.items)
    zone.extra["overdue"] = sum(1 for a in zone.items if a.overdue_days)
    zone.extra["moves"] = ActionStatus.choices


def escalations(room: Room) -> tuple[QuerySet[Escalation], QuerySet[Escalation]]:
    """Escalations sent and received by the room: open ones and those closed recently."""
    since = timezone.now() - RECENT
    recent = ~Q(state=EscalationState.CLOSED) | Q(acknowledged_at__gte=since)
    related = (
        "from_room",
        "to_room",
        "problem",
        "action",
        "redirected_to",
        "sent_by__person",
        "decided_by__person",
        "acknowledged_by__person",
    )
    sent = room.escalations_sent.filter(recent).select_related(*related)
    received = room.escalations_received.filter(recent).select_related(*related)
    return sent, received


def _escalations(room: Room, zone: ZoneView, full: bool) -> None:
    sent, received = escalations(room)
    # Marked with their age and overdue flag, with the receiving room's measures.
    zone.extra.update(metrics.zone_extra(room, sent, received))
    zone.items = [*zone.extra["escalations_sent"], *zone.extra["escalations_received"]]
    zone.total = len(zone.items)


def recognition_queryset(room: Room, *, full: bool = False) -> QuerySet[Recognition]:
    queryset = room.recognitions.all()
    if not full:
        queryset = queryset.filter(given_at__gte=timezone.now() - RECOGNITION_RECENT)
    return queryset.select_related("action", "indicator", "given_by__person").prefetch_related(
        "people"
    )


def _recognition(room: Room, zone: ZoneView, full: bool) -> None:
    zone.items, zone.total = _capped(recognition_queryset(room, full=full), zone.limit, full)


def _kata(room: Room, zone: ZoneView, full: bool) -> None:
    katas = (
        Kata.objects.filter(room=room)
        .select_related("priority")
        .prefetch_related("experiments")
        .order_by("-created_at", "-pk")
    )
    zone.items, zone.total = _capped(katas, zone.limit, full)


BUILDERS = {
    Zone.PRIORITIES: _priorities,
    Zone.INDICATORS: _indicators,
    Zone.PROBLEMS: _problems,
    Zone.ACTIONS: _actions,
    Zone.ESCALATIONS: _escalations,
    Zone.RECOGNITION: _recognition,
    Zone.KATA: _kata,
}


def build_zone(room: Room, zone: str, *, limit: int | None = None, full: bool = False) -> ZoneView:
    """One zone of the room's board (`full`: every item, no cap, old ones included)."""
    view = ZoneView(zone, room.zone_limit(zone) if limit is None else limit)
    builder = BUILDERS.get(zone)  # type: ignore[call-overload]
    if builder is not None:
        builder(room, view, full)
    return view


def build_board(room: Room) -> list[ZoneView]:
    """Every zone of the room's board, in the room's order, each capped by its limit."""
    return [build_zone(room, item["zone"]) for item in room.zones]
