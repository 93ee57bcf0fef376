"""The huddle over HTTP: permissions, the whole flow, the minutes (page and PDF) and the
room's meeting measures."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pilotage.meetings.actions import (
    do_capture_action,
    do_end_meeting,
    do_record_decision,
    do_start_meeting,
)
from pilotage.meetings.models import AttendanceStatus, Meeting
from pilotage.meetings.pdf import local_only_fetcher, render_pdf
from pilotage.meetings.tests.conftest import person
from pilotage.rooms.actions import do_escalate
from pilotage.rooms.models import Action, EscalationState, Problem


def start_url(room):
    return reverse("meeting_start", kwargs={"code": room.code})


def url(name, meeting, **extra):
    return reverse(name, kwargs={"pk": meeting.pk, **extra})


@pytest.fixture
def english(alice, bob, charlie, diana):
    for user in (alice, bob, charlie, diana):
        user.language = "en"
        user.save(update_fields=["language"])


def test_outsiders_see_nothing(client_for, rooms, alice, charlie):
    meeting, _ = do_start_meeting(rooms["screening"], user=alice)
    client = client_for(charlie)
    assert client.post(start_url(rooms["screening"])).status_code == 404
    for name in ("meeting_detail", "meeting_minutes", "meeting_minutes_pdf"):
        assert client.get(url(name, meeting)).status_code == 404
    assert client.post(url("meeting_next_item", meeting)).status_code == 404
    measures = reverse("room_meeting_measures", kwargs={"code": "screening-room"})
    assert client.get(measures).status_code == 404


def test_a_leader_above_follows_the_huddle_but_does_not_run_it(client_for, rooms, alice, diana):
    """Decision 0014: diana (director of youth) sees the screening room, so she may follow
    its huddle and read its minutes; only the room's members run it."""
    client = client_for(diana)
    assert client.post(start_url(rooms["screening"])).status_code == 403
    meeting, _ = do_start_meeting(rooms["screening"], user=alice)
    page = client.get(url("meeting_detail", meeting))
    assert page.status_code == 200 and not page.context["can_run"]
    assert b'action="/meetings/%d/next/"' % meeting.pk not in page.content
    for name in ("meeting_next_item", "meeting_decision", "meeting_action", "meeting_end"):
        assert client.post(url(name, meeting)).status_code == 403
    assert client.get(url("meeting_minutes", meeting)).status_code == 200
    assert Meeting.objects.get(pk=meeting.pk).is_open


def test_starting_twice_goes_to_the_open_huddle(client_for, rooms, alice, bob):
    first = client_for(alice).post(start_url(rooms["screening"]))
    meeting = Meeting.objects.get()
    assert (
        first.status_code == 302 and first["Location"] == url("meeting_detail", meeting) + "#main"
    )
    second = client_for(bob).post(start_url(rooms["screening"]))
    assert second["Location"] == first["Location"] and Meeting.objects.count() == 1


