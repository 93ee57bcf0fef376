"""The board's cards: problems (a kanban), actions, recognition, the kata; and two people
editing one card, where the second is told and loses nothing."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from pilotage.indicators.models import Priority
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    Experiment,
    Kata,
    Problem,
    ProblemStatus,
    Recognition,
)


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def signed_in(user):
    """A client of its own: two people at two screens."""
    client = Client()
    client.force_login(english(user))
    return client


@pytest.fixture
def priority(org):
    return Priority.objects.create(
        unit=org["youth"], code="access", title_en="Timely access", title_fr="Accès rapide"
    )


@pytest.fixture
def problem(rooms, bob):
    return Problem.objects.create(
        room=rooms["screening"], title="Reports wait for a free worker", created_by=bob
    )


@pytest.fixture
def kata_room(rooms):
    room = rooms["screening"]
    room.zones = [*room.zones, {"zone": "kata", "limit": 0}]
    room.save()
    return room


def get(client, url):
    with translation.override("en"):
        return client.get(url)


def post(client, url, data):
    with translation.override("en"):
        return client.post(url, data)


def problem_data(problem, **changes):
    data = {
        "title": problem.title,
        "description": problem.description,
        "status": problem.status,
        "priority": problem.priority_id or "",
        "indicator": problem.indicator_id or "",
        "version": problem.version,
    }
    return {**data, **changes}


# --- Problems ------------------------------------------------------------------------------


def test_bob_staff_can_raise_a_problem(rooms, bob, priority):
    client = signed_in(bob)
    url = reverse("problem_create", args=["screening-room"])
    assert get(client, url).status_code == 200
    response = post(
        client, url, {"title": "Phone line saturated", "status": "new", "priority": priority.pk}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#zone-problems")
    problem = Problem.objects.get()
    assert (problem.room, problem.created_by, problem.priority) == (
        rooms["screening"], bob, priority
    )  # fmt: skip
    board = get(client, reverse("room_board", args=["screening-room"])).text
    assert "Phone line saturated" in board and "Timely access" in board


def test_a_problem_without_a_title_is_refused(rooms, bob):
    response = post(signed_in(bob), reverse("problem_create", args=["screening-room"]), {})
    assert response.status_code == 400
    assert not Problem.objects.exists()


def test_a_priority_of_another_branch_cannot_be_chosen(rooms, bob, org):
    theirs = Priority.objects.create(
        unit=org["family"], code="school", title_en="School", title_fr="École"
    )
    url = reverse("problem_create", args=["screening-room"])
    response = post(signed_in(bob), url, {"title": "X", "status": "new", "priority": theirs.pk})
    assert response.status_code == 400


def test_the_kanban_shows_columns_and_moves_a_card(rooms, bob, problem):
    client = signed_in(bob)
    board = get(client, reverse("room_board", args=["screening-room"])).text
    for column in ("New", "Analysing", "Action under way", "Escalated", "Solved"):
        assert f">{column}</span>" in board
    assert reverse("problem_move", args=["screening-room", problem.pk]) in board
    response = post(
        client,
        reverse("problem_move", args=["screening-room", problem.pk]),
        {"status": "analysing", "version": 1},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.version) == (ProblemStatus.ANALYSING, 2)
    post(
        client,
        reverse("problem_move", args=["screening-room", problem.pk]),
        {"status": "solved", "version": 2},
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.SOLVED and problem.solved_at is not None


def test_a_card_cannot_be_moved_to_escalated_by_hand(rooms, bob, problem):
    url = reverse("problem_move", args=["screening-room", problem.pk])
    post(signed_in(bob), url, {"status": "escalated", "version": 1})
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW and problem.version == 1


def test_a_card_with_no_priority_says_so(rooms, bob, problem, priority):
    Problem.objects.create(room=rooms["screening"], title="Linked", priority=priority)
    board = get(signed_in(bob), reverse("room_board", args=["screening-room"])).text
    # On the unlinked card, and in the true-north zone's line of unlinked items.
    assert board.count('<span class="tag tag--warning">No priority</span>') == 2
    assert "1 open problem" in board


# --- Two people, one card ------------------------------------------------------------------


def test_the_second_save_is_refused_with_both_versions_shown(rooms, alice, bob, problem):
    url = reverse("problem_edit", args=["screening-room", problem.pk])
    alices, bobs = signed_in(alice), signed_in(bob)
    assert 'name="version" value="1"' in get(alices, url).text
    assert 'name="version" value="1"' in get(bobs, url).text

    first = post(alices, url, problem_data(problem, title="Reports wait two days"))
    assert first.status_code == 302
    second = post(
        bobs, url, problem_data(problem, title="Reports wait for triage", status="analysing")
    )
    assert second.status_code == 409
    text = second.text
    assert "Someone else changed this card while you were editing it" in text
    assert "Reports wait two days" in text  # the stored version
    assert "Reports wait for triage" in text  # bob's, kept
    assert 'name="version" value="2"' in text  # his form now builds on the current one
    problem.refresh_from_db()
    assert (problem.title, problem.status, problem.version) == (
        "Reports wait two days", ProblemStatus.NEW, 2
    )  # fmt: skip

    # Having seen both, bob saves his version deliberately.
    third = post(bobs, url, problem_data(problem, title="Reports wait for triage", version=2))
    assert third.status_code == 302
    problem.refresh_from_db()
    assert problem.title == "Reports wait for triage" and problem.version == 3


def test_a_stale_move_is_refused_too(rooms, alice, bob, problem):
    url = reverse("problem_move", args=["screening-room", problem.pk])
    assert post(signed_in(alice), url, {"status": "action", "version": 1}).status_code == 302
    response = post(signed_in(bob), url, {"status": "solved", "version": 1})
    assert response.status_code == 409
    assert "Someone else changed this card" in response.text
    assert "Action under way" in response.text and "Solved" in response.text
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ACTION


# --- Actions -------------------------------------------------------------------------------


def test_bob_can_own_an_action_and_an_outsider_cannot(rooms, alice, bob, charlie, problem):
    url = reverse("action_create", args=["screening-room"])
    client = signed_in(alice)
    form = get(client, f"{url}?problem={problem.pk}").text
    assert "Bob Test" in form and "Charlie Test" not in form
    assert f'<option value="{problem.pk}" selected>' in form
    data = {"title": "Call back", "owner": bob.person.pk, "status": "todo", "problem": problem.pk}
    assert post(client, url, data).status_code == 302
    action = Action.objects.get()
    assert action.owner == bob.person and action.problem == problem
    assert post(client, url, {**data, "owner": charlie.person.pk}).status_code == 400


def test_bob_may_add_an_action_himself(rooms, bob):
    data = {"title": "Sort the queue", "owner": bob.person.pk, "status": "doing"}
    response = post(signed_in(bob), reverse("action_create", args=["screening-room"]), data)
    assert response.status_code == 302
    assert Action.objects.get().created_by == bob


def test_an_overdue_action_is_shown_in_words_and_colour(rooms, bob):
    today = timezone.localdate()
    Action.objects.create(
        room=rooms["screening"], title="Late one", owner=bob.person,
        due=today - datetime.timedelta(days=3),
    )  # fmt: skip
    Action.objects.create(room=rooms["screening"], title="Today one", due=today)
    Action.objects.create(
        room=rooms["screening"], title="Done late", status=ActionStatus.DONE,
        due=today - datetime.timedelta(days=3), done_at=timezone.now(),
    )  # fmt: skip
    board = get(signed_in(bob), reverse("room_board", args=["screening-room"])).text
    assert board.count("Overdue by 3 days") == 1
    assert 'class="due due--overdue"' in board and 'tr class="overdue"' in board
    assert "Due today" in board
    assert "1 action is overdue." in board


def test_an_action_status_changes_from_the_board_and_stamps_done(rooms, bob):
    action = Action.objects.create(room=rooms["screening"], title="Do it", owner=bob.person)
    url = reverse("action_move", args=["screening-room", action.pk])
    assert post(signed_in(bob), url, {"status": "done", "version": 1}).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.done_at is not None


def test_an_action_edit_over_a_stale_version_is_refused(rooms, alice, bob):
    action = Action.objects.create(room=rooms["screening"], title="Do it", owner=bob.person)
    url = reverse("action_edit", args=["screening-room", action.pk])
    data = {"title": "Do it now", "owner": bob.person.pk, "status": "todo", "version": 1}
    assert post(signed_in(alice), url, data).status_code == 302
    response = post(signed_in(bob), url, {**data, "title": "Do it later"})
    assert response.status_code == 409
    action.refresh_from_db()
    assert action.title == "Do it now"


# --- Recognition ---------------------------------------------------------------------------


def test_recognition_names_people_and_an_action(rooms, alice, bob):
    action = Action.objects.create(room=rooms["screening"], title="Cleared the backlog")
    url = reverse("recognition_create", args=["screening-room"])
    data = {"text": "Thanks for the weekend effort", "people": [bob.person.pk], "action": action.pk}
    assert post(signed_in(alice), url, data).status_code == 302
    recognition = Recognition.objects.get()
    assert list(recognition.people.all()) == [bob.person]
    assert recognition.given_by == alice and recognition.action == action
    board = get(signed_in(bob), reverse("room_board", args=["screening-room"])).text
    assert "Thanks for the weekend effort" in board and "Bob Test" in board


# --- Kata ----------------------------------------------------------------------------------


def test_the_kata_and_its_experiments(kata_room, bob):
    client = signed_in(bob)
    url = reverse("kata_create", args=["screening-room"])
    response = post(client, url, {"target_state": "Every report triaged the same day"})
    assert response.status_code == 302
    kata = Kata.objects.get()
    response = post(
        client,
        reverse("experiment_create", args=["screening-room", kata.pk]),
        {"date": "2025-03-03", "step": "A triage huddle at 9", "expected": "Half triaged by 10"},
    )
    assert response.status_code == 302
    board = get(client, reverse("room_board", args=["screening-room"])).text
    assert "Every report triaged the same day" in board and "A triage huddle at 9" in board
    assert "Target state" in board and "Next target condition" in board


def test_no_kata_where_the_template_has_none(rooms, bob):
    url = reverse("kata_create", args=["screening-room"])
    assert get(signed_in(bob), url).status_code == 404


def test_two_people_writing_an_experiments_result(kata_room, alice, bob):
    kata = Kata.objects.create(room=kata_room, target_state="Same-day triage")
    experiment = Experiment.objects.create(kata=kata, step="Huddle at 9")
    url = reverse("experiment_edit", args=["screening-room", experiment.pk])
    alices, bobs = signed_in(alice), signed_in(bob)
    opened = get(alices, url).text
    assert 'name="opened"' in opened
    fingerprint = opened.split('name="opened" value="')[1].split('"')[0]
    data = {"date": "2025-03-03", "step": "Huddle at 9", "opened": fingerprint}
    assert post(alices, url, {**data, "result": "70% triaged"}).status_code == 302
    response = post(bobs, url, {**data, "result": "Most triaged"})
    assert response.status_code == 409
    assert "70% triaged" in response.text and "Most triaged" in response.text
    experiment.refresh_from_db()
    assert experiment.result == "70% triaged"


def test_a_stale_kata_edit_is_refused(kata_room, alice, bob):
    kata = Kata.objects.create(room=kata_room, target_state="Same-day triage")
    url = reverse("kata_edit", args=["screening-room", kata.pk])
    data = {"target_state": "Same-day triage", "version": 1}
    assert post(signed_in(alice), url, {**data, "current_condition": "2 days"}).status_code == 302
    response = post(signed_in(bob), url, {**data, "current_condition": "3 days"})
    assert response.status_code == 409
    kata.refresh_from_db()
    assert kata.current_condition == "2 days"


# --- Caps ----------------------------------------------------------------------------------


def test_a_zone_shows_at_most_its_limit_and_says_how_many_more(rooms, bob):
    room = rooms["screening"]
    room.zones = [{"zone": "problems", "limit": 3}, {"zone": "actions", "limit": 0}]
    room.save()
    for i in range(5):
        Problem.objects.create(room=room, title=f"Problem number {i}")
    for i in range(4):
        Action.objects.create(room=room, title=f"Action number {i}")
    client = signed_in(bob)
    board = get(client, reverse("room_board", args=["screening-room"])).text
    assert board.count('class="item item--problem"') == 3
    assert "and 2 more" in board
    assert board.count(">Action number") == 4  # no limit
    full = get(client, reverse("zone_full", args=["screening-room", "problems"]))
    assert full.status_code == 200 and full.text.count('class="item item--problem"') == 5
    assert get(client, reverse("zone_full", args=["screening-room", "kata"])).status_code == 404


def test_solved_long_ago_leaves_the_board_but_stays_on_the_full_list(rooms, bob):
    room = rooms["screening"]
    old = timezone.now() - datetime.timedelta(days=90)
    Problem.objects.create(room=room, title="Old news", status="solved", solved_at=old)
    Problem.objects.create(room=room, title="Fresh win", status="solved", solved_at=timezone.now())
    client = signed_in(bob)
    board = get(client, reverse("room_board", args=["screening-room"])).text
    assert "Fresh win" in board and "Old news" not in board
    full = get(client, reverse("zone_full", args=["screening-room", "problems"])).text
    assert "Old news" in full
