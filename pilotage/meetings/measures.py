"""The room's meeting measures: duration, attendance, decisions and actions of each meeting,
and the meetings that decided nothing (a board turning into a reporting ritual)."""

import datetime
from dataclasses import dataclass

from pilotage.meetings.models import Meeting
from pilotage.rooms.models import Room


@dataclass(frozen=True)
class MeetingMeasure:
    meeting: Meeting
    present: int
    expected: int
    decisions: int
    actions: int

    @property
    def duration(self) -> datetime.timedelta | None:
        return self.meeting.duration()

    @property
    def over_time_box(self) -> bool:
        return self.duration is not None and self.duration > self.meeting.time_box

    @property
    def attendance_rate(self) -> float | None:
        """Share of the room's members present (excused count as not present)."""
        return self.present / self.expected if self.expected else None

    @property
    def without_decision_or_action(self) -> bool:
        """An ended meeting that took no decision and put no action on the plan."""
        return not self.meeting.is_open and self.decisions == 0 and self.actions == 0


@dataclass(frozen=True)
class Summary:
    held: int
    mean_duration: datetime.timedelta | None
    mean_attendance: float | None
    without_decision_or_action: int


def room_measures(room: Room) -> list[MeetingMeasure]:
    """The room's meetings, newest first, with their measures (one query)."""
    return [
        MeetingMeasure(m, m.n_present, m.n_expected, m.n_decisions, m.n_actions)
        for m in Meeting.objects.filter(room=room).with_measures().order_by("-started_at")
    ]


def summarise(measures: list[MeetingMeasure]) -> Summary:
    ended = [m for m in measures if not m.meeting.is_open]
    durations = [m.duration for m in ended if m.duration is not None]
    rates = [m.attendance_rate for m in ended if m.attendance_rate is not None]
    return Summary(
        held=len(ended),
        mean_duration=sum(durations, datetime.timedelta()) / len(durations) if durations else None,
        mean_attendance=sum(rates) / len(rates) if rates else None,
        without_decision_or_action=sum(m.without_decision_or_action for m in ended),
    )
