"""Starting, running and ending a huddle, step by step (no HTTP)."""

import datetime

import pytest
from django.utils import timezone

from pilotage.meetings.actions import (
    InvalidStep,
    MeetingClosed,
    do_capture_action,
    do_end_meeting,
    do_next_item,
    do_record_attendance,
    do_record_decision,
    do_set_roles,
    do_start_item,
    do_start_meeting,
)
from pilotage.meetings.models import AgendaItemKind, AttendanceStatus, Meeting, MeetingAction
from pilotage.meetings.tests.conftest import person
from pilotage.rooms.actions import do_decide, do_escalate
from pilotage.rooms.models import DecisionKind, EscalationState, Problem, ProblemStatus


def test_starting_lists_the_members_snapshots_the_agenda_and_copies_the_time_box(
    board, alice, bob, diana, charlie
):
    meeting, created = do_start_meeting(board["room"], user=diana)
    assert created and meeting.time_box_minutes == 30 and meeting.is_open
    statuses = {a.person.user: a.status for a in meeting.attendances.select_related("person")}
    # The youth room's members: the director and the managers of the units below (alice);
    # bob meets in his team's room, and charlie is elsewhere.
    assert statuses == {
        diana: AttendanceStatus.PRESENT,
        alice: AttendanceStatus.ABSENT,
    }
    assert [i.order for i in meeting.items.all()] == [1, 2, 3, 4, 5, 6, 7]
    assert meeting.current_item() is None


def test_a_trajectory_room_lists_the_members_of_its_teams(rooms, alice, bob, charlie, diana):
    meeting, _ = do_start_meeting(rooms["trajectory"], user=alice)
    people = {a.person.user for a in meeting.attendances.select_related("person")}
    assert people == {alice, bob, charlie}  # diana's unit anchors the room, it is no team


def test_starting_while_a_huddle_is_open_joins_it(board, alice, diana):
    first, created = do_start_meeting(board["room"], user=diana)
    again, created_again = do_start_meeting(board["room"], user=alice)
    assert created and not created_again and again == first
    assert Meeting.objects.count() == 1


def test_attendance_and_roles(board, alice, bob, diana, charlie):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    do_record_attendance(meeting, present=set(), excused={person(alice).pk}, user=diana)
    statuses = {a.person.user: a.status for a in meeting.attendances.select_related("person")}
    assert statuses[alice] == "excused" and statuses[diana] == "absent"
    assert bob not in statuses
    do_set_roles(
        meeting, facilitator=person(diana), secretary=person(alice), timekeeper=None, user=diana
    )
    meeting.refresh_from_db()
    assert meeting.facilitator == person(diana) and meeting.secretary == person(alice)
    with pytest.raises(InvalidStep):
        do_set_roles(
            meeting, facilitator=person(charlie), secretary=None, timekeeper=None, user=diana
        )


def test_next_item_moves_one_step_even_when_two_people_press_it(board, diana, alice):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    first = do_next_item(meeting, current=None, user=diana)
    assert first.order == 1 and meeting.current_item() == first
    # Both saw item 1 as current and pressed "Next item": only one step is taken.
    second = do_next_item(meeting, current=first.pk, outcome="Problem raised", user=diana)
    still_second = do_next_item(meeting, current=first.pk, user=alice)
    assert second.order == 2 and still_second == second
    first.refresh_from_db()
    assert first.ended_at is not None and first.outcome == "Problem raised"
    assert meeting.items.filter(started_at__isnull=False, ended_at__isnull=True).count() == 1


