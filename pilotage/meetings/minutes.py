"""What the minutes of a meeting say, gathered once for the page and the PDF alike."""

from dataclasses import dataclass

from pilotage.meetings.models import (
    AgendaItem,
    AttendanceStatus,
    Meeting,
    MeetingAction,
    MeetingDecision,
)
from pilotage.organisation.models import Person


@dataclass(frozen=True)
class Minutes:
    """Who was there, in which role, what was covered in how long, decided and to be done,
    and what was not reached."""

    meeting: Meeting
    present: list[Person]
    excused: list[Person]
    absent: list[Person]
    covered: list[AgendaItem]
    not_reached: list[AgendaItem]
    decisions: list[MeetingDecision]
    actions: list[MeetingAction]

    @property
    def without_decision_or_action(self) -> bool:
        return not self.decisions and not self.actions


def minutes_of(meeting: Meeting) -> Minutes:
    attendances = list(meeting.attendances.select_related("person"))
    items = list(
        meeting.items.select_related(
            "indicator", "escalation__from_room", "escalation__to_room", "action__owner"
        )
    )

    def people(status: str) -> list[Person]:
        return [a.person for a in attendances if a.status == status]

    return Minutes(
        meeting=meeting,
        present=people(AttendanceStatus.PRESENT),
        excused=people(AttendanceStatus.EXCUSED),
        absent=people(AttendanceStatus.ABSENT),
        covered=[i for i in items if i.reached],
        not_reached=[i for i in items if not i.reached],
        decisions=list(meeting.decisions.select_related("item__indicator")),
        actions=list(meeting.captured_actions.select_related("action__owner", "item__indicator")),
    )
