"""The escalation loop: up the chain of rooms, a decision, and back down."""

import pytest

from pilotage.rooms.actions import (
    NotAllowed,
    StaleEdit,
    do_acknowledge,
    do_decide,
    do_escalate,
    do_update_card,
    escalation_targets,
)
from pilotage.rooms.models import (
    DecisionKind,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Room,
)


@pytest.fixture
def problem(rooms, bob):
    return Problem.objects.create(
        room=rooms["screening"], title="Reports wait for a free worker", created_by=bob
    )


def test_parent_rooms_follow_the_unit_tree(rooms):
    assert rooms["screening"].parent_room() == rooms["youth"]
    assert rooms["youth"].parent_room() == rooms["exec"]
    assert rooms["exec"].parent_room() is None
    assert rooms["trajectory"].parent_room() == rooms["youth"]


def test_a_team_can_escalate_to_its_parent_or_its_trajectory_room(rooms):
    targets = escalation_targets(rooms["screening"])
    assert targets == [rooms["youth"], rooms["trajectory"]]
    assert rooms["exec"] not in targets


def test_escalating_elsewhere_is_refused(problem, rooms, bob):
    with pytest.raises(NotAllowed):
        do_escalate(problem, rooms["exec"], "skip a level", user=bob)
    assert not Escalation.objects.exists()


def test_the_full_loop_up_two_levels_and_back(problem, rooms, alice, diana, django_user_model):
    ceo = django_user_model.objects.create_user("ceo")
    first = do_escalate(problem, rooms["youth"], "Beyond the team's authority", user=alice)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ESCALATED
    assert list(rooms["youth"].escalations_received.awaiting_decision()) == [first]

    # The tactical room sends it further up.
    second = do_escalate(
        problem, rooms["exec"], "Needs a budget decision", user=diana, parent=first
    )
    first.refresh_from_db()
    assert first.decision == DecisionKind.ESCALATED and first.state == EscalationState.SENT

    # The strategic room decides; the tactical room acknowledges; the decision is relayed.
    do_decide(second, DecisionKind.SOLVED, "Two posts funded from April", user=ceo)
    with pytest.raises(NotAllowed):
        do_acknowledge(first, user=alice)  # nothing decided for the team yet
    do_acknowledge(second, user=diana)
    first.refresh_from_db()
    assert first.state == EscalationState.DECIDED
    assert first.decision == DecisionKind.SOLVED
    assert first.decision_text == "Two posts funded from April"
    assert first.decided_by == ceo

    # The team acknowledges: the loop is closed and the problem solved.
    do_acknowledge(first, user=alice)
    first.refresh_from_db()
    problem.refresh_from_db()
    assert first.state == EscalationState.CLOSED and first.round_trip() is not None
    assert problem.status == ProblemStatus.SOLVED and problem.solved_at is not None


def test_a_refusal_needs_a_reason_and_reopens_the_problem(problem, rooms, alice, diana):
    escalation = do_escalate(problem, rooms["youth"], "Help", user=alice)
    with pytest.raises(NotAllowed):
        do_decide(escalation, DecisionKind.REFUSED, "  ", user=diana)
    do_decide(escalation, DecisionKind.REFUSED, "Within the team's authority", user=diana)
    do_acknowledge(escalation, user=alice)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ANALYSING


def test_only_one_decision_is_recorded(problem, rooms, alice, diana):
    escalation = do_escalate(problem, rooms["youth"], "Help", user=alice)
    do_decide(escalation, DecisionKind.ANALYSIS, "Measure first", user=diana)
    with pytest.raises(NotAllowed):
        do_decide(escalation, DecisionKind.SOLVED, "", user=diana)


def test_a_redirection_sends_the_matter_to_the_named_room(problem, rooms, alice, diana):
    escalation = do_escalate(problem, rooms["youth"], "Between teams", user=alice)
    do_decide(
        escalation,
        DecisionKind.REDIRECTED,
        "A matter for the trajectory room",
        user=diana,
        redirect_to=rooms["trajectory"],
    )
    assert rooms["trajectory"].escalations_received.awaiting_decision().count() == 1


def test_two_people_editing_one_card(problem, alice, bob):
    opened_by_alice = Problem.objects.get(pk=problem.pk)
    opened_by_bob = Problem.objects.get(pk=problem.pk)
    do_update_card(opened_by_alice, opened_by_alice.version, {"title": "Alice's title"}, user=alice)
    with pytest.raises(StaleEdit) as stale:
        do_update_card(opened_by_bob, opened_by_bob.version, {"title": "Bob's title"}, user=bob)
    assert stale.value.current.title == "Alice's title"
    assert Problem.objects.get(pk=problem.pk).title == "Alice's title"


def test_rooms_are_scoped_like_units(rooms, alice, bob, charlie, diana):
    assert set(Room.objects.visible_to(bob)) == {rooms["screening"], rooms["trajectory"]}
    # alice manages screening: she also sits in her director's room (youth).
    assert set(Room.objects.visible_to(alice)) == {
        rooms["screening"],
        rooms["youth"],
        rooms["trajectory"],
    }
    assert set(Room.objects.visible_to(charlie)) == {rooms["school"], rooms["trajectory"]}
    # diana directs youth: she also sits on the executive committee's room.
    assert set(Room.objects.visible_to(diana)) == {
        rooms["exec"],
        rooms["youth"],
        rooms["screening"],
        rooms["evaluation"],
        rooms["trajectory"],
    }
