"""A computed count with small values, shared by the tests of every page that shows it.

New requests per week, computed from an event log, for screening and evaluation (the teams)
and youth (their direction, its own all-teams figure: here their sum). In week 4 screening
had 3 requests and in week 16 (the last) 4: both are hidden ("< 5"), and evaluation's value of
those weeks with them (the only other team, "x"), since youth's total would give them back.
"""

import datetime

from pilotage.indicators.models import Indicator, Value

MONDAY = datetime.date(2024, 1, 1)
SCREENING = [10, 12, 11, 3, 13, 12, 10, 11, 12, 14, 13, 12, 11, 12, 13, 4]
EVALUATION = [20, 22, 21, 23, 20, 22, 21, 23, 22, 20, 21, 22, 23, 21, 22, 25]
HIDDEN_WEEKS = (3, 15)


def week(i: int) -> datetime.date:
    return MONDAY + datetime.timedelta(weeks=i)


def computed_requests(org: dict) -> Indicator:
    """The indicator and its values for screening, evaluation and youth."""
    indicator = Indicator.objects.create(
        code="traj-test-requests",
        name_en="New requests",
        name_fr="Nouvelles demandes",
        dimension="accessibility",
        kind="count",
        direction="neutral",
        frequency="weekly",
        owner_unit=org["youth"],
        source="computed",
        decimals=0,
        hides_small_counts=True,
        measure_unit_en="requests",
        measure_unit_fr="demandes",
    )
    values = {
        "screening": SCREENING,
        "evaluation": EVALUATION,
        "youth": [s + e for s, e in zip(SCREENING, EVALUATION, strict=True)],
    }
    Value.objects.bulk_create(
        Value(indicator=indicator, unit=org[unit], period=week(i), value=v, source="computed")
        for unit, series in values.items()
        for i, v in enumerate(series)
    )
    return indicator


def change_hidden_values(indicator: Indicator, org: dict) -> None:
    """Other hidden values, giving the same totals and the same hidden cells: a page that
    changes with them shows something it hides."""
    for i, screening, evaluation in ((3, 2, 24), (15, 1, 28)):
        assert screening + evaluation == SCREENING[i] + EVALUATION[i]
        for unit, count in (("screening", screening), ("evaluation", evaluation)):
            Value.objects.filter(indicator=indicator, unit=org[unit], period=week(i)).update(
                value=count
            )
