import datetime

from pilotage.projects.actions import do_save_sheet
from pilotage.projects.checks import linked_indicators, overdue_milestones, watermelon


def test_green_sheet_with_failing_indicators_warns(sheet, alice):
    assert watermelon(sheet) == []  # grey: nothing to say
    do_save_sheet(sheet, 1, {"overall": "green"}, alice)
    warnings = {w.indicator.code: w.message for w in watermelon(sheet)}
    assert "special cause of concern" in warnings["wait-delay"]
    assert "misses the project target" in warnings["wait-delay"]  # 40 > 15
    assert "consistently failing" in warnings["served-in-time"]
    assert "misses the project target" in warnings["served-in-time"]  # 51 < 80


def test_no_warning_when_indicators_fine(project, sheet, alice):
    project.indicators.update(target=None)
    project.indicators.filter(indicator__code="wait-delay").delete()
    from pilotage.indicators.models import Target

    Target.objects.all().update(value=40)
    do_save_sheet(sheet, 1, {"overall": "green"}, alice)
    assert watermelon(sheet) == []


def test_linked_values(project):
    by_code = {item.link.indicator.code: item for item in linked_indicators(project)}
    assert by_code["wait-delay"].last_value == 40
    assert by_code["wait-delay"].last_is_concern
    assert by_code["served-in-time"].failing_assurance


def test_overdue_milestones(project):
    overdue = overdue_milestones(project, datetime.date(2026, 6, 30))
    assert [m.title for m in overdue] == ["Shared intake"]
    assert overdue_milestones(project, datetime.date(2026, 2, 1)) == []
