"""Who may do what in a control room: the one place for the rooms' permission rules.

- Everyone who may see a room (`Room.objects.visible_to`) may read its board; anyone else
  gets a 404, so a room of another unit does not reveal that it exists.
- A member of an operational or team room is a current member of the room's unit or of a
  unit below it (the service head with the team). A strategic or tactical room is a
  director's (or the executive's) with the middle managers: its members are the current
  members of its own unit and the leaders of the units directly below it. A member of a
  trajectory room is a current member of one of its teams or of a unit below one.
  "Anyone who is a member of the room can raise a problem, own an action and present an
  item."
- The leaders of the room's unit (or of a unit above it) lead the room: they decide on what
  is escalated to it, and may work on its board as members do. A trajectory room is led by
  the leaders of the unit it is anchored to.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from pilotage.organisation.models import LEADING_ROLES, Level, Membership, Person
from pilotage.organisation.scope import can_lead, subtrees_q
from pilotage.rooms.models import Room, RoomKind

_MEMBER_CACHE = "_pilotage_room_member"


def _members_q(room: Room) -> Q:
    """Current memberships that make someone a member of the room (see the module doc)."""
    if room.kind == RoomKind.TRAJECTORY:
        return subtrees_q([unit.path for unit in room.member_units.all()], "unit")
    if room.unit.level in {Level.STRATEGIC, Level.TACTICAL}:
        return Q(unit=room.unit) | Q(unit__parent=room.unit, role__in=LEADING_ROLES)
    return subtrees_q([room.unit.path], "unit")


def is_member(user: object, room: Room) -> bool:
    """Whether the user is a current member of the room (see the module docstring). Cached on
    the user object per room, so a page asks the database once."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache: dict[int, bool] = getattr(user, _MEMBER_CACHE, None) or {}
    if room.pk not in cache:
        cache[room.pk] = (
            Membership.objects.current().filter(person__user=user).filter(_members_q(room)).exists()
        )
        setattr(user, _MEMBER_CACHE, cache)
    return cache[room.pk]


def can_lead_room(user: object, room: Room) -> bool:
    """Whether the user leads the room: a leading role in its unit or above (for a trajectory
    room, its anchor unit or above), or a superuser."""
    return can_lead(user, room.unit)


def can_contribute(user: object, room: Room) -> bool:
    """Whether the user may raise problems, own and edit actions and cards on the board: the
    room's members and its leaders."""
    return is_member(user, room) or can_lead_room(user, room)


def room_members(room: Room) -> QuerySet[Person]:
    """The people who are current members of the room (the owners an action may have)."""
    memberships = Membership.objects.current().filter(_members_q(room))
    return Person.objects.filter(pk__in=memberships.values("person_id")).order_by(
        "family_name", "given_name"
    )


def get_room_for_user(user: object, code: str) -> Room:
    """The room with this code if the user may see it, else 404 (never 403)."""
    try:
        return (
            Room.objects.visible_to(user)
            .select_related("unit", "template")
            .prefetch_related("member_units")
            .get(code=code)
        )
    except Room.DoesNotExist:
        raise Http404 from None
