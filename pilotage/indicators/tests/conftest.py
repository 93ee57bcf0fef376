"""Indicators of the test organisation (see the root conftest for units and people)."""

import datetime

import pytest

from pilotage.indicators.models import Indicator, Priority, Target

MONDAY = datetime.date(2024, 1, 1)  # a Monday


@pytest.fixture
def priority(org):
    return Priority.objects.create(
        unit=org["youth"], code="access", title_en="Timely access", title_fr="Accès rapide"
    )


@pytest.fixture
def delay(org, priority):
    """Mean delay from report to evaluation, in days: lower is better, weekly."""
    indicator = Indicator.objects.create(
        code="eval-delay",
        name_en="Delay to evaluation",
        name_fr="Délai avant l’évaluation",
        dimension="accessibility",
        kind="mean",
        direction="decrease",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        priority=priority,
        is_outcome=True,
        measure_unit_en="days",
        measure_unit_fr="jours",
    )
    Target.objects.create(indicator=indicator, value=12, effective_from=MONDAY)
    return indicator


@pytest.fixture
def served_rate(org, priority):
    """Share of children evaluated within 12 days, in %: a rate, higher is better, weekly."""
    return Indicator.objects.create(
        code="served-12",
        name_en="Evaluated within 12 days",
        name_fr="Évalués en 12 jours",
        dimension="accessibility",
        kind="rate",
        factor=100,
        direction="increase",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        priority=priority,
        measure_unit_en="%",
        measure_unit_fr="%",
    )


@pytest.fixture
def waiting(org):
    """Children waiting at the end of the week: a count, lower is better."""
    return Indicator.objects.create(
        code="waiting",
        name_en="Waiting list",
        name_fr="Liste d’attente",
        dimension="accessibility",
        kind="count",
        direction="decrease",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
    )


@pytest.fixture
def median_delay(org):
    """Median delay: never rolled up from sub-units."""
    return Indicator.objects.create(
        code="median-delay",
        name_en="Median delay",
        name_fr="Délai médian",
        dimension="accessibility",
        kind="median",
        direction="decrease",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
    )
