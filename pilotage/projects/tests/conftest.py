"""Rooms, a project with two indicators and a sheet (units and people come from the root
conftest). Shared by every test module of the projects app."""

import datetime

import pytest

from pilotage.rooms.tests import conftest as rooms_conftest

# The rooms app's standard template and rooms of the test organisation, shared as they are.
template = rooms_conftest.template
rooms = rooms_conftest.rooms

#: Weekly periods of the indicator series: 21 Mondays from 5 January 2026.
WEEKS = [datetime.date(2026, 1, 5) + datetime.timedelta(weeks=i) for i in range(21)]
PERIOD_END = datetime.date(2026, 6, 30)


def make_indicator(org, code, direction, values, target=None):
    """A weekly indicator of the screening team with its values (and a target in force)."""
    from pilotage.indicators.models import Indicator, Target, Value

    indicator = Indicator.objects.create(
        code=code,
        name_en=code.replace("-", " ").capitalize(),
        name_fr=code,
        dimension="accessibility",
        kind="count",
        direction=direction,
        frequency="weekly",
        owner_unit=org["screening"],
        source="entered",
    )
    Value.objects.bulk_create(
        Value(indicator=indicator, unit=org["screening"], period=p, value=v, source="entered")
        for p, v in zip(WEEKS, values, strict=False)
    )
    if target is not None:
        Target.objects.create(
            indicator=indicator, value=target, effective_from=datetime.date(2025, 1, 1)
        )
    return indicator


#: 20 stable weekly values, then a spike (lower is better: a special cause of concern).
STABLE_THEN_SPIKE = [10, 11, 10, 12, 11, 10, 11, 12, 10, 11] * 2 + [40]
#: Around 50 when the target is 90 and higher is better: consistently failing.
FAILING = [50, 51, 49, 50, 52, 50, 49, 51, 50, 50] * 2 + [51]


@pytest.fixture
def indicators(org):
    return {
        "delay": make_indicator(org, "wait-delay", "decrease", STABLE_THEN_SPIKE),
        "served": make_indicator(org, "served-in-time", "increase", FAILING, target=90),
    }


@pytest.fixture
def project(org, rooms, alice, indicators):
    """ "One team for the family", owned by alice, reviewed in the screening room, with its two
    indicators (baseline and project target) and two milestones, one overdue on PERIOD_END."""
    from pilotage.projects.models import Milestone, Project, ProjectIndicator

    project = Project.objects.create(
        code="one-team",
        name="One team for the family",
        objective="Fewer hand-offs between teams.",
        owner=alice.person,
        room=rooms["screening"],
        theme="structure",
        horizon="long",
        approach="relational",
        start=datetime.date(2026, 1, 1),
    )
    ProjectIndicator.objects.create(
        project=project,
        indicator=indicators["delay"],
        unit=org["screening"],
        baseline=12,
        target=15,
    )
    ProjectIndicator.objects.create(
        project=project,
        indicator=indicators["served"],
        unit=org["screening"],
        baseline=45,
        target=80,
    )
    Milestone.objects.create(project=project, title="Shared intake", due=datetime.date(2026, 3, 1))
    Milestone.objects.create(
        project=project,
        title="Joint evaluation",
        due=datetime.date(2026, 4, 1),
        done_on=datetime.date(2026, 3, 30),
    )
    Milestone.objects.create(project=project, title="Review", due=datetime.date(2026, 9, 1))
    return project


@pytest.fixture
def sheet(project, alice):
    """A first, unpublished sheet of the project as of PERIOD_END, all grey."""
    from pilotage.projects.actions import do_start_sheet

    return do_start_sheet(project, PERIOD_END, alice)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """These tests read the English texts; French is checked where a test asks for it."""
    settings.LANGUAGE_CODE = "en"
