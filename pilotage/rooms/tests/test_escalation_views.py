"""The escalation loop over HTTP: escalate, decide, forward, acknowledge, and who may do what."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from pilotage.organisation.models import Membership, Person, Role
from pilotage.rooms import board
from pilotage.rooms.metrics import zone_extra
from pilotage.rooms.models import (
    Action,
    DecisionKind,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
)


@pytest.fixture(autouse=True)
def _english(client):
    """Pages in English, the source language (the French catalogue is checked elsewhere)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def problem(rooms, bob):
    return Problem.objects.create(
        room=rooms["screening"], title="Reports wait for a free worker", created_by=bob
    )


@pytest.fixture
def erin(org, django_user_model):
    """An executive of the organisation: a leader of the strategic room."""
    user = django_user_model.objects.create_user("erin", "erin@example.org", first_name="Erin")
    person = Person.objects.create(
        user=user,
        given_name="Erin",
        family_name="Test",
        employer=org["health"],
        job_title_en="Chief executive",
        job_title_fr="Présidente-directrice générale",
    )
    Membership.objects.create(
        person=person, unit=org["exec"], role=Role.EXECUTIVE, start=datetime.date(2020, 1, 1)
    )
    return user


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _escalate(client, room, subject, to_room, reason="Beyond the team's authority"):
    kind = "problem" if isinstance(subject, Problem) else "action"
    url = reverse("escalation_create", args=[room.code, kind, subject.pk])
    return client.post(url, {"to_room": to_room.pk, "reason": reason})


def _post(client, name, escalation, data=None):
    return client.post(reverse(name, args=[escalation.pk]), data or {})


