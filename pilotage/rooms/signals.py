"""What the board's indicators say: tiles with their signals, and the "red without action"
flag. The board, the meeting agenda and the TV display all read the indicators through here."""

from dataclasses import dataclass

from django.db.models import Count, Q

from pilotage.indicators.series import Reading, indicators_for, read_many
from pilotage.rooms.models import Action, ActionStatus, Problem, ProblemStatus, Room, Zone


@dataclass(frozen=True)
class Tile:
    """One indicator on a board."""

    reading: Reading
    open_items: int  # open problems and actions of this room linked to the indicator

    @property
    def concern(self) -> bool:
        """The last point is a special cause of concern."""
        result = self.reading.result
        return bool(result) and result.points[-1].point_type == "special_cause_concern"

    @property
    def failing(self) -> bool:
        """The process cannot meet the target: every point will miss it (assurance)."""
        result = self.reading.result
        return bool(result) and result.icons.assurance == "consistent_fail"

    @property
    def signal(self) -> bool:
        return self.concern or self.failing

    @property
    def red_without_action(self) -> bool:
        """A signal that nobody took up: a board that has become a reporting ritual."""
        return self.signal and self.open_items == 0


def indicator_tiles(room: Room, *, limit: int | None = None) -> list[Tile]:
    """The room's indicator tiles in board order (outcome first), only indicators measured for
    its unit, capped by the zone's limit (0: no limit). Signals come first when capped, so a
    limit never hides a concern."""
    readings = [r for r in read_many(indicators_for(room.unit), room.unit) if r.series.points]
    ids = [r.indicator.pk for r in readings]
    open_problems = dict(
        Problem.objects.filter(room=room, indicator_id__in=ids)
        .exclude(status=ProblemStatus.SOLVED)
        .values("indicator_id")
        .annotate(n=Count("pk"))
        .values_list("indicator_id", "n")
    )
    open_actions = dict(
        Action.objects.filter(room=room, indicator_id__in=ids)
        .filter(Q(status=ActionStatus.TODO) | Q(status=ActionStatus.DOING))
        .values("indicator_id")
        .annotate(n=Count("pk"))
        .values_list("indicator_id", "n")
    )
    tiles = [
        Tile(r, open_problems.get(r.indicator.pk, 0) + open_actions.get(r.indicator.pk, 0))
        for r in readings
    ]
    cap = room.zone_limit(Zone.INDICATORS) if limit is None else limit
    if cap and len(tiles) > cap:
        signalled = [t for t in tiles if t.signal]
        others = [t for t in tiles if not t.signal]
        keep = {id(t) for t in (signalled + others)[:cap]}
        tiles = [t for t in tiles if id(t) in keep]
    return tiles
