"""The board page: its zones in the template's order, the escalations zone, partials that a
read-only screen can reuse, and a number of queries that does not grow with the cards."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from pilotage.indicators.models import Indicator, Priority, Target, Value
from pilotage.rooms import board
from pilotage.rooms.actions import do_escalate
from pilotage.rooms.models import (
    Action,
    Experiment,
    Kata,
    Problem,
    Recognition,
    Zone,
)

MONDAY = datetime.date(2024, 1, 1)
ALL_ZONES = [
    {"zone": "priorities", "limit": 5},
    {"zone": "indicators", "limit": 8},
    {"zone": "problems", "limit": 0},
    {"zone": "actions", "limit": 0},
    {"zone": "escalations", "limit": 0},
    {"zone": "recognition", "limit": 0},
    {"zone": "kata", "limit": 0},
]
#: The board's queries, whatever the number of cards: the session and user, the room and
#: the user's scope, membership and leadership, then a few per zone (see board.py).
MAX_QUERIES = 35


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def english(alice, bob, diana):
    for user in (alice, bob, diana):
        user.language = "en"
        user.save(update_fields=["language"])


@pytest.fixture
def full_room(rooms, org):
    """Screening's room with every zone, a priority and two indicators with values."""
    room = rooms["screening"]
    room.zones = ALL_ZONES
    room.save()
    priority = Priority.objects.create(
        unit=org["youth"], code="access", title_en="Timely access", title_fr="Accès rapide"
    )
    for code, values in (("delay", [16, 17, 15, 16, 18, 40]), ("waiting", [5, 6, 5, 7, 6, 5])):
        indicator = Indicator.objects.create(
            code=code, name_en=code.title(), name_fr=code.title(), dimension="accessibility",
            kind="mean", direction="decrease", frequency="weekly", owner_unit=org["youth"],
            source="entered", priority=priority,
        )  # fmt: skip
        Target.objects.create(indicator=indicator, value=12, effective_from=MONDAY)
        Value.objects.bulk_create(
            Value(
                indicator=indicator,
                unit=org["screening"],
                value=v,
                source="entered",
                period=MONDAY + datetime.timedelta(weeks=i),
            )  # fmt: skip
            for i, v in enumerate(values)
        )
    return room


def make_cards(room, n, people, user):
    priority = Priority.objects.first()
    indicator = Indicator.objects.first()
    kata = Kata.objects.filter(room=room).first() or Kata.objects.create(
        room=room, target_state="Same-day triage", priority=priority
    )
    for i in range(n):
        problem = Problem.objects.create(
            room=room, title=f"Problem {i}", priority=priority if i % 2 else None,
            indicator=indicator, created_by=user,
        )  # fmt: skip
        action = Action.objects.create(
            room=room, title=f"Action {i}", owner=people[i % len(people)], problem=problem,
            indicator=indicator, priority=priority, due=MONDAY,
        )  # fmt: skip
        recognition = Recognition.objects.create(room=room, text=f"Thanks {i}", action=action,
                                                 indicator=indicator, given_by=user)  # fmt: skip
        recognition.people.set(people)
        Experiment.objects.create(kata=kata, step=f"Step {i}")
        if i % 3 == 0:
            do_escalate(problem, room.parent_room(), "Beyond our authority", user=user)


def count_queries(client, room):
    with CaptureQueriesContext(connection) as queries:
        with translation.override("en"):
            response = client.get(reverse("room_board", args=[room.code]))
    assert response.status_code == 200
    return len(queries), response.text


def test_the_number_of_queries_does_not_grow_with_the_cards(
    client_for, full_room, alice, bob, english, django_assert_max_num_queries
):
    client = client_for(alice)
    people = [alice.person, bob.person]
    make_cards(full_room, 3, people, bob)
    with django_assert_max_num_queries(MAX_QUERIES):
        few, text = count_queries(client, full_room)
    assert text.count('class="item item--problem"') == 3
    make_cards(full_room, 27, people, bob)
    with django_assert_max_num_queries(MAX_QUERIES):
        many, text = count_queries(client, full_room)
    assert text.count('class="item item--problem"') == 30
    assert text.count("Thanks ") == 30
    assert many == few


def test_the_zones_come_in_the_rooms_order(client_for, full_room, bob, english):
    full_room.zones = list(reversed(ALL_ZONES))
    full_room.save()
    with translation.override("en"):
        text = client_for(bob).get(reverse("room_board", args=["screening-room"])).text
    positions = [text.index(f'id="zone-{z["zone"]}-title"') for z in reversed(ALL_ZONES)]
    assert positions == sorted(positions)
    assert "Strategic priorities (true north)" in text and "Improvement kata" in text


def test_the_escalations_zone_shows_sent_and_received(client_for, full_room, rooms, bob, diana,
                                                      english):  # fmt: skip
    problem = Problem.objects.create(room=full_room, title="Needs the direction", created_by=bob)
    do_escalate(problem, rooms["youth"], "Beyond our authority", user=bob)
    with translation.override("en"):
        sent = client_for(bob).get(reverse("room_board", args=["screening-room"])).text
        received = client_for(diana).get(reverse("room_board", args=["youth-room"])).text
    assert "Needs the direction" in sent and "Sent to other rooms" in sent
    assert "Needs the direction" in received
    # On the kanban, the problem sits in the escalated column.
    assert sent.index(">Escalated</span>") < sent.index("Needs the direction")


def test_the_board_header_says_cadence_time_box_and_where_it_escalates(
    client_for, rooms, bob, english
):
    with translation.override("en"):
        text = client_for(bob).get(reverse("room_board", args=["screening-room"])).text
    assert "Weekly" in text and "30 minutes" in text
    assert reverse("room_board", args=["youth-room"]) in text


def test_a_trajectory_board_lists_its_teams(client_for, rooms, charlie):
    charlie.language = "en"
    charlie.save()
    with translation.override("en"):
        text = client_for(charlie).get(reverse("room_board", args=["trajectory-room"])).text
    assert "Teams of the trajectory:" in text
    assert "Screening" in text and "School liaison" in text


@pytest.mark.parametrize("zone", sorted(board.DRAWN - {Zone.ESCALATIONS}))
def test_the_zone_partials_draw_no_form_or_button_when_read_only(
    full_room, bob, zone, rf
):  # fmt: skip
    make_cards(full_room, 2, [bob.person], bob)
    Problem.objects.create(room=full_room, title="Spiking", indicator=Indicator.objects.first())
    view = board.build_zone(full_room, zone)
    request = rf.get("/")
    request.user = bob
    context = {"zone": view, "room": full_room, "readonly": True, "request": request}
    with translation.override("en"):
        html = render_to_string(view.template, context)
        editable = render_to_string(view.template, {**context, "readonly": False})
    assert "<form" not in html and "<button" not in html
    assert "/new/" not in html
    if zone in {Zone.PROBLEMS, Zone.ACTIONS, Zone.RECOGNITION, Zone.KATA}:
        assert "/new/" in editable
