"""The status-sheet meeting of a room: the agenda by exception, the time box per sheet, the
decisions captured into the sheets, and the minutes.

The agenda takes the latest sheet (by period, published or still a draft) of each active
project reviewed in the room, and orders it by exception: sheets asking for help first (help
needed written, or an escalation of it still open), then red, yellow, green and grey; within a
group, by project name.

Time per sheet: the room's time box is shared in proportion to a weight per group, help
needed and red 3, yellow 2, green 1 (in brief), grey 1, rounded down to the whole second; so a
red sheet gets three times a green one's time and the agenda never exceeds the time box.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotage.organisation.models import Person
from pilotage.projects.models import (
    RAG,
    Project,
    SheetDecision,
    SheetReviewItem,
    SheetReviewMeeting,
    StatusSheet,
)
from pilotage.rooms.models import EscalationState, Room

HELP = "help"
#: Agenda groups, in order of attention, with their words and time weight.
GROUPS = (HELP, RAG.RED, RAG.YELLOW, RAG.GREEN, RAG.GREY)
GROUP_WORDS = {
    HELP: _("Help needed"),
    RAG.RED: _("Off track"),
    RAG.YELLOW: _("At risk"),
    RAG.GREEN: _("On track (in brief)"),
    RAG.GREY: _("Not assessed"),
}
WEIGHTS = {HELP: 3, RAG.RED: 3, RAG.YELLOW: 2, RAG.GREEN: 1, RAG.GREY: 1}


def asks_for_help(sheet: StatusSheet) -> bool:
    escalation = sheet.help_escalation
    return bool(sheet.help_needed.strip()) or (
        escalation is not None and escalation.state != EscalationState.CLOSED
    )


def group_of(sheet: StatusSheet) -> str:
    return HELP if asks_for_help(sheet) else sheet.overall


@dataclass(frozen=True)
class AgendaEntry:
    sheet: StatusSheet
    group: str
    allotted_seconds: int

    @property
    def group_words(self) -> str:
        return str(GROUP_WORDS[self.group])


def latest_sheets(room: Room) -> list[StatusSheet]:
    """The latest sheet of each active project reviewed in the room."""
    projects = Project.objects.filter(room=room, is_active=True)
    sheets = (
        StatusSheet.objects.filter(project__in=projects)
        .select_related("project", "owner", "presenter", "help_escalation")
        .order_by("project_id", "-period_end")
    )
    latest: dict[int, StatusSheet] = {}
    for sheet in sheets:
        latest.setdefault(sheet.project_id, sheet)
    return list(latest.values())


def agenda(room: Room, time_box_minutes: int | None = None) -> list[AgendaEntry]:
    """The sheets to review, by exception, each with its share of the time box."""
    total = 60 * (room.time_box_minutes if time_box_minutes is None else time_box_minutes)
    sheets = sorted(
        latest_sheets(room), key=lambda s: (GROUPS.index(group_of(s)), s.project.name, s.pk)
    )
    weight_sum = sum(WEIGHTS[group_of(s)] for s in sheets) or 1
    return [AgendaEntry(s, group_of(s), total * WEIGHTS[group_of(s)] // weight_sum) for s in sheets]


def open_review(room: Room) -> SheetReviewMeeting | None:
    return SheetReviewMeeting.objects.filter(room=room, ended_at__isnull=True).first()


def do_start_review(room: Room, user: object) -> SheetReviewMeeting:
    """Start the room's status-sheet meeting (or return the one already open), its agenda
    frozen as items and the first sheet started."""
    with transaction.atomic():
        # Race: two members press "start" together; the room's row lock makes the second
        # find the first one's meeting instead of failing on the one-open constraint.
        Room.objects.select_for_update().get(pk=room.pk)
        meeting = open_review(room)
        if meeting is not None:
            return meeting
        now = timezone.now()
        meeting = SheetReviewMeeting.objects.create(
            room=room, started_at=now, started_by=user, time_box_minutes=room.time_box_minutes
        )
        SheetReviewItem.objects.bulk_create(
            SheetReviewItem(
                meeting=meeting,
                sheet=entry.sheet,
                order=i,
                allotted_seconds=entry.allotted_seconds,
                started_at=now if i == 0 else None,
            )
            for i, entry in enumerate(agenda(room, meeting.time_box_minutes))
        )
        return meeting


def current_item(meeting: SheetReviewMeeting) -> SheetReviewItem | None:
    return (
        meeting.items.filter(started_at__isnull=False, ended_at__isnull=True)
        .select_related("sheet__project")
        .first()
    )


def _lock(meeting: SheetReviewMeeting) -> SheetReviewMeeting:
    # Race: two members press "next" together; the meeting's row lock keeps it to one step.
    return SheetReviewMeeting.objects.select_for_update().get(pk=meeting.pk)


def do_next_sheet(meeting: SheetReviewMeeting, outcome: str = "") -> SheetReviewItem | None:
    """Close the sheet being presented (with its outcome note) and start the next one; the
    next item, or None at the end of the agenda."""
    with transaction.atomic():
        meeting = _lock(meeting)
        if not meeting.is_open:
            return None
        now = timezone.now()
        item = current_item(meeting)
        if item is not None:
            item.ended_at = now
            item.outcome = outcome.strip()
            item.save(update_fields=["ended_at", "outcome"])
        upcoming = meeting.items.filter(started_at__isnull=True).order_by("order").first()
        if upcoming is not None:
            upcoming.started_at = now
            upcoming.save(update_fields=["started_at"])
        return upcoming


def do_capture_decision(
    item: SheetReviewItem, text: str, decided_by: Person | None
) -> SheetDecision:
    """Record a decision taken in the meeting on the sheet being reviewed."""
    with transaction.atomic():
        return SheetDecision.objects.create(
            sheet=item.sheet, text=text.strip(), decided_by=decided_by, decided_at=timezone.now()
        )


def do_end_review(meeting: SheetReviewMeeting, outcome: str = "") -> SheetReviewMeeting:
    """End the meeting: the sheet being presented is closed; sheets never reached stay on the
    minutes as not reviewed."""
    with transaction.atomic():
        meeting = _lock(meeting)
        if not meeting.is_open:
            return meeting
        now = timezone.now()
        item = current_item(meeting)
        if item is not None:
            item.ended_at = now
            item.outcome = outcome.strip()
            item.save(update_fields=["ended_at", "outcome"])
        meeting.ended_at = now
        meeting.save(update_fields=["ended_at"])
        return meeting


@dataclass(frozen=True)
class MinutesEntry:
    item: SheetReviewItem
    group: str
    decisions: list[SheetDecision]

    @property
    def group_words(self) -> str:
        return str(GROUP_WORDS[self.group])


def minutes_of(meeting: SheetReviewMeeting) -> list[MinutesEntry]:
    """Each sheet of the agenda with the decisions taken on it during the meeting."""
    end = meeting.ended_at or timezone.now()
    items = meeting.items.select_related(
        "sheet__project", "sheet__owner", "sheet__presenter", "sheet__help_escalation"
    )
    decisions: dict[int, list[SheetDecision]] = {}
    for decision in SheetDecision.objects.filter(
        sheet__in=[i.sheet_id for i in items],
        decided_at__gte=meeting.started_at,
        decided_at__lte=end,
    ).select_related("decided_by"):
        decisions.setdefault(decision.sheet_id, []).append(decision)
    return [MinutesEntry(i, group_of(i.sheet), decisions.get(i.sheet_id, [])) for i in items]


def reviews_of(room: Room) -> QuerySet[SheetReviewMeeting]:
    return SheetReviewMeeting.objects.filter(room=room).order_by("-started_at")


def spent(meeting: SheetReviewMeeting) -> datetime.timedelta:
    return (meeting.ended_at or timezone.now()) - meeting.started_at