def test_the_whole_huddle(client_for, board, english, alice, bob, diana):
    client = client_for(diana)
    room = board["room"]
    response = client.post(start_url(room))
    meeting = Meeting.objects.get(room=room)
    assert response.status_code == 302

    page = client.get(url("meeting_detail", meeting))
    assert page.status_code == 200 and page.context["can_run"]
    assert b"Phones ring unanswered" in page.content and b"data-countdown" in page.content
    assert b"<script>" not in page.content and b"style=" not in page.content

    client.post(
        url("meeting_attendance", meeting),
        {"present": [person(diana).pk, person(alice).pk], "excused": []},
    )
    statuses = dict(meeting.attendances.values_list("person__user__username", "status"))
    assert statuses == {"diana": "present", "alice": "present"}
    client.post(
        url("meeting_roles", meeting),
        {"facilitator": person(diana).pk, "secretary": person(alice).pk, "timekeeper": ""},
    )
    meeting.refresh_from_db()
    assert meeting.facilitator == person(diana) and meeting.timekeeper is None

    client.post(url("meeting_next_item", meeting), {"current": ""})
    signal = meeting.current_item()
    assert signal.title == "Waiting list"
    page = client.get(url("meeting_detail", meeting))
    assert page.context["current"] == signal and page.context["item_remaining"] <= 400
    client.post(url("meeting_next_item", meeting), {"current": signal.pk, "outcome": "Seen"})
    current = meeting.current_item()
    assert current.title == "Delay to evaluation"

    response = client.post(
        url("meeting_decision", meeting),
        {
            "text": "Review the evaluation process",
            "agree": 3,
            "can_live_with": 1,
            "cannot_live_with": 0,
        },
    )
    assert response.status_code == 302
    decision = meeting.decisions.get()
    assert decision.reached and decision.item == current

    due = timezone.localdate() + datetime.timedelta(days=14)
    response = client.post(
        url("meeting_action", meeting),
        {"title": "Map the evaluation steps", "owner": person(alice).pk, "due": due.isoformat()},
    )
    assert response.status_code == 302
    action = Action.objects.get(title="Map the evaluation steps")
    assert action.room == room and action.indicator == board["delay"] and action.due == due

    response = client.post(url("meeting_end", meeting))
    assert response["Location"] == url("meeting_minutes", meeting)
    meeting.refresh_from_db()
    assert not meeting.is_open
    assert client.get(url("meeting_detail", meeting))["Location"] == url("meeting_minutes", meeting)

    minutes = client.get(url("meeting_minutes", meeting))
    text = minutes.content.decode()
    assert "Review the evaluation process" in text and "Map the evaluation steps" in text
    assert "Consensus reached" in text and "Alice Test" in text and "Seen" in text
    assert [i.title for i in minutes.context["minutes"].not_reached][:1] == [
        "Phones ring unanswered"
    ]
    assert "No decision or action came out" not in text


def test_a_bad_decision_form_comes_back_with_its_errors(client_for, rooms, alice):
    meeting, _ = do_start_meeting(rooms["screening"], user=alice)
    response = client_for(alice).post(
        url("meeting_decision", meeting),
        {"text": "", "agree": -1, "can_live_with": 0, "cannot_live_with": 0},
    )
    assert response.status_code == 400 and not meeting.decisions.exists()
    assert response.context["decision_form"].errors.keys() == {"text", "agree"}


