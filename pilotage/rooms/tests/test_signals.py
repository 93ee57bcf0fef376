"""Signals drive the board: a tile in concern or consistently failing is flagged "red without
action" until an open problem or action answers it, and offers to raise a problem in one
click."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from pilotage.indicators.models import Indicator, Priority, Target, Value
from pilotage.rooms.models import Action, ActionStatus, Problem, ProblemStatus

MONDAY = datetime.date(2024, 1, 1)
STEADY = [16, 17, 15, 16, 18, 16, 15, 17, 16, 17, 15, 16, 17, 18, 16, 15, 16, 17, 16, 15]


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def priority(org):
    return Priority.objects.create(
        unit=org["youth"], code="access", title_en="Timely access", title_fr="Accès rapide"
    )


def indicator(org, code, name, priority=None, direction="decrease"):
    return Indicator.objects.create(
        code=code,
        name_en=name,
        name_fr=name,
        dimension="accessibility",
        kind="mean",
        direction=direction,
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        priority=priority,
        measure_unit_en="days",
        measure_unit_fr="jours",
    )


def add_values(ind, unit, values):
    Value.objects.bulk_create(
        Value(
            indicator=ind,
            unit=unit,
            period=MONDAY + datetime.timedelta(weeks=i),
            value=v,
            source="entered",
        )
        for i, v in enumerate(values)
    )


@pytest.fixture
def spiking(org, priority):
    """Delay to evaluation at screening: 20 steady weeks, then a spike above the upper limit
    (lower is better, so a special cause of concern)."""
    ind = indicator(org, "eval-delay", "Delay to evaluation", priority)
    add_values(ind, org["screening"], [*STEADY, 40])
    return ind


@pytest.fixture
def failing(org):
    """Waiting time: steady around 16 days against a target of at most 5: consistently
    missed. Linked to no priority."""
    ind = indicator(org, "wait-time", "Waiting time")
    Target.objects.create(indicator=ind, value=5, effective_from=MONDAY)
    add_values(ind, org["screening"], STEADY)
    return ind


@pytest.fixture
def calm(org, priority):
    ind = indicator(org, "calm", "Calm measure", priority)
    add_values(ind, org["screening"], STEADY)
    return ind


def board(client, room):
    with translation.override("en"):
        response = client.get(reverse("room_board", args=[room.code]))
    assert response.status_code == 200
    return response.text


def test_a_concern_is_flagged_red_without_action_until_a_problem_answers_it(
    client_for, bob, rooms, spiking, calm
):
    client = client_for(english(bob))
    text = board(client, rooms["screening"])
    assert "Red without action" in text
    assert "1 indicator shows a signal that no open problem or action answers" in text
    assert text.count('class="tile tile--signal tile--red"') == 1
    raise_url = reverse("problem_from_signal", args=["screening-room", "eval-delay"])
    assert raise_url in text
    assert reverse("problem_from_signal", args=["screening-room", "calm"]) not in text

    Problem.objects.create(room=rooms["screening"], title="Why the spike?", indicator=spiking)
    text = board(client, rooms["screening"])
    assert "Red without action" not in text
    assert "1 open problem or action" in text


def test_a_solved_problem_does_not_clear_the_flag_but_an_open_action_does(
    client_for, bob, rooms, failing
):
    client = client_for(english(bob))
    Problem.objects.create(
        room=rooms["screening"], title="Old", indicator=failing, status=ProblemStatus.SOLVED
    )
    assert "Red without action" in board(client, rooms["screening"])
    # Nor does an open problem of another room.
    Problem.objects.create(room=rooms["youth"], title="Elsewhere", indicator=failing)
    assert "Red without action" in board(client, rooms["screening"])
    Action.objects.create(
        room=rooms["screening"], title="Add a triage slot", indicator=failing,
        status=ActionStatus.DOING,
    )  # fmt: skip
    assert "Red without action" not in board(client, rooms["screening"])


def test_one_click_raises_a_problem_linked_to_the_indicator_and_its_priority(
    client_for, bob, rooms, spiking, priority
):
    client = client_for(english(bob))
    with translation.override("en"):
        response = client.post(
            reverse("problem_from_signal", args=["screening-room", "eval-delay"])
        )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("problem_edit", args=["screening-room", problem.pk])
    assert problem.title == "Special cause of concern on Delay to evaluation"
    assert problem.indicator == spiking and problem.priority == priority
    assert problem.room == rooms["screening"] and problem.created_by == bob
    assert problem.status == ProblemStatus.NEW
    assert "Red without action" not in board(client, rooms["screening"])


def test_a_failing_assurance_raises_a_problem_titled_so(client_for, alice, rooms, failing):
    client_for(english(alice)).post(
        reverse("problem_from_signal", args=["screening-room", "wait-time"])
    )
    problem = Problem.objects.get()
    assert problem.title == "Target consistently missed on Waiting time"
    assert problem.priority is None


def test_raising_from_a_signal_is_for_the_rooms_members_only(
    client_for, charlie, rooms, spiking, org, django_user_model
):
    url = reverse("problem_from_signal", args=["screening-room", "eval-delay"])
    assert client_for(charlie).post(url).status_code == 404
    assert client_for(charlie).get(url).status_code == 405
    # An indicator that does not apply to the room's unit is a 404 too.
    other = Indicator.objects.create(
        code="school-only", name_en="School", name_fr="École", dimension="other",
        kind="count", direction="decrease", frequency="weekly", owner_unit=org["school"],
        source="entered",
    )  # fmt: skip
    assert other.pk
    url = reverse("problem_from_signal", args=["school-room", "school-only"])
    assert client_for(charlie).post(url).status_code == 302
    assert not Problem.objects.filter(room=rooms["screening"]).exists()


def test_the_tile_shows_value_target_icons_sparkline_and_priority(
    client_for, bob, rooms, failing, spiking
):
    text = board(client_for(english(bob)), rooms["screening"])
    assert "Waiting time" in text and "15.0\N{NO-BREAK SPACE}days" in text
    assert "at most 5.0\N{NO-BREAK SPACE}days" in text
    assert "Target consistently missed" in text  # assurance, in words
    assert "Concern (high values)" in text  # the spike's variation, in words
    assert reverse("indicator_detail", args=["wait-time", "screening"]) in text
    assert reverse("room_sparkline", args=["screening-room", "wait-time"]) + "?v=" in text
    assert "Timely access" in text and "No priority" in text


def test_the_sparkline_is_served_to_those_who_see_the_room(client_for, bob, charlie, rooms, calm):
    url = reverse("room_sparkline", args=["screening-room", "calm"])
    response = client_for(bob).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    etag = response["ETag"]
    key = etag.strip('"')
    cached = client_for(bob).get(f"{url}?v={key}")
    assert "immutable" in cached["Cache-Control"]
    assert client_for(bob).get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client_for(charlie).get(url).status_code == 404


def test_a_capped_indicator_zone_keeps_the_signals_first(
    client_for, bob, rooms, calm, failing, spiking
):
    room = rooms["screening"]
    room.zones = [{"zone": "indicators", "limit": 1}]
    room.save()
    text = board(client_for(english(bob)), room)
    assert text.count('<li class="tile') == 1
    assert "Calm measure" not in text
    assert "and 2 more" in text
    assert reverse("unit_indicators", args=["screening"]) in text
