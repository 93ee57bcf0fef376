"""Rooms of the test organisation (units and people come from the root conftest)."""

import pytest

from pilotage.rooms.models import Room, RoomKind, RoomTemplate

ZONES = [
    {"zone": "priorities", "limit": 5},
    {"zone": "indicators", "limit": 8},
    {"zone": "problems", "limit": 0},
    {"zone": "actions", "limit": 0},
    {"zone": "escalations", "limit": 0},
    {"zone": "recognition", "limit": 0},
]


@pytest.fixture
def template(db):
    return RoomTemplate.objects.create(
        code="standard",
        name_en="Standard",
        name_fr="Standard",
        zones=ZONES,
        cadence="weekly",
        time_box_minutes=30,
    )


@pytest.fixture
def rooms(org, template):
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
