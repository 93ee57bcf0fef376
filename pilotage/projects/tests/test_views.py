import datetime

import pytest
from django.urls import reverse

from pilotage.organisation.models import Membership, Role
from pilotage.projects.actions import do_record_decision, do_save_sheet, do_start_sheet
from pilotage.projects.models import SheetComment, SheetDecision, StatusSheet
from pilotage.projects.views import leadership_table
from pilotage.rooms.models import Escalation


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_project_pages(client_for, alice, project, sheet):
    client = client_for(alice)
    page = client.get(reverse("project_list", args=["screening-room"]))
    assert page.status_code == 200 and "One team for the family" in page.text
    page = client.get(reverse("project_detail", args=[project.code]))
    assert page.status_code == 200
    assert "Overdue" in page.text and "Concern (high values)" in page.text
    assert "Consistently" in page.text or "consistently" in page.text


def test_outsider_gets_404(client_for, charlie, project, sheet):
    client = client_for(charlie)
    assert client.get(reverse("project_detail", args=[project.code])).status_code == 404
    assert client.get(reverse("sheet_detail", args=[sheet.pk])).status_code == 404
    assert client.post(reverse("sheet_publish", args=[sheet.pk])).status_code == 404


def test_staff_without_role_cannot_publish_or_decide(client_for, bob, sheet):
    client = client_for(bob)
    assert client.get(reverse("sheet_detail", args=[sheet.pk])).status_code == 200
    assert client.post(reverse("sheet_publish", args=[sheet.pk])).status_code == 403
    assert client.get(reverse("sheet_edit", args=[sheet.pk])).status_code == 403
    response = client.post(reverse("sheet_decision", args=[sheet.pk]), {"text": "x"})
    assert response.status_code == 403
    assert StatusSheet.objects.get(pk=sheet.pk).published_at is None


def test_member_can_edit_and_owner_publish(client_for, alice, bob, project, sheet):
    project.members.add(bob.person)
    client = client_for(bob)
    data = {"owner": alice.person.pk, "overall": "yellow", "version": 1}
    data |= {d: "grey" for d in ("scope", "schedule", "results", "resources", "risks")}
    response = client.post(reverse("sheet_edit", args=[sheet.pk]), data)
    assert response.status_code == 302
    assert StatusSheet.objects.get(pk=sheet.pk).overall == "yellow"
    client = client_for(alice)
    assert client.post(reverse("sheet_publish", args=[sheet.pk])).status_code == 302
    assert StatusSheet.objects.get(pk=sheet.pk).is_published


def _form(alice, **changes):
    data = {"owner": alice.person.pk, "overall": "grey", "version": 1}
    data |= {d: "grey" for d in ("scope", "schedule", "results", "resources", "risks")}
    return data | changes


def test_red_without_plan_is_a_field_error(client_for, alice, sheet):
    response = client_for(alice).post(
        reverse("sheet_edit", args=[sheet.pk]), _form(alice, overall="red")
    )
    assert response.status_code == 400
    assert "recovery plan" in response.context["form"].errors["recovery_plan"][0]
    assert StatusSheet.objects.get(pk=sheet.pk).overall == "grey"


def test_stale_edit_is_409(client_for, alice, sheet):
    do_save_sheet(sheet, 1, {"overall": "green"}, alice)
    response = client_for(alice).post(
        reverse("sheet_edit", args=[sheet.pk]), _form(alice, overall="yellow")
    )
    assert response.status_code == 409
    assert "Someone else changed this sheet" in response.text
    assert StatusSheet.objects.get(pk=sheet.pk).overall == "green"


def test_watermelon_warning_shown(client_for, alice, sheet):
    do_save_sheet(sheet, 1, {"overall": "green"}, alice)
    page = client_for(alice).get(reverse("sheet_detail", args=[sheet.pk]))
    assert 'class="watermelon" role="alert"' in page.text
    assert "special cause of concern" in page.text


def test_help_request_view(client_for, alice, sheet, rooms):
    client = client_for(alice)
    url = reverse("sheet_help", args=[sheet.pk])
    assert client.post(url, {"text": "", "to_room": rooms["youth"].pk}).status_code == 400
    response = client.post(url, {"text": "Two evaluators", "to_room": rooms["youth"].pk})
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.to_room == rooms["youth"]
    page = client.get(reverse("room_escalations", args=["youth-room"]))
    assert "Help needed: One team for the family" in page.text


def test_decision_and_threaded_comments(client_for, alice, bob, diana, sheet):
    client = client_for(diana)
    response = client.post(
        reverse("sheet_decision", args=[sheet.pk]), {"text": "Go", "decided_by": alice.person.pk}
    )
    assert response.status_code == 302
    assert SheetDecision.objects.get().decided_by == alice.person
    client = client_for(bob)
    client.post(reverse("sheet_comment", args=[sheet.pk]), {"text": "First"})
    parent = SheetComment.objects.get()
    client.post(reverse("sheet_comment", args=[sheet.pk]), {"text": "Reply", "parent": parent.pk})
    assert parent.replies.get().text == "Reply"
    page = client.get(reverse("sheet_detail", args=[sheet.pk]))
    assert "First" in page.text and "Reply" in page.text