def test_taking_an_item_out_of_order_then_next_goes_back_to_the_skipped_ones(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    items = list(meeting.items.all())
    do_next_item(meeting, current=None, user=diana)
    do_start_item(meeting, items[6], user=diana)
    assert meeting.current_item() == items[6]
    following = do_next_item(meeting, current=items[6].pk, user=diana)
    assert following == items[1]  # nothing after the last item: the first one skipped
    with pytest.raises(InvalidStep):
        do_start_item(meeting, items[0], user=diana)  # already discussed


def test_a_decision_with_its_consensus_check_on_the_current_item(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    item = do_next_item(meeting, current=None, user=diana)
    decision = do_record_decision(
        meeting, "Open a second line", agree=3, can_live_with=1, cannot_live_with=0, user=diana
    )
    assert decision.item == item and decision.reached and decision.decided_by == diana
    with pytest.raises(InvalidStep):
        do_record_decision(meeting, "  ", agree=0, can_live_with=0, cannot_live_with=0, user=diana)


def test_a_huddle_can_decide_an_escalation_it_received(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    item = meeting.items.get(kind=AgendaItemKind.ESCALATION_RECEIVED)
    do_start_item(meeting, item, user=diana)
    do_record_decision(
        meeting,
        "Two workers lent for a month",
        agree=4,
        can_live_with=0,
        cannot_live_with=0,
        user=diana,
        escalation_decision=DecisionKind.SOLVED,
    )
    board["received"].refresh_from_db()
    assert board["received"].state == EscalationState.DECIDED
    assert board["received"].decision_text == "Two workers lent for a month"


def test_a_captured_action_is_a_real_action_of_the_room_linked_to_the_item(board, diana, bob):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    item = meeting.items.get(kind=AgendaItemKind.NEW_PROBLEM)
    do_start_item(meeting, item, user=diana)
    due = timezone.localdate() + datetime.timedelta(days=7)
    action = do_capture_action(meeting, "Add a phone line", owner=person(bob), due=due, user=diana)
    assert action.room == board["room"] and action.owner == person(bob) and action.due == due
    assert action.problem == board["new_problem"] and action.created_by == diana
    assert MeetingAction.objects.get(action=action).item == item
    board["new_problem"].refresh_from_db()
    assert board["new_problem"].status == ProblemStatus.ACTION


def test_an_action_on_a_signal_carries_the_indicator_and_its_priority(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    do_next_item(meeting, current=None, user=diana)  # the waiting-list signal
    action = do_capture_action(meeting, "Triage the list", owner=None, due=None, user=diana)
    assert action.indicator == board["waiting"] and action.priority.code == "access"
    assert action.problem is None


def test_ending_counts_a_meeting_without_decision_for_each_escalation_waiting(
    board, rooms, alice, diana
):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    do_end_meeting(meeting, user=diana)
    do_end_meeting(meeting, user=alice)  # pressed twice: counted once
    board["received"].refresh_from_db()
    assert board["received"].meetings_without_decision == 1

    second, _ = do_start_meeting(board["room"], user=diana)
    do_end_meeting(second, user=diana)
    board["received"].refresh_from_db()
    assert board["received"].meetings_without_decision == 2

    # Decided during the next meeting: no longer counted.
    third, _ = do_start_meeting(board["room"], user=diana)
    do_decide(board["received"], DecisionKind.ANALYSIS, "Measure first", user=diana)
    do_end_meeting(third, user=diana)
    board["received"].refresh_from_db()
    assert board["received"].meetings_without_decision == 2


def test_an_escalation_not_on_the_agenda_is_not_counted(board, diana, alice, rooms):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    # Sent after the agenda was made: the meeting never saw it.
    problem = Problem.objects.create(room=rooms["screening"], title="Late")
    late = do_escalate(problem, board["room"], "Late", user=alice)
    do_end_meeting(meeting, user=diana)
    late.refresh_from_db()
    assert late.meetings_without_decision == 0


def test_nothing_is_recorded_in_an_ended_meeting(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    current = do_next_item(meeting, current=None, user=diana)
    do_end_meeting(meeting, user=diana)
    current.refresh_from_db()
    assert current.ended_at == Meeting.objects.get(pk=meeting.pk).ended_at
    with pytest.raises(MeetingClosed):
        do_next_item(meeting, current=None, user=diana)
    with pytest.raises(MeetingClosed):
        do_capture_action(meeting, "Too late", owner=None, due=None, user=diana)


def test_an_escalation_forwarded_further_up_is_not_left_without_decision(board, rooms, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    do_escalate(
        board["received"].problem,
        rooms["exec"],
        "Needs the executive",
        user=diana,
        parent=board["received"],
    )
    do_end_meeting(meeting, user=diana)
    board["received"].refresh_from_db()
    assert board["received"].meetings_without_decision == 0