def test_the_loop_from_screening_to_youth_and_back(
    client_for, rooms, problem, alice, bob, charlie, diana
):
    client = client_for(bob)
    page = client.get(reverse("escalation_create", args=["screening-room", "problem", problem.pk]))
    assert page.status_code == 200
    assert rooms["youth"].name in page.text and rooms["trajectory"].name in page.text

    response = _escalate(client, rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("escalation_detail", args=[escalation.pk])
    assert (escalation.to_room, escalation.sent_by) == (rooms["youth"], bob)
    # The problem shows as escalated on screening's board, and waits on youth's.
    columns = board.build_zone(rooms["screening"], "problems").extra["columns"]
    assert [p.title for status, _, items in columns if status == "escalated" for p in items] == [
        problem.title
    ]
    assert list(board.escalations(rooms["youth"])[1]) == [escalation]

    # Charlie, in another direction, does not learn that it exists.
    client = client_for(charlie)
    assert client.get(reverse("escalation_detail", args=[escalation.pk])).status_code == 404
    assert _post(client, "escalation_decide", escalation, {"decision": "solved"}).status_code == 404

    # Bob sees it but may not decide for the room above.
    client = client_for(bob)
    assert client.get(reverse("escalation_detail", args=[escalation.pk])).status_code == 200
    assert _post(client, "escalation_decide", escalation, {"decision": "solved"}).status_code == 403

    # Diana, director of youth, finds it on her board and decides.
    client = client_for(diana)
    page = client.get(reverse("room_board", args=["youth-room"]))
    assert "Awaiting a decision for 0 days" in page.text and problem.title in page.text
    page = client.get(reverse("escalation_detail", args=[escalation.pk]))
    assert 'id="decide-title"' in page.text
    response = _post(
        client, "escalation_decide", escalation, {"decision": "solved", "text": "Two posts funded"}
    )
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.DECIDED
    assert (escalation.decision, escalation.decided_by) == (DecisionKind.SOLVED, diana)
    assert escalation.decided_at is not None

    # The decision appears on screening's board, to acknowledge.
    client = client_for(alice)
    for url in (
        reverse("room_board", args=["screening-room"]),
        reverse("room_escalations", args=["screening-room"]),
    ):
        page = client.get(url)
        assert "Two posts funded" in page.text and "Decision received, to acknowledge" in page.text
        assert reverse("escalation_acknowledge", args=[escalation.pk]) in page.text
    response = _post(client, "escalation_acknowledge", escalation)
    assert response.status_code == 302
    escalation.refresh_from_db()
    problem.refresh_from_db()
    assert escalation.state == EscalationState.CLOSED
    assert escalation.acknowledged_by == alice and escalation.round_trip() is not None
    assert problem.status == ProblemStatus.SOLVED


def test_a_member_of_the_room_may_escalate_an_action(client_for, rooms, bob):
    action = Action.objects.create(
        room=rooms["screening"], title="Call the partner", created_by=bob
    )
    response = _escalate(client_for(bob), rooms["screening"], action, rooms["trajectory"])
    assert response.status_code == 302
    assert Escalation.objects.get().action == action


def test_who_may_escalate(client_for, rooms, problem, charlie, diana, org):
    # Charlie cannot see screening's board: 404.
    response = _escalate(client_for(charlie), rooms["screening"], problem, rooms["youth"])
    assert response.status_code == 404
    # A visitor with an access grant sees the board but is no member of the room: 403.
    from pilotage.organisation.models import AccessGrant

    AccessGrant.objects.create(
        user=charlie, unit=org["screening"], start=datetime.date(2020, 1, 1), reason="Audit"
    )
    charlie.__dict__.pop("_pilotage_scope_paths", None)
    response = _escalate(client_for(charlie), rooms["screening"], problem, rooms["youth"])
    assert response.status_code == 403
    # A problem of another room through this room's address: 404.
    other = Problem.objects.create(room=rooms["evaluation"], title="Elsewhere")
    response = _escalate(client_for(diana), rooms["screening"], other, rooms["youth"])
    assert response.status_code == 404
    assert not Escalation.objects.exists()


def test_escalating_needs_a_reason_and_an_allowed_room(client_for, rooms, problem, bob):
    client = client_for(bob)
    response = _escalate(client, rooms["screening"], problem, rooms["youth"], reason="  ")
    assert response.status_code == 302
    assert _messages(response)
    response = _escalate(client, rooms["screening"], problem, rooms["exec"])
    assert response.status_code == 302 and _messages(response)
    assert not Escalation.objects.exists()
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.NEW


def test_a_matter_is_escalated_once_at_a_time(client_for, rooms, problem, bob):
    client = client_for(bob)
    _escalate(client, rooms["screening"], problem, rooms["youth"])
    response = _escalate(client, rooms["screening"], problem, rooms["trajectory"])
    assert "already escalated" in " ".join(_messages(response))
    assert Escalation.objects.count() == 1
    page = client.get(reverse("escalation_create", args=["screening-room", "problem", problem.pk]))
    assert "already escalated" in page.text and 'name="reason"' not in page.text


def test_up_to_the_strategic_room_and_back(client_for, rooms, problem, alice, bob, diana, erin):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    first = Escalation.objects.get()

    # The tactical room sends it further up; it may not decide meanwhile.
    client = client_for(diana)
    response = _post(
        client,
        "escalation_forward",
        first,
        {"to_room": rooms["exec"].pk, "reason": "Needs a budget decision"},
    )
    assert response.status_code == 302
    second = Escalation.objects.get(parent=first)
    assert (second.from_room, second.to_room, second.sent_by) == (
        rooms["youth"],
        rooms["exec"],
        diana,
    )
    first.refresh_from_db()
    assert first.decision == DecisionKind.ESCALATED and first.state == EscalationState.SENT
    response = _post(client, "escalation_decide", first, {"decision": "solved", "text": "x"})
    assert "waits for the decision" in " ".join(_messages(response))
    first.refresh_from_db()
    assert first.decision == DecisionKind.ESCALATED and first.decided_by is None

    # Bob sees the way up, with the strategic room on it.
    page = client_for(bob).get(reverse("escalation_detail", args=[first.pk]))
    assert rooms["exec"].name in page.text and "Needs a budget decision" in page.text

    # The strategic room decides; diana may not decide there.
    assert (
        _post(client_for(diana), "escalation_decide", second, {"decision": "solved"}).status_code
        == 403
    )
    response = _post(
        client_for(erin), "escalation_decide", second, {"decision": "solved", "text": "Funded"}
    )
    assert response.status_code == 302
    # Screening cannot acknowledge yet: the decision has not come down to it.
    response = _post(client_for(alice), "escalation_acknowledge", first)
    assert response.status_code == 302 and _messages(response)
    first.refresh_from_db()
    assert first.state == EscalationState.SENT

    # The tactical room acknowledges; the decision comes down; the team acknowledges.
    assert _post(client_for(diana), "escalation_acknowledge", second).status_code == 302
    first.refresh_from_db()
    assert first.state == EscalationState.DECIDED
    assert (first.decision, first.decision_text, first.decided_by) == ("solved", "Funded", erin)
    assert _post(client_for(alice), "escalation_acknowledge", first).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    problem.refresh_from_db()
    assert first.state == second.state == EscalationState.CLOSED
    assert problem.status == ProblemStatus.SOLVED


def test_a_refusal_without_a_reason_writes_nothing(client_for, rooms, problem, bob, diana):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    response = _post(
        client_for(diana), "escalation_decide", escalation, {"decision": "refused", "text": " "}
    )
    assert response.status_code == 302
    assert "reason" in " ".join(_messages(response))
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.SENT
    assert (escalation.decision, escalation.decided_by, escalation.decided_at) == ("", None, None)


def test_a_redirection_to_the_trajectory_room(client_for, rooms, problem, alice, bob, diana):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    client = client_for(diana)
    # Not to one of the two ends of the escalation.
    response = _post(
        client,
        "escalation_decide",
        escalation,
        {"decision": "redirected", "text": "Between teams", "redirect_to": rooms["screening"].pk},
    )
    assert _messages(response)
    assert Escalation.objects.count() == 1
    response = _post(
        client,
        "escalation_decide",
        escalation,
        {"decision": "redirected", "text": "Between teams", "redirect_to": rooms["trajectory"].pk},
    )
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.redirected_to == rooms["trajectory"]
    moved = Escalation.objects.get(to_room=rooms["trajectory"])
    assert (moved.from_room, moved.state, moved.parent) == (rooms["youth"], "sent", escalation)
    page = client_for(alice).get(reverse("escalation_detail", args=[escalation.pk]))
    assert "Between teams" in page.text and rooms["trajectory"].name in page.text


def test_each_step_recomputes_the_indicators_on_commit(
    client_for, rooms, problem, alice, bob, diana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
        escalation = Escalation.objects.get()
        _post(client_for(diana), "escalation_decide", escalation, {"decision": "analysis"})
        _post(client_for(alice), "escalation_acknowledge", escalation)
    paths = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == ["pilotage.rooms.tasks.compute_room_indicators"] * 3


def test_nothing_is_enqueued_when_a_step_is_refused(
    client_for, rooms, problem, bob, diana, django_capture_on_commit_callbacks
):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(diana), "escalation_decide", escalation, {"decision": "refused"})
    assert not DBTaskResult.objects.exists()


def test_back_to_the_board_after_a_form(client_for, rooms, problem, alice, bob, diana):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    _post(client_for(diana), "escalation_decide", escalation, {"decision": "analysis"})
    board_url = reverse("room_escalations", args=["screening-room"])
    response = _post(client_for(alice), "escalation_acknowledge", escalation, {"next": board_url})
    assert response.url == board_url
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.CLOSED


def test_an_outside_next_is_ignored(client_for, rooms, problem, bob, diana):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    escalation = Escalation.objects.get()
    response = _post(
        client_for(diana),
        "escalation_decide",
        escalation,
        {"decision": "analysis", "next": "https://evil.example/"},
    )
    assert response.url == reverse("escalation_detail", args=[escalation.pk])


def test_the_receiving_board_shows_ages_and_the_meetings_left_without_decision(
    client_for, rooms, problem, bob, diana
):
    _escalate(client_for(bob), rooms["screening"], problem, rooms["youth"])
    Escalation.objects.update(meetings_without_decision=2)
    page = client_for(diana).get(reverse("room_escalations", args=["youth-room"]))
    assert page.status_code == 200
    assert "Awaiting a decision for 0 days" in page.text
    assert "Without a decision after 2 meetings" in page.text
    assert "Open escalations received, by age" in page.text
    assert client_for(bob).get(reverse("room_escalations", args=["youth-room"])).status_code == 404


def test_the_zone_read_only_has_no_forms(rooms, problem, alice, diana):
    from pilotage.rooms.actions import do_decide, do_escalate

    escalation = do_escalate(problem, rooms["youth"], "Help", user=alice)
    do_decide(escalation, DecisionKind.SOLVED, "Done", user=diana)
    sent, received = board.escalations(rooms["screening"])
    context = {"room": rooms["screening"], **zone_extra(rooms["screening"], sent, received)}
    shown = render_to_string("rooms/zones/escalations.html", {**context, "readonly": False})
    assert "<form" in shown and "escalation--to-acknowledge" in shown
    shown = render_to_string("rooms/zones/escalations.html", {**context, "readonly": True})
    assert "<form" not in shown and "decide-title" not in shown
    assert "Decision received, to acknowledge" in shown
