"""Operations of a meeting that touch several rows, one function each, used by the views (and
later the API and commands). Each runs in one transaction; the steps two people may take at
the same moment lock the meeting row first and say which race they guard against."""

import datetime
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.meetings.agenda import plan_agenda
from pilotage.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingAction,
    MeetingDecision,
    MeetingKind,
)
from pilotage.organisation.models import Person
from pilotage.rooms.access import room_members
from pilotage.rooms.actions import do_decide
from pilotage.rooms.models import (
    Action,
    DecisionKind,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Room,
)


class InvalidStep(Exception):
    """The step makes no sense in the meeting's present state (the message says why)."""


class MeetingClosed(InvalidStep):
    """The meeting has ended: nothing more is recorded in it."""

    def __init__(self) -> None:
        super().__init__(_("This meeting has ended."))


def _user_or_none(user: object) -> object | None:
    return user if getattr(user, "pk", None) else None


def _lock_open(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().select_related("room").get(pk=meeting.pk)
    if locked.ended_at is not None:
        raise MeetingClosed
    return locked


def do_start_meeting(
    room: Room,
    *,
    user: object,
    facilitator: Person | None = None,
    secretary: Person | None = None,
    timekeeper: Person | None = None,
    now: datetime.datetime | None = None,
) -> tuple[Meeting, bool]:
    """Start a huddle in the room, or join the one already under way (then `False`).

    Every current member of the room gets an attendance row (the one who starts is present,
    the others absent until marked); the agenda is generated from the board now, with its
    times (see agenda.py), and kept as it was: the board moves on, the minutes do not.
    """
    existing = Meeting.objects.open().filter(room=room).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    planned = plan_agenda(room, now=now)  # outside the lock: it reads the indicators
    members = list(room_members(room))
    starter = getattr(user, "pk", None)
    try:
        with transaction.atomic():
            # Two members pressing "Start a huddle" at once: the room row is locked, so the
            # second waits, then finds the first one's meeting and joins it.
            Room.objects.select_for_update().filter(pk=room.pk).exists()
            existing = Meeting.objects.open().filter(room=room).first()
            if existing is not None:
                return existing, False
            meeting = Meeting.objects.create(
                room=room,
                kind=MeetingKind.HUDDLE,
                started_at=now,
                started_by=_user_or_none(user),
                facilitator=facilitator,
                secretary=secretary,
                timekeeper=timekeeper,
                time_box_minutes=room.time_box_minutes,
            )
            Attendance.objects.bulk_create(
                Attendance(
                    meeting=meeting,
                    person=person,
                    status=AttendanceStatus.PRESENT
                    if starter is not None and person.user_id == starter
                    else AttendanceStatus.ABSENT,
                )
                for person in members
            )
            AgendaItem.objects.bulk_create(
                AgendaItem(
                    meeting=meeting,
                    order=order,
                    kind=item.kind,
                    title=item.title,
                    indicator=item.indicator,
                    problem=item.problem,
                    escalation=item.escalation,
                    action=item.action,
                    recognition=item.recognition,
                    allotted_seconds=item.allotted_seconds,
                    if_time_allows=item.if_time_allows,
                )
                for order, item in enumerate(planned, start=1)
            )
    except IntegrityError:
        # Where the row lock is not enough (a database without SELECT ... FOR UPDATE), the
        # one-open-meeting constraint refuses the second meeting: join the first.
        return Meeting.objects.open().get(room=room), False
    return meeting, True


def do_record_attendance(
    meeting: Meeting, *, present: Collection[int], excused: Collection[int], user: object
) -> None:
    """Mark who is present or excused (person ids); everyone else on the list is absent.
    Ticked both present and excused, a person came after all: present."""
    with transaction.atomic():
        _lock_open(meeting)
        rows = list(meeting.attendances.all())
        for row in rows:
            if row.person_id in present:
                row.status = AttendanceStatus.PRESENT
            elif row.person_id in excused:
                row.status = AttendanceStatus.EXCUSED
            else:
                row.status = AttendanceStatus.ABSENT
        Attendance.objects.bulk_update(rows, ["status"])


def do_set_presenter(item: AgendaItem, presenter: Person | None, *, user: object) -> AgendaItem:
    """Say who presents an agenda item: anyone on the meeting's list, whatever their role
    (presenting spreads leadership beyond the managers)."""
    with transaction.atomic():
        meeting = _lock_open(item.meeting)
        if presenter is not None and not meeting.attendances.filter(person=presenter).exists():
            raise InvalidStep(_("The presenter is one of the people on the meeting's list."))
        AgendaItem.objects.filter(pk=item.pk).update(presenter=presenter)
    item.presenter = presenter
    return item


def do_set_roles(
    meeting: Meeting,
    *,
    facilitator: Person | None,
    secretary: Person | None,
    timekeeper: Person | None,
    user: object,
) -> Meeting:
    """Give the caucus roles, each to one of the people on the meeting's list (or nobody)."""
    listed = set(meeting.attendances.values_list("person_id", flat=True))
    chosen = [p for p in (facilitator, secretary, timekeeper) if p is not None]
    if any(p.pk not in listed for p in chosen):
        raise InvalidStep(_("The roles go to members of the room."))
    with transaction.atomic():
        locked = _lock_open(meeting)
        locked.facilitator, locked.secretary, locked.timekeeper = facilitator, secretary, timekeeper
        locked.save(update_fields=["facilitator", "secretary", "timekeeper"])
    return locked


def _end_current(meeting: Meeting, now: datetime.datetime, outcome: str = "") -> None:
    current = meeting.current_item()
    if current is not None:
        current.ended_at = now
        if outcome.strip():
            current.outcome = outcome.strip()
        current.save(update_fields=["ended_at", "outcome"])


def do_next_item(
    meeting: Meeting,
    *,
    current: int | None,
    outcome: str = "",
    user: object,
    now: datetime.datetime | None = None,
) -> AgendaItem | None:
    """End the item under discussion (with its outcome note) and start the next one not yet
    discussed (after it in the agenda, else the first skipped one). `current` is the item
    the person pressing "Next item" saw as current (None: the agenda has not started).

    Two people pressing "Next item" at once (the facilitator at the board, the time-keeper on
    a phone) would each end an item and skip one. The meeting row is locked, and each press
    names the item it meant to end: the second press finds that item already ended and does
    nothing. Returns the item now under discussion (None when the agenda is done).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_open(meeting)
        active = locked.current_item()
        if (active.pk if active else None) != current:
            return active  # someone else moved on first
        _end_current(locked, now, outcome)
        waiting = locked.items.filter(started_at__isnull=True).order_by("order")
        following = waiting.filter(order__gt=active.order) if active else waiting
        upcoming = following.first() or waiting.first()
        if upcoming is not None:
            upcoming.started_at = now
            upcoming.save(update_fields=["started_at"])
    return upcoming


def do_start_item(
    meeting: Meeting, item: AgendaItem, *, user: object, now: datetime.datetime | None = None
) -> AgendaItem:
    """Take an item out of order (one not discussed yet), ending the one under discussion.
    Same race and same lock as `do_next_item`: of two people choosing, the last one wins,
    and no two items are ever under discussion together."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_open(meeting)
        chosen = locked.items.get(pk=item.pk)
        if chosen.started_at is not None:
            raise InvalidStep(_("This item has already been discussed."))
        _end_current(locked, now)
        chosen.started_at = now
        chosen.save(update_fields=["started_at"])
    return chosen


def do_record_decision(
    meeting: Meeting,
    text: str,
    *,
    agree: int,
    can_live_with: int,
    cannot_live_with: int,
    user: object,
    item: AgendaItem | None = None,
    escalation_decision: str = "",
) -> MeetingDecision:
    """Record a decision with its consensus check, on the given item or the current one.

    On an escalation received, `escalation_decision` (solved, refused, analysis requested)
    also records it as the room's decision on the escalation (rooms' `do_decide`), so it
    goes back down to the room that sent it; the caller checks that the user leads the room.
    """
    if not text.strip():
        raise InvalidStep(_("Write the decision."))
    with transaction.atomic():
        locked = _lock_open(meeting)
        item = item if item is not None else locked.current_item()
        decision = MeetingDecision.objects.create(
            meeting=locked,
            item=item,
            text=text.strip(),
            decided_by=_user_or_none(user),
            agree=agree,
            can_live_with=can_live_with,
            cannot_live_with=cannot_live_with,
        )
        if escalation_decision:
            if (
                item is None
                or item.kind != AgendaItemKind.ESCALATION_RECEIVED
                or not item.escalation
            ):
                raise InvalidStep(_("Only an escalation received can be decided here."))
            do_decide(item.escalation, escalation_decision, text.strip(), user=user)
    return decision


def do_capture_action(
    meeting: Meeting,
    title: str,
    *,
    owner: Person | None,
    due: datetime.date | None,
    user: object,
    item: AgendaItem | None = None,
) -> Action:
    """Put a new action on the room's plan from the meeting, linked to what the item is about
    (its problem of this room, its indicator) and to the strategic priority they serve. A new
    problem that gets an action moves on to "action under way" on the board."""
    if not title.strip():
        raise InvalidStep(_("Say what the action is."))
    with transaction.atomic():
        locked = _lock_open(meeting)
        item = item if item is not None else locked.current_item()
        problem = item.problem if item is not None and item.problem_id else None
        if problem is not None and problem.room_id != locked.room_id:
            problem = None  # a problem of another room (an escalation's) stays there
        indicator = item.indicator if item is not None and item.indicator_id else None
        indicator = indicator or (problem.indicator if problem else None)
        priority = (problem.priority if problem else None) or (
            indicator.priority if indicator else None
        )
        action = Action.objects.create(
            room=locked.room,
            title=title.strip(),
            owner=owner,
            due=due,
            problem=problem,
            indicator=indicator,
            priority=priority,
            created_by=_user_or_none(user),
        )
        MeetingAction.objects.create(meeting=locked, action=action, item=item)
        if problem is not None:
            Problem.objects.filter(
                pk=problem.pk, status__in=[ProblemStatus.NEW, ProblemStatus.ANALYSING]
            ).update(status=ProblemStatus.ACTION, version=F("version") + 1)
    return action


def do_end_meeting(
    meeting: Meeting, *, user: object, now: datetime.datetime | None = None
) -> Meeting:
    """End the meeting (and the item under discussion). Every escalation received that was
    on its agenda and still awaits a decision (not decided, not forwarded further up) counts
    one more meeting without a decision.

    Two people pressing "End" at once would count those meetings twice: the meeting row is
    locked and the second press finds it ended and changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.ended_at is not None:
            return locked
        _end_current(locked, now)
        locked.ended_at = now
        locked.save(update_fields=["ended_at"])
        on_agenda = locked.items.filter(
            kind=AgendaItemKind.ESCALATION_RECEIVED, escalation__isnull=False
        ).values("escalation_id")
        # Forwarded further up is an answer (decision 13): the room above owes the next one.
        Escalation.objects.filter(pk__in=on_agenda, state=EscalationState.SENT).exclude(
            decision=DecisionKind.ESCALATED
        ).update(meetings_without_decision=F("meetings_without_decision") + 1)
    return locked
