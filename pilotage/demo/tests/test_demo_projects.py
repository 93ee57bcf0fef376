import datetime

import pytest
from django.db import transaction
from django.test import override_settings

from pilotage.demo.indicators import END, build_indicators
from pilotage.demo.organisation import build_organisation
from pilotage.demo.projects import HELP_DECISION, HELP_PROBLEM, build_projects
from pilotage.demo.rooms import build_rooms
from pilotage.organisation.models import Membership, Role
from pilotage.projects.models import (
    RAG,
    Approach,
    Horizon,
    Milestone,
    Project,
    ProjectIndicator,
    SheetComment,
    SheetDecision,
    StatusChange,
    StatusSheet,
)
from pilotage.rooms.models import Action, DecisionKind, Escalation, EscalationState, Problem

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo, built once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
            build_organisation()
            build_indicators()
            build_rooms()
            counts = build_projects()
        yield counts
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(built, db):
    return built


def snapshot() -> list[list[tuple]]:
    models = [
        Project,
        Project.members.through,
        ProjectIndicator,
        Milestone,
        StatusSheet,
        StatusSheet.next_steps.through,
        StatusSheet.blockers.through,
        SheetDecision,
        SheetComment,
        StatusChange,
        Problem,
        Action,
        Escalation,
    ]
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def person_of(unit_code: str, role: str):
    return Membership.objects.filter(unit__code=unit_code, role=role).order_by("pk").first().person


def test_portfolio_counts_and_tags(demo):
    assert 3 <= demo["projects"] == Project.objects.count() <= 5
    for project in Project.objects.all():
        sheets = project.sheets.all()
        assert 6 <= sheets.count() <= 12, project.code
        for sheet in sheets:
            assert sheet.published_at is not None
            assert (sheet.period_end + datetime.timedelta(days=1)).day == 1  # a month's end
        assert max(s.period_end for s in sheets) == datetime.date(2026, 11, 30)
        assert project.indicators.exists() and project.milestones.exists(), project.code
        assert project.objective and project.members.exists()
    structural_short = Project.objects.filter(
        approach=Approach.STRUCTURAL, horizon=Horizon.SHORT
    ).count()
    assert structural_short > Project.objects.count() / 2
    assert Project.objects.filter(approach=Approach.RELATIONAL, horizon=Horizon.LONG).count() == 1
    assert Project.objects.values("theme").distinct().count() >= 3
    # Leadership is distributed: staff own projects and present sheets.
    owners = {p.owner_id for p in Project.objects.all()}
    assert Membership.objects.filter(person__in=owners, role=Role.STAFF).exists()
    presenters = StatusSheet.objects.values_list("presenter", flat=True)
    assert Membership.objects.filter(person__in=presenters, role=Role.STAFF).exists()
    # Baselines come from the series before the project.
    evaluation = ProjectIndicator.objects.get(indicator__code="delai-evaluation")
    assert evaluation.baseline > 12 and evaluation.target == 8
    assert any(m.is_overdue(END) for m in Milestone.objects.all())
    assert Milestone.objects.exclude(done_on=None).exists()


def test_status_history_follows_the_sheets(demo):
    for project in Project.objects.all():
        previous = None
        for sheet in project.sheets.order_by("period_end"):
            changes = {c.dimension: (c.old, c.new) for c in sheet.status_changes.all()}
            current = dict([("overall", sheet.overall), *sheet.statuses()])
            expected = {
                d: ((previous or {}).get(d, ""), s)
                for d, s in current.items()
                if (previous or {}).get(d) != s
            }
            assert changes == expected, sheet
            previous = current
    assert SheetComment.objects.exclude(parent=None).exists()
    threads = SheetComment.objects.exclude(parent=None).values_list("parent__author", "author")
    assert any(parent != author for parent, author in threads)


def test_the_red_help_decision_recovery_story(demo):
    project = Project.objects.get(code="delai-evaluation-12-jours")
    assert project.room.code == "salle-dpj"
    sheets = {s.period_end.month: s for s in project.sheets.filter(period_end__year=2026)}
    red = sheets[6]
    assert (red.overall, red.results, red.resources) == (RAG.RED, RAG.RED, RAG.RED)
    assert red.help_needed and red.recovery_plan
    assert sheets[7].overall == sheets[8].overall == RAG.YELLOW
    assert all(sheets[m].overall == RAG.GREEN for m in (9, 10, 11))
    assert all(s.overall != RAG.RED for m, s in sheets.items() if m != 6)

    escalation = red.help_escalation
    assert escalation.title == HELP_PROBLEM
    assert (escalation.from_room.code, escalation.to_room.code) == ("salle-eo", "salle-dpj")
    assert escalation.to_room.unit.level == "tactical"
    assert escalation.state == EscalationState.CLOSED
    assert escalation.decision == DecisionKind.SOLVED and escalation.decision_text == HELP_DECISION
    director = person_of("dpj", Role.DIRECTOR)
    assert escalation.decided_by == director.user
    assert escalation.acknowledged_by == project.owner.user
    assert red.published_at < escalation.sent_at < escalation.decided_at
    assert escalation.decided_at < escalation.acknowledged_at < sheets[7].published_at
    problem = red.blockers.get()
    assert problem == escalation.problem and problem.status == "solved"
    decision = red.decisions.get(text=HELP_DECISION)
    assert decision.decided_by == director and decision.decided_at == escalation.decided_at
    assert sheets[7].next_steps.exists() and sheets[7].recovery_plan


def test_a_watermelon_green_sheet_with_a_worsening_indicator(demo):
    sheet = StatusSheet.objects.get(
        project__code="charge-equipes-suivi", period_end=datetime.date(2026, 11, 30)
    )
    assert sheet.overall == sheet.results == RAG.GREEN
    assert sheet.project.indicators.filter(
        indicator__code="heures-sup-etp", unit__code="am-13-17"
    ).exists()


def test_building_again_changes_nothing(demo):
    before = snapshot()
    assert build_projects() == demo
    assert snapshot() == before
