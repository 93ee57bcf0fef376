import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from pilotage.demo.indicators import build_indicators
from pilotage.demo.organisation import build_organisation
from pilotage.demo.rooms import (
    EVALUATION_WAIT,
    EVENING_REPORTS,
    RECORD_ACCESS,
    TODAY,
    TRAJECTORY,
    TRANSFER_GAP,
    VACANT_POSTS,
    build_rooms,
)
from pilotage.organisation.models import Membership, Role, Unit
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    Cadence,
    DecisionKind,
    Escalation,
    EscalationState,
    Experiment,
    Kata,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
    RoomKind,
    RoomTemplate,
    Zone,
)
from pilotage.rooms.signals import indicator_tiles

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo, built once for the module inside a transaction rolled back at its end; each
    test runs in a savepoint within it (pytest-django's `db`), so tests stay independent."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
            build_organisation()
            build_indicators()
            counts = build_rooms()
        yield counts
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(built, db):
    return built


def user_of(unit_code: str, role: str) -> object:
    membership = Membership.objects.filter(unit__code=unit_code, role=role).order_by("pk").first()
    return membership.person.user


def snapshot() -> list[list[tuple]]:
    """Every row the rooms demo writes, every column (change times and versions included)."""
    models = [
        RoomTemplate,
        Room,
        Room.member_units.through,
        Problem,
        Action,
        Escalation,
        Recognition,
        Recognition.people.through,
        Kata,
        Experiment,
    ]
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def test_every_unit_has_its_room_and_the_trajectory_room(demo):
    assert demo["rooms"] == 14 and demo["room templates"] == 5
    for unit in Unit.objects.all():
        room = Room.objects.get(kind=RoomKind.UNIT, unit=unit)
        assert room.code == f"salle-{unit.code}"
        assert room.template.level == unit.level
        assert room.name_fr and room.name_en and room.name_fr != room.name_en
        assert unit.name_fr in room.name_fr and unit.name_en in room.name_en
    trajectory = Room.objects.get(code=TRAJECTORY)
    assert trajectory.kind == RoomKind.TRAJECTORY and trajectory.unit.code == "jimmy"
    assert trajectory.name_fr == "Trajectoire jeunes en difficulté et leur famille"
    assert trajectory.name_en.startswith("Trajectory: children in vulnerable situations")
    assert set(trajectory.member_units.values_list("code", flat=True)) == {
        "rts",
        "eo",
        "am",
        "jef",
        "readaptation",
        "liaison",
    }
    # Matters it cannot settle go to the executive committee, where both directors sit.
    assert trajectory.parent_room().code == "salle-jimmy"


def test_templates_follow_the_quebec_practice(demo):
    templates = {t.code: t for t in RoomTemplate.objects.all()}
    assert templates["strategic"].cadence == Cadence.MONTHLY
    assert 60 <= templates["strategic"].time_box_minutes <= 90
    assert templates["tactical"].cadence == Cadence.WEEKLY
    assert 45 <= templates["tactical"].time_box_minutes <= 60
    assert 10 <= templates["operational"].time_box_minutes <= 30
    assert 10 <= templates["team"].time_box_minutes <= 15
    assert templates["trajectory"].cadence in {Cadence.FORTNIGHTLY, Cadence.FOUR_WEEKLY}
    for template in templates.values():
        assert template.name_fr != template.name_en
        zones = [z["zone"] for z in template.zones]
        assert zones[:2] == [Zone.PRIORITIES, Zone.INDICATORS]
        assert {Zone.PROBLEMS, Zone.ACTIONS, Zone.ESCALATIONS} <= set(zones)
    assert Room.objects.get(code="salle-jimmy").zone_limit(Zone.INDICATORS) == 8
    team_room = Room.objects.get(code="salle-jef-famille")
    assert team_room.zone_limit(Zone.INDICATORS) == 6 and team_room.has_zone(Zone.KATA)
    assert not Room.objects.get(code="salle-dpj").has_zone(Zone.KATA)


def test_every_board_has_realistic_content(demo):
    for room in Room.objects.all():
        problems, actions = room.problems.all(), room.actions.all()
        assert problems.exists() and actions.exists(), room.code
        assert len(problems) <= room.zone_limit(Zone.PROBLEMS), room.code
        assert len(actions) <= room.zone_limit(Zone.ACTIONS), room.code
        assert room.recognitions.exists(), room.code
        units = room.member_units.all() if room.kind == RoomKind.TRAJECTORY else [room.unit]
        members = {
            m.person_id
            for unit in units
            for m in Membership.objects.filter(unit__path__startswith=unit.path)
        }
        for action in actions:
            assert action.owner_id in members, (room.code, action.title)
    assert set(Problem.objects.values_list("status", flat=True)) == set(ProblemStatus.values)
    # Overdue on the demo's day and on any later one; others not due before 2027.
    overdue = [a for a in Action.objects.all() if a.is_overdue(TODAY)]
    assert overdue and all(a.is_overdue() for a in overdue)
    assert Action.objects.filter(status=ActionStatus.TODO, due__year=2027).exists()
    assert not Action.objects.filter(due__gt=TODAY, due__year=2026).exists()
    # Most cards serve a priority; a few show "No priority".
    assert Problem.objects.filter(priority=None).exists()
    assert Problem.objects.exclude(priority=None).count() > Problem.objects.count() / 2
    assert Action.objects.exclude(indicator=None).exists()
    for recognition in Recognition.objects.all():
        people = list(recognition.people.all())
        assert people and all(p.full_name in recognition.text for p in people)


def test_every_team_works_on_a_kata(demo):
    for unit in Unit.objects.filter(level="team"):
        kata = Kata.objects.get(room__unit=unit)
        assert kata.experiments.count() >= 2, unit.code
    kata = Kata.objects.get(room__code="salle-jef-famille")
    assert kata.target_state == (
        "Une seule équipe accompagne la famille du signalement à la fin des services"
    )
    experiments = list(kata.experiments.all())
    assert [e.date for e in experiments] == sorted(e.date for e in experiments)
    assert all(e.date <= TODAY and e.expected for e in experiments)
    assert any(e.result and e.learning for e in experiments)


def test_an_escalation_went_up_two_levels_and_came_back_acknowledged(demo):
    team = Escalation.objects.get(from_room__code="salle-eo", title=EVALUATION_WAIT)
    tactical = Escalation.objects.get(parent=team)
    assert team.to_room.code == "salle-dpj" and tactical.to_room.code == "salle-jimmy"
    assert team.from_room.unit.level == "operational"
    assert (tactical.from_room.unit.level, tactical.to_room.unit.level) == ("tactical", "strategic")

    manager, director = user_of("eo", Role.MANAGER), user_of("dpj", Role.DIRECTOR)
    executive = user_of("jimmy", Role.EXECUTIVE)
    assert (team.sent_by, tactical.sent_by) == (manager, director)
    for escalation in (team, tactical):
        assert escalation.state == EscalationState.CLOSED
        assert escalation.decision == DecisionKind.SOLVED
        assert escalation.decision_text == (
            "Deux postes d'agent de relations humaines financés dès novembre"
        )
        assert escalation.decided_by == executive
    assert (tactical.acknowledged_by, team.acknowledged_by) == (director, manager)

    assert team.sent_at < tactical.sent_at < tactical.decided_at
    assert team.decided_at == tactical.decided_at  # relayed down
    assert tactical.decided_at < tactical.acknowledged_at < team.acknowledged_at
    assert team.sent_at.date() == datetime.date(2026, 9, 8)
    assert tactical.decided_at.date() == datetime.date(2026, 10, 6)
    assert team.acknowledged_at.date() == datetime.date(2026, 10, 9)
    assert datetime.timedelta(days=30) < team.round_trip() < datetime.timedelta(days=33)

    problem = team.problem
    assert problem.status == ProblemStatus.SOLVED and problem.solved_at >= team.acknowledged_at


def test_the_other_escalations_show_every_state(demo):
    waiting = Escalation.objects.get(from_room__code="salle-rts", title=EVENING_REPORTS)
    assert waiting.to_room.code == "salle-dpj" and waiting.state == EscalationState.SENT
    assert waiting.sent_at.date() == TODAY - datetime.timedelta(days=21)
    assert waiting.meetings_without_decision == 2
    assert waiting.problem.status == ProblemStatus.ESCALATED

    decided = Escalation.objects.get(from_room__code="salle-am", title=VACANT_POSTS)
    assert decided.state == EscalationState.DECIDED and decided.acknowledged_at is None
    assert decided.decided_by == user_of("dpj", Role.DIRECTOR)

    refused = Escalation.objects.get(from_room__code="salle-liaison", title=RECORD_ACCESS)
    assert refused.decision == DecisionKind.REFUSED and refused.state == EscalationState.CLOSED
    assert "Refusé" in refused.decision_text
    assert refused.problem.status == ProblemStatus.ANALYSING

    across = Escalation.objects.get(title=TRANSFER_GAP)
    assert across.from_room.code == "salle-jef-famille"
    assert across.to_room.code == TRAJECTORY and across.state == EscalationState.SENT

    for escalation in Escalation.objects.all():
        assert escalation.sent_at.date() < TODAY


def test_signalled_tiles_with_and_without_action(demo):
    tiles = {
        (room.code, tile.reading.indicator.code): tile
        for room in Room.objects.filter(code__in=["salle-am-13-17", "salle-jef-0-5", "salle-am"])
        for tile in indicator_tiles(room)
    }
    overtime = tiles[("salle-am-13-17", "heures-sup-etp")]
    assert overtime.signal and overtime.red_without_action
    continuity = tiles[("salle-jef-0-5", "continuite-equipe")]
    assert continuity.failing and continuity.open_items > 0 and not continuity.red_without_action
    assert tiles[("salle-am", "heures-sup-etp")].open_items > 0


def test_loading_twice_creates_nothing_and_changes_nothing(demo):
    before = snapshot()
    assert build_rooms() == demo
    assert snapshot() == before


def test_a_card_changed_by_hand_is_set_back(demo):
    action = Action.objects.get(room__code="salle-rts", title__startswith="Gabarit")
    due, version = action.due, action.version
    Action.objects.filter(pk=action.pk).update(due=due + datetime.timedelta(days=3))
    build_rooms()
    action.refresh_from_db()
    assert action.due == due and action.version == version + 1


def test_the_load_demo_command_prints_the_rooms(demo, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "units: 13" in out and "rooms: 14" in out and "escalations: 6" in out
