"""The agenda generated from the board: the issue's order and the time rule."""

import datetime

import pytest
from django.utils import timezone

from pilotage.meetings.actions import do_end_meeting, do_start_meeting
from pilotage.meetings.agenda import MINIMUM_SECONDS, allot, plan_agenda
from pilotage.meetings.models import AgendaItemKind
from pilotage.rooms.models import Recognition, Room


def test_the_agenda_follows_the_issues_order(board):
    items = plan_agenda(board["room"])
    assert [(i.kind, i.title) for i in items] == [
        (AgendaItemKind.SIGNAL, "Waiting list"),
        (AgendaItemKind.FAILING_ASSURANCE, "Delay to evaluation"),
        (AgendaItemKind.NEW_PROBLEM, "Phones ring unanswered"),
        (AgendaItemKind.ESCALATION_RECEIVED, "Reports wait for a free worker"),
        (AgendaItemKind.DECISION_RECEIVED, "No budget for overtime"),
        (AgendaItemKind.OVERDUE_ACTION, "Call the school board"),
        (AgendaItemKind.RECOGNITION, "Thanks to the night team"),
    ]
    assert items[0].indicator == board["waiting"] and items[1].indicator == board["delay"]
    assert items[3].escalation == board["received"] and items[4].escalation == board["decided"]
    assert items[5].action == board["overdue"]
    assert items[6].recognition == board["recognition"]


def test_the_agenda_fits_the_time_box(board):
    items = plan_agenda(board["room"])  # 30 minutes, two indicator items and five others
    assert not any(i.if_time_allows for i in items)
    assert sum(i.allotted_seconds for i in items) == 30 * 60
    assert [i.allotted_seconds for i in items] == [400, 400, 200, 200, 200, 200, 200]


def test_a_short_box_keeps_the_first_items_and_lists_the_rest_if_time_allows(board):
    Room.objects.filter(pk=board["room"].pk).update(time_box_minutes=5)
    board["room"].refresh_from_db()
    items = plan_agenda(board["room"])
    inside = [i for i in items if not i.if_time_allows]
    assert [i.kind for i in inside] == [
        AgendaItemKind.SIGNAL,
        AgendaItemKind.FAILING_ASSURANCE,
        AgendaItemKind.NEW_PROBLEM,
    ]
    assert sum(i.allotted_seconds for i in inside) <= 5 * 60
    assert all(i.allotted_seconds == MINIMUM_SECONDS for i in items[3:])


@pytest.mark.parametrize(
    ("weights", "box", "expected"),
    [
        ([], 600, []),
        ([1, 1, 1], 600, [(200, False)] * 3),
        ([2, 1], 600, [(400, False), (200, False)]),
        ([1, 1, 1], 100, [(100, False), (60, True), (60, True)]),
        ([2, 1, 1], 61, [(120, True), (60, True), (60, True)]),
        ([1] * 11, 600, [(60, False)] * 10 + [(60, True)]),
        ([1, 1, 1], 1000, [(333, False)] * 3),
    ],
)
def test_allot(weights, box, expected):
    assert allot(weights, box) == expected


def test_every_fitting_item_gets_at_least_its_floor_and_the_box_is_never_exceeded():
    for n in range(0, 40):
        for box in (300, 600, 900, 1800):
            weights = [2] * (n // 3) + [1] * (n - n // 3)
            times = allot(weights, box)
            inside = [(s, w) for (s, beyond), w in zip(times, weights, strict=True) if not beyond]
            assert sum(s for s, _ in inside) <= box
            assert all(s >= w * MINIMUM_SECONDS for s, w in inside)


def test_recognition_counts_from_the_end_of_the_last_meeting(board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    do_end_meeting(meeting, user=diana)
    later = timezone.now() + datetime.timedelta(minutes=1)
    Recognition.objects.create(room=board["room"], text="Thanks again", given_at=later)
    items = plan_agenda(board["room"], now=later + datetime.timedelta(minutes=1))
    assert [i.title for i in items if i.kind == AgendaItemKind.RECOGNITION] == ["Thanks again"]
