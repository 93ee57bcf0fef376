import datetime

import pytest
from django.core.exceptions import ValidationError

from pilotage.projects.actions import (
    StaleEdit,
    do_comment,
    do_publish_sheet,
    do_record_decision,
    do_request_help,
    do_save_sheet,
    do_start_sheet,
)
from pilotage.projects.models import StatusChange, StatusSheet
from pilotage.rooms.models import Action, Escalation, Problem, ProblemStatus


def test_new_sheet_starts_from_previous(project, sheet, alice, bob, rooms):
    room = rooms["screening"]
    open_action = Action.objects.create(room=room, title="Shared form", status="todo")
    done_action = Action.objects.create(room=room, title="Old step", status="done")
    open_problem = Problem.objects.create(room=room, title="Two files")
    solved = Problem.objects.create(room=room, title="Fixed", status=ProblemStatus.SOLVED)
    changes = {
        "overall": "yellow",
        "schedule": "red",
        "presenter": bob.person,
        "achievements": "Intake shared.",
        "recovery_plan": "Catch up in July.",
        "next_steps": [open_action, done_action],
        "blockers": [open_problem, solved],
    }
    do_save_sheet(sheet, sheet.version, changes, alice)
    do_publish_sheet(sheet, alice)
    new = do_start_sheet(project, sheet.period_end + datetime.timedelta(days=30), alice)
    assert (new.overall, new.schedule, new.scope) == ("yellow", "red", "grey")
    assert new.presenter == bob.person and new.owner == alice.person
    assert new.recovery_plan == "Catch up in July."
    assert new.achievements == ""
    assert list(new.next_steps.all()) == [open_action]
    assert list(new.blockers.all()) == [open_problem]
    assert new.published_at is None


def test_red_without_plan_or_help_refused(sheet, alice):
    with pytest.raises(ValidationError) as error:
        do_save_sheet(sheet, sheet.version, {"overall": "red"}, alice)
    assert "recovery_plan" in error.value.message_dict
    sheet.refresh_from_db()
    assert sheet.overall == "grey" and sheet.version == 1
    assert not StatusChange.objects.exists()


def test_save_records_status_changes(sheet, alice):
    do_save_sheet(sheet, 1, {"overall": "red", "risks": "yellow", "recovery_plan": "Plan"}, alice)
    rows = list(StatusChange.objects.values_list("dimension", "old", "new", "changed_by"))
    assert sorted(rows) == [
        ("overall", "grey", "red", alice.pk),
        ("risks", "grey", "yellow", alice.pk),
    ]
    assert sheet.version == 2
    do_save_sheet(sheet, 2, {"overall": "yellow"}, alice)
    assert StatusChange.objects.count() == 3


def test_stale_save_refused(sheet, alice, bob):
    do_save_sheet(sheet, 1, {"overall": "green"}, alice)
    with pytest.raises(StaleEdit) as stale:
        do_save_sheet(sheet, 1, {"overall": "yellow"}, bob)
    assert stale.value.current.overall == "green"


def test_help_request_creates_problem_escalation_and_link(sheet, alice, rooms):
    do_request_help(sheet, "Two more evaluators for a month.", alice)
    problem = Problem.objects.get(title__startswith="Help needed")
    assert problem.room == rooms["screening"] and problem.status == ProblemStatus.ESCALATED
    assert list(sheet.blockers.all()) == [problem]
    escalation = Escalation.objects.get(problem=problem)
    assert escalation.to_room == rooms["youth"]
    assert sheet.help_escalation == escalation
    assert sheet.help_needed == "Two more evaluators for a month."
    assert escalation in rooms["youth"].escalations_received.open()
    # Red is now allowed: help was asked.
    do_save_sheet(sheet, sheet.version, {"overall": "red"}, alice)
    assert StatusSheet.objects.get(pk=sheet.pk).overall == "red"


def test_help_request_needs_text(sheet, alice):
    with pytest.raises(ValidationError):
        do_request_help(sheet, "  ", alice)
    assert not Problem.objects.exists()


def test_decision_and_comments(sheet, alice, diana):
    decision = do_record_decision(sheet, "Hire two evaluators.", diana.person, diana)
    assert decision.decided_by == diana.person
    comment = do_comment(sheet, "Why now?", alice)
    reply = do_comment(sheet, "Because of the delay.", diana, parent=comment)
    assert list(comment.replies.all()) == [reply]
