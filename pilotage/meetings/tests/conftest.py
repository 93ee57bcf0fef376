"""Rooms, indicators and a board with one item of every agenda kind (units and people come
from the root conftest; the rooms are built as in the rooms app's tests)."""

import datetime

import pytest
from django.utils import timezone

from pilotage.indicators.models import Indicator, Priority, Target, Value
from pilotage.organisation.models import Person
from pilotage.rooms.actions import do_decide, do_escalate
from pilotage.rooms.models import (
    Action,
    DecisionKind,
    Problem,
    Recognition,
    Room,
    RoomKind,
    RoomTemplate,
)

ZONES = [
    {"zone": "priorities", "limit": 5},
    {"zone": "indicators", "limit": 8},
    {"zone": "problems", "limit": 0},
    {"zone": "actions", "limit": 0},
    {"zone": "escalations", "limit": 0},
    {"zone": "recognition", "limit": 0},
]
MONDAY = datetime.date(2024, 1, 1)
WEEK = datetime.timedelta(weeks=1)


@pytest.fixture
def rooms(org):
    template = RoomTemplate.objects.create(
        code="standard",
        name_en="Standard",
        name_fr="Standard",
        zones=ZONES,
        cadence="weekly",
        time_box_minutes=30,
    )

    def room(code, unit, kind=RoomKind.UNIT):
        return Room.objects.create(
            code=code,
            unit=unit,
            kind=kind,
            name_en=code.title(),
            name_fr=code.title(),
            template=template,
            zones=ZONES,
            cadence="weekly",
            time_box_minutes=30,
        )

    made = {
        "exec": room("exec-room", org["exec"]),
        "youth": room("youth-room", org["youth"]),
        "screening": room("screening-room", org["screening"]),
        "evaluation": room("evaluation-room", org["evaluation"]),
        "school": room("school-room", org["school"]),
        "trajectory": room("trajectory-room", org["youth"], RoomKind.TRAJECTORY),
    }
    made["trajectory"].member_units.set([org["screening"], org["evaluation"], org["school"]])
    return made


def person(user):
    return Person.objects.get(user=user)


def _indicator(org, code, name, kind, **extra):
    return Indicator.objects.create(
        code=code,
        name_en=name,
        name_fr=name,
        dimension="accessibility",
        kind=kind,
        direction="decrease",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        **extra,
    )


def _values(indicator, unit, values):
    Value.objects.bulk_create(
        Value(indicator=indicator, unit=unit, period=MONDAY + i * WEEK, value=v, source="entered")
        for i, v in enumerate(values)
    )


@pytest.fixture
def board(org, rooms, alice, bob, diana, django_user_model):
    """The youth room's board with one item of each kind the agenda takes, plus things it
    must leave out (a problem under analysis, an action not yet due, a closed escalation)."""
    room = rooms["youth"]
    priority = Priority.objects.create(
        unit=org["youth"], code="access", title_en="Timely access", title_fr="Accès rapide"
    )
    # A special cause of concern on the last point: a jump far above the limits.
    waiting = _indicator(org, "waiting", "Waiting list", "count", priority=priority)
    _values(waiting, org["youth"], [20, 21, 19, 20, 22, 20, 19, 21, 20, 21, 60])
    # Target out of reach: every point above the target of 12, no special cause.
    delay = _indicator(org, "eval-delay", "Delay to evaluation", "mean", is_outcome=True)
    Target.objects.create(indicator=delay, value=12, effective_from=MONDAY)
    _values(delay, org["youth"], [16, 17, 15, 16, 18, 16, 15, 17])

    new_problem = Problem.objects.create(room=room, title="Phones ring unanswered", created_by=bob)
    Problem.objects.create(room=room, title="Old matter", status="analysing", created_by=bob)

    team_problem = Problem.objects.create(
        room=rooms["screening"], title="Reports wait for a free worker", created_by=bob
    )
    received = do_escalate(team_problem, room, "Beyond the team's authority", user=alice)

    ours = Problem.objects.create(room=room, title="No budget for overtime", created_by=diana)
    ceo = django_user_model.objects.create_user("ceo")
    sent = do_escalate(ours, rooms["exec"], "Needs the executive", user=diana)
    do_decide(sent, DecisionKind.ANALYSIS, "Measure overtime for a month", user=ceo)

    today = timezone.localdate()
    overdue = Action.objects.create(
        room=room, title="Call the school board", owner=person(diana), due=today - WEEK
    )
    Action.objects.create(room=room, title="Not due yet", due=today + WEEK)
    thanks = Recognition.objects.create(room=room, text="Thanks to the night team", given_by=diana)
    return {
        "room": room,
        "waiting": waiting,
        "delay": delay,
        "new_problem": new_problem,
        "received": received,
        "decided": sent,
        "overdue": overdue,
        "recognition": thanks,
    }
