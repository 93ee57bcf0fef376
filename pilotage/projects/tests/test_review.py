"""The status-sheet meeting: the agenda by exception with its time boxes, the decisions
captured into the sheets, the minutes and who may do what."""

import datetime

import pytest
from django.urls import include, path

from pilotage.projects import review
from pilotage.projects.models import (
    RAG,
    Project,
    SheetDecision,
    SheetReviewMeeting,
    StatusSheet,
)
from pilotage.rooms.models import Escalation, EscalationState, Problem
from pilotage.urls import urlpatterns as root_urlpatterns

# The outputs' URLs, included ahead of the site's until pilotage/projects/urls.py includes them.
urlpatterns = [path("projects/", include("pilotage.projects.output_views")), *root_urlpatterns]
URLS = "pilotage.projects.tests.test_review"


@pytest.fixture
def make_sheet(rooms, alice):
    """A project of the screening room with one sheet: `make_sheet("Name", overall=...)`."""

    def make(name, *, room="screening", period_end=datetime.date(2026, 10, 31), **fields):
        project, _ = Project.objects.get_or_create(
            code=name.lower().replace(" ", "-"),
            defaults={
                "name": name,
                "objective": f"Objective of {name}",
                "owner": alice.person,
                "room": rooms[room],
                "theme": "people",
                "horizon": "short",
                "approach": "relational",
            },
        )
        return StatusSheet.objects.create(
            project=project, period_end=period_end, owner=alice.person, **fields
        )

    return make


@pytest.fixture
def five_sheets(make_sheet):
    return {
        "grey": make_sheet("Alpha grey"),
        "green": make_sheet("Bravo green", overall=RAG.GREEN),
        "yellow": make_sheet("Charlie yellow", overall=RAG.YELLOW),
        "red": make_sheet("Delta red", overall=RAG.RED, recovery_plan="Recover."),
        "help": make_sheet("Echo help", overall=RAG.GREEN, help_needed="Two more workers."),
    }


def test_agenda_by_exception_with_time_boxes(rooms, five_sheets):
    entries = review.agenda(rooms["screening"])
    assert [e.sheet for e in entries] == [
        five_sheets[k] for k in ("help", "red", "yellow", "green", "grey")
    ]
    # 30 minutes shared 3:3:2:1:1.
    assert [e.allotted_seconds for e in entries] == [540, 540, 360, 180, 180]
    assert sum(e.allotted_seconds for e in entries) <= 30 * 60


def test_agenda_takes_the_latest_sheet_of_active_projects(rooms, make_sheet, bob):
    old = make_sheet(
        "Foxtrot", overall=RAG.RED, help_needed="Old.", period_end=datetime.date(2026, 9, 30)
    )
    new = make_sheet("Foxtrot", overall=RAG.GREEN)
    closed = make_sheet("Golf", overall=RAG.RED, recovery_plan="Plan.")
    Project.objects.filter(pk=closed.project_id).update(is_active=False)
    elsewhere = make_sheet("Hotel", room="school", overall=RAG.RED, recovery_plan="Plan.")
    sheets = [e.sheet for e in review.agenda(rooms["screening"])]
    assert sheets == [new]
    assert old not in sheets and elsewhere not in sheets


def test_an_open_escalation_of_the_help_puts_the_sheet_first(rooms, make_sheet, alice):
    green = make_sheet("India", overall=RAG.GREEN)
    red = make_sheet("Juliet", overall=RAG.RED, recovery_plan="Plan.")
    problem = Problem.objects.create(room=rooms["screening"], title="Staff", created_by=alice)
    green.help_escalation = Escalation.objects.create(
        from_room=rooms["screening"],
        to_room=rooms["youth"],
        problem=problem,
        title="Staff",
        reason="Two more workers.",
        sent_by=alice,
    )
    green.save()
    assert [e.sheet for e in review.agenda(rooms["screening"])] == [green, red]
    Escalation.objects.filter(pk=green.help_escalation_id).update(state=EscalationState.CLOSED)
    assert [e.sheet for e in review.agenda(rooms["screening"])] == [red, green]


def test_a_meeting_runs_through_the_agenda(rooms, five_sheets, alice):
    meeting = review.do_start_review(rooms["screening"], alice)
    assert review.do_start_review(rooms["screening"], alice) == meeting  # rejoined, not doubled
    items = list(meeting.items.all())
    assert [i.sheet for i in items] == [
        five_sheets[k] for k in ("help", "red", "yellow", "green", "grey")
    ]
    assert review.current_item(meeting) == items[0]
    decision = review.do_capture_decision(
        items[0], " Lend a worker from evaluation. ", alice.person
    )
    assert decision.sheet == five_sheets["help"]
    assert decision.text == "Lend a worker from evaluation."
    assert decision.decided_by == alice.person
    nxt = review.do_next_sheet(meeting, "Help granted.")
    assert nxt == items[1]
    review.do_end_review(meeting, "Plan accepted.")
    meeting.refresh_from_db()
    assert not meeting.is_open
    minutes = review.minutes_of(meeting)
    assert [m.item.outcome for m in minutes[:3]] == ["Help granted.", "Plan accepted.", ""]
    assert minutes[0].decisions == [decision]
    assert minutes[2].item.started_at is None  # not reviewed
    assert review.do_next_sheet(meeting) is None


@pytest.mark.urls(URLS)
def test_pages_of_the_meeting(client_for, rooms, five_sheets, alice, bob):
    client = client_for(bob)
    page = client.get(f"/projects/rooms/{rooms['screening'].code}/reviews/")
    assert page.status_code == 200
    assert page.content.decode().index("Echo help") < page.content.decode().index("Delta red")
    response = client.post(f"/projects/rooms/{rooms['screening'].code}/reviews/start/")
    meeting = SheetReviewMeeting.objects.get()
    assert response.status_code == 302 and response.url == f"/projects/reviews/{meeting.pk}/"
    page = client.get(response.url)
    assert page.status_code == 200 and "Echo help" in page.content.decode()
    # bob is a member: he runs the meeting, but does not decide (alice leads the room).
    refused = client.post(response.url, {"step": "decide", "decision": "Yes."})
    assert refused.status_code == 403
    assert client.post(response.url, {"step": "next", "outcome": "Seen."}).status_code == 302
    client = client_for(alice)
    assert client.post(response.url, {"step": "decide", "decision": "Go."}).status_code == 302
    assert SheetDecision.objects.get().sheet == five_sheets["red"]
    assert client.post(response.url, {"step": "end"}).status_code == 302
    minutes = client.get(f"/projects/reviews/{meeting.pk}/minutes/")
    assert minutes.status_code == 200
    html = minutes.content.decode()
    assert "Seen." in html and "Go." in html and "not reviewed" in html


@pytest.mark.urls(URLS)
def test_outsiders_get_404(client_for, rooms, five_sheets, alice, charlie):
    meeting = review.do_start_review(rooms["screening"], alice)
    client = client_for(charlie)
    code = rooms["screening"].code
    assert client.get(f"/projects/rooms/{code}/reviews/").status_code == 404
    assert client.post(f"/projects/rooms/{code}/reviews/start/").status_code == 404
    assert client.get(f"/projects/reviews/{meeting.pk}/").status_code == 404
    assert client.post(f"/projects/reviews/{meeting.pk}/", {"step": "end"}).status_code == 404
    assert client.get(f"/projects/reviews/{meeting.pk}/minutes/").status_code == 404
    meeting.refresh_from_db()
    assert meeting.is_open