def test_the_room_can_decide_an_escalation_from_the_huddle(client_for, board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    item = meeting.items.get(kind="escalation_received")
    client = client_for(diana)
    client.post(url("meeting_start_item", meeting, item_pk=item.pk))
    page = client.get(url("meeting_detail", meeting))
    assert "escalation_decision" in page.context["decision_form"].fields
    client.post(
        url("meeting_decision", meeting),
        {
            "text": "Lend two workers",
            "agree": 2,
            "can_live_with": 0,
            "cannot_live_with": 0,
            "escalation_decision": "solved",
        },
    )
    board["received"].refresh_from_db()
    assert board["received"].state == EscalationState.DECIDED
    assert board["received"].decided_by == diana


def test_a_member_who_does_not_lead_cannot_decide_an_escalation(client_for, rooms, alice, bob):
    """bob is a member of the trajectory room (his team is one of its teams) but does not
    lead it (its leaders are those of youth, where it is anchored)."""
    problem = Problem.objects.create(room=rooms["screening"], title="Hand-offs get lost")
    escalation = do_escalate(problem, rooms["trajectory"], "Between teams", user=alice)
    meeting, _ = do_start_meeting(rooms["trajectory"], user=bob)
    item = meeting.items.get(kind="escalation_received")
    client = client_for(bob)
    client.post(url("meeting_start_item", meeting, item_pk=item.pk))
    page = client.get(url("meeting_detail", meeting))
    assert "escalation_decision" not in page.context["decision_form"].fields
    client.post(
        url("meeting_decision", meeting),
        {
            "text": "Ask the director",
            "agree": 2,
            "can_live_with": 0,
            "cannot_live_with": 0,
            "escalation_decision": "solved",
        },
    )
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.SENT
    assert meeting.decisions.get().text == "Ask the director"


def test_the_minutes_as_pdf_in_the_readers_language(client_for, rooms, english, alice, bob):
    meeting, _ = do_start_meeting(rooms["screening"], user=alice)
    do_record_decision(
        meeting,
        "Answer every call within the day",
        agree=1,
        can_live_with=0,
        cannot_live_with=1,
        user=alice,
    )
    do_end_meeting(meeting, user=alice)
    response = client_for(bob).get(url("meeting_minutes_pdf", meeting))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Answer every call within the day" in text
    assert "Minutes of the huddle of Screening-Room" in text
    assert "Consensus not reached" in text


def test_the_pdf_fetches_nothing(monkeypatch):
    fetcher = local_only_fetcher()
    for address in ("http://example.org/x.png", "https://example.org/", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher(address)

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF tried to open a connection")

    monkeypatch.setattr("socket.create_connection", no_network)
    html = '<p>x</p><img src="http://example.org/x.png"><img src="file:///etc/passwd">'
    assert render_pdf(html).startswith(b"%PDF")


def test_a_meeting_without_decision_or_action_is_flagged(client_for, rooms, alice, bob):
    idle, _ = do_start_meeting(rooms["screening"], user=alice)
    do_end_meeting(idle, user=alice)
    useful, _ = do_start_meeting(rooms["screening"], user=alice)
    do_record_decision(
        useful, "Keep the rota", agree=2, can_live_with=0, cannot_live_with=0, user=alice
    )
    useful.attendances.filter(person=person(bob)).update(status=AttendanceStatus.PRESENT)
    do_end_meeting(useful, user=alice)
    response = client_for(bob).get(
        reverse("room_meeting_measures", kwargs={"code": "screening-room"})
    )
    assert response.status_code == 200
    measures = {m.meeting: m for m in response.context["measures"]}
    assert measures[idle].without_decision_or_action
    assert not measures[useful].without_decision_or_action
    assert measures[useful].attendance_rate == 1.0 and measures[idle].attendance_rate == 0.5
    assert measures[useful].decisions == 1 and measures[useful].actions == 0
    summary = response.context["summary"]
    assert summary.held == 2 and summary.without_decision_or_action == 1
    assert response.content.count(b"row--flagged") == 1
    minutes = client_for(bob).get(url("meeting_minutes", idle))
    assert b'class="flag"' in minutes.content


def test_the_huddle_page_queries_do_not_grow_with_the_meeting(client_for, board, diana):
    meeting, _ = do_start_meeting(board["room"], user=diana)
    client = client_for(diana)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("meeting_detail", meeting)).status_code == 200
        return len(captured.captured_queries)

    do_record_decision(meeting, "D", agree=1, can_live_with=0, cannot_live_with=0, user=diana)
    do_capture_action(meeting, "A", owner=None, due=None, user=diana)
    before = queries()
    for n in range(4):
        do_record_decision(
            meeting, f"D{n}", agree=1, can_live_with=0, cannot_live_with=0, user=diana
        )
        do_capture_action(meeting, f"A{n}", owner=person(diana), due=None, user=diana)
    assert queries() == before


def test_any_member_can_be_named_to_present_an_item(
    client_for, board, english, alice, diana, charlie
):
    client = client_for(diana)
    room = board["room"]
    client.post(start_url(room))
    meeting = Meeting.objects.get(room=room)
    client.post(url("meeting_next_item", meeting), {"current": ""})
    item = meeting.current_item()
    presenter_url = reverse("meeting_item_presenter", args=[meeting.pk, item.pk])
    response = client.post(presenter_url, {"presenter": person(alice).pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.presenter == person(alice)
    assert "Presented by Alice Test" in client.get(url("meeting_detail", meeting)).text
    # Someone not on the meeting's list cannot be named, and nothing changes.
    client.post(presenter_url, {"presenter": person(charlie).pk})
    item.refresh_from_db()
    assert item.presenter == person(alice)
    client.post(url("meeting_end", meeting))
    assert "Presented by Alice Test" in client.get(url("meeting_minutes", meeting)).text