def test_start_sheet_view(client_for, alice, project, sheet):
    response = client_for(alice).post(
        reverse("sheet_start", args=[project.code]), {"period_end": "2026-07-31"}
    )
    new = StatusSheet.objects.get(period_end=datetime.date(2026, 7, 31))
    assert response.status_code == 302 and response.url == reverse("sheet_edit", args=[new.pk])


def test_leadership_table(client_for, org, alice, bob, diana, project, sheet):
    sheet.presenter = bob.person
    sheet.save()
    next_sheet = do_start_sheet(project, datetime.date(2026, 9, 30), alice)
    next_sheet.owner = bob.person
    next_sheet.save()
    do_record_decision(sheet, "Go", diana.person, diana)
    do_record_decision(sheet, "Ask", bob.person, diana)
    rows = {row["quarter"]: row for row in leadership_table(org["youth"])}
    q2, q3 = rows["2026 Q2"], rows["2026 Q3"]
    assert q2["owned_leading"] == 1 and q2["presented_other"] == 1
    assert q3["owned_other"] == 1 and q3["presented_other"] == 1
    today = datetime.date.today()
    quarter = f"{today.year} Q{(today.month - 1) // 3 + 1}"
    assert rows[quarter]["decided_leading"] == 1 and rows[quarter]["decided_other"] == 1
    page = client_for(diana).get(reverse("leadership_signals", args=["youth"]))
    assert page.status_code == 200 and "Bob" not in page.text
    assert leadership_table(org["family"]) == []
    Membership.objects.filter(person=bob.person).update(role=Role.MANAGER)
    rows = {row["quarter"]: row for row in leadership_table(org["youth"])}
    assert rows["2026 Q3"]["owned_leading"] == 1


def test_forms_render_and_project_create(client_for, alice, bob, project, sheet, rooms):
    client = client_for(alice)
    page = client.get(reverse("sheet_edit", args=[sheet.pk]))
    assert page.status_code == 200 and 'type="radio"' in page.text
    assert client.get(reverse("sheet_help", args=[sheet.pk])).status_code == 200
    assert client.get(reverse("project_edit", args=[project.code])).status_code == 200
    url = reverse("project_create", args=["screening-room"])
    assert client.get(url).status_code == 200
    data = {
        "code": "intake",
        "name": "Shared intake",
        "objective": "One intake",
        "owner": bob.person.pk,
        "theme": "people",
        "horizon": "short",
        "approach": "structural",
        "start": "2026-01-01",
        "is_active": "on",
        "indicators-TOTAL_FORMS": 1,
        "indicators-INITIAL_FORMS": 0,
        "indicators-0-indicator": project.indicators.first().indicator_id,
        "indicators-0-unit": project.room.unit_id,
        "indicators-0-target": "20",
        "milestones-TOTAL_FORMS": 0,
        "milestones-INITIAL_FORMS": 0,
    }
    assert client.post(url, data).status_code == 302
    created = rooms["screening"].projects.get(code="intake")
    assert created.indicators.get().target == 20
    assert client_for(bob).get(url).status_code == 403


def test_project_form_saves_milestones_and_indicators(client_for, alice, project, indicators):
    data = {
        "code": project.code,
        "name": project.name,
        "objective": project.objective,
        "owner": alice.person.pk,
        "theme": "structure",
        "horizon": "long",
        "approach": "relational",
        "start": "2026-01-01",
        "is_active": "on",
        "indicators-TOTAL_FORMS": 0,
        "indicators-INITIAL_FORMS": 0,
        "milestones-TOTAL_FORMS": 1,
        "milestones-INITIAL_FORMS": 0,
        "milestones-0-title": "Go live",
        "milestones-0-due": "2026-12-01",
    }
    response = client_for(alice).post(reverse("project_edit", args=[project.code]), data)
    assert response.status_code == 302
    assert project.milestones.filter(title="Go live").exists()
    assert project.indicators.count() == 2


def test_css_colours_match_rag_colours():
    from pathlib import Path

    from pilotage.projects.models import RAG_COLOURS

    css = (Path(__file__).parents[2] / "static/pilotage/projects.css").read_text()
    for status, colour in RAG_COLOURS.items():
        assert f".rag--{status} {{ background: {colour}; }}" in css


def test_a_hidden_small_count_stays_hidden_among_linked_indicators(client_for, alice, org, project):
    """A computed count linked to a project reads as on the indicator page: its last value,
    a small count, is shown by its mark, never as the number."""
    from pilotage.indicators.tests.counts import SCREENING, computed_requests
    from pilotage.projects.models import ProjectIndicator

    indicator = computed_requests(org)
    ProjectIndicator.objects.create(project=project, indicator=indicator, unit=org["screening"])
    html = client_for(alice).get(reverse("project_detail", args=[project.code])).content.decode()
    row = html.split(">New requests<", 1)[1].split("</tr>", 1)[0]
    assert SCREENING[-1] < 5
    assert f">{SCREENING[-1]} (" not in row and f"{SCREENING[-1]} (" not in row
    assert 'class="hidden-value"' in row and "&lt; 5" in row
