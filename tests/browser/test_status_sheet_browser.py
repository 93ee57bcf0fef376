"""A status sheet in Debian's chromium: a person logs in with the login form, marks the sheet
red without a plan and is told why it is refused, adds a recovery plan and saves, then asks the
room above for help, and the request is on that room's board."""

import datetime

import pytest

from pilotage.projects.models import Project, StatusSheet
from pilotage.rooms.models import Room, RoomKind, RoomTemplate

from .support import ZONES, chromium

PASSWORD = "correct horse battery"  # alice's, from the root conftest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def _sync_database_calls_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread, and Django then refuses
    database calls; the test's own calls are synchronous and safe. Set for this test only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(_sync_database_calls_beside_playwright):
    with chromium() as browser:
        yield browser


@pytest.fixture
def sheet(live_server, transactional_db, org, alice, diana):
    template = RoomTemplate.objects.create(
        code="standard",
        name_en="Standard",
        name_fr="Standard",
        zones=ZONES,
        cadence="weekly",
        time_box_minutes=30,
    )

    def room(code, unit, name):
        return Room.objects.create(
            code=code,
            unit=unit,
            kind=RoomKind.UNIT,
            name_en=name,
            name_fr=name,
            template=template,
            zones=ZONES,
            cadence="weekly",
            time_box_minutes=30,
        )

    screening = room("screening-room", org["screening"], "Screening room")
    room("youth-room", org["youth"], "Youth room")
    project = Project.objects.create(
        code="one-team",
        name="One team for the family",
        objective="Fewer hand-offs.",
        owner=alice.person,
        room=screening,
        theme="structure",
        horizon="long",
        approach="relational",
    )
    return StatusSheet.objects.create(
        project=project, period_end=datetime.date(2026, 10, 31), owner=alice.person
    )


def test_write_a_red_sheet_and_ask_for_help(live_server, browser, sheet):
    page = browser.new_page(locale="en-GB")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"{live_server.url}/projects/sheets/{sheet.pk}/edit/")
    page.check("input[name=overall][value=red]")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("A red status needs a recovery plan").first.is_visible()
    sheet.refresh_from_db()
    assert sheet.overall == "grey"

    page.fill("textarea[name=recovery_plan]", "Two workers lent by evaluation until March.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/projects/sheets/{sheet.pk}/")
    sheet.refresh_from_db()
    assert sheet.overall == "red"
    assert sheet.recovery_plan.startswith("Two workers")

    page.goto(f"{live_server.url}/projects/sheets/{sheet.pk}/help/")
    page.fill("textarea[name=text]", "We need a second evaluator for six months.")
    page.get_by_role("button", name="Ask for help").click()
    page.wait_for_url(f"**/projects/sheets/{sheet.pk}/")
    sheet.refresh_from_db()
    assert sheet.help_escalation is not None
    assert sheet.help_escalation.to_room.code == "youth-room"

    page.goto(f"{live_server.url}/rooms/youth-room/")
    assert page.get_by_text("Help needed: One team for the family").first.is_visible()
    page.close()
