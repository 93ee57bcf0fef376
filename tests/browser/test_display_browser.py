"""The TV display in Debian's chromium at 1920×1080: the board with its update time, the
banner when the server cannot be reached, the board again when it can, and the screen
cleared when the link is revoked. Playwright's clock moves time on, so no test waits a real
minute."""

import datetime
import os
import secrets

import pytest
from django.utils import timezone

from pilotage.indicators.models import Indicator, Target, Value
from pilotage.organisation.models import Person
from pilotage.rooms.display_views import token_hash
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    DecisionKind,
    DisplayToken,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
    RoomTemplate,
)

from .support import ZONES, chromium

MONDAY = datetime.date(2024, 1, 1)
STEADY = [10, 11, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9]

#: The zones and tiles whose content does not fit their box (a class name each).
CUT_BOXES = """
[...document.querySelectorAll('.zone, .tile')]
  .filter((box) => box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)
  .map((box) => box.className)
"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _sync_database_calls_beside_playwright():
    """Playwright's sync API runs an event loop in this thread, and Django then refuses
    database calls; the test's own calls (fixtures, checks) are synchronous and safe. Set for
    this module only: a variable left set would reach other tests' subprocesses (and
    `check --deploy` rightly fails on it)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def _indicator(org, code, name, values, direction="decrease", unit="", target=None, **extra):
    indicator = Indicator.objects.create(
        code=code,
        name_en=name,
        name_fr=name,
        dimension=extra.pop("dimension", "accessibility"),
        kind=extra.pop("kind", "mean"),
        direction=direction,
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        measure_unit_en=unit,
        measure_unit_fr=unit,
        **extra,
    )
    if target is not None:
        Target.objects.create(indicator=indicator, value=target, effective_from=MONDAY)
    Value.objects.bulk_create(
        Value(
            indicator=indicator,
            unit=org["screening"],
            period=MONDAY + datetime.timedelta(weeks=i),
            value=v,
            source="entered",
        )
        for i, v in enumerate(values)
    )
    return indicator


@pytest.fixture
def screen(live_server, transactional_db, org, alice, bob, diana):
    """A full screening board on a live server, and its display link."""
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
            kind="unit",
            name_en=name,
            name_fr=name,
            template=template,
            zones=ZONES,
            cadence="weekly",
            time_box_minutes=30,
        )

    screening = room("screening-room", org["screening"], "Screening — daily huddle")
    youth = room("youth-room", org["youth"], "Youth protection")
    delay = _indicator(
        org,
        "delay",
        "Delay to evaluation",
        [*STEADY, 31],
        unit="days",
        target=12,
        is_outcome=True,
    )
    served = _indicator(
        org,
        "served",
        "Evaluated within 12 days",
        [80 + (i % 3) for i in range(19)] + [60],
        direction="increase",
        unit="%",
        target=90,
        kind="rate",
    )
    _indicator(
        org,
        "waiting",
        "Waiting list",
        [40 - i for i in range(20)],
        kind="count",
        unit="children",
        target=30,
    )
    _indicator(
        org, "handoffs", "Hand-offs per episode", STEADY + [10], target=12, dimension="continuity"
    )
    _indicator(
        org,
        "rereferrals",
        "Re-referrals within 12 months",
        STEADY + [10],
        unit="%",
        dimension="continuity",
    )
    _indicator(
        org,
        "absence",
        "Absence rate",
        [v / 2 for v in STEADY] + [9],
        unit="%",
        target=4,
        dimension="well_being",
    )
    _indicator(
        org,
        "overtime",
        "Overtime per FTE",
        STEADY + [11],
        unit="h",
        target=20,
        dimension="well_being",
    )
    _indicator(
        org,
        "pulse",
        "Team pulse",
        [3.5] * 20,
        direction="increase",
        target=3,
        dimension="well_being",
    )

    bob_person = Person.objects.get(user=bob)
    alice_person = Person.objects.get(user=alice)
    first = Problem.objects.create(
        room=screening, title="Reports wait for a free worker on Mondays", indicator=delay
    )
    Problem.objects.create(
        room=screening, title="Forms sent twice to the school", status=ProblemStatus.ANALYSING
    )
    Problem.objects.create(
        room=screening,
        title="Phone line saturated at 9 am",
        status=ProblemStatus.ACTION,
        indicator=served,
    )
    Problem.objects.create(
        room=screening,
        title="Unclear hand-off rules with evaluation",
        status=ProblemStatus.ESCALATED,
    )
    Problem.objects.create(
        room=screening, title="Printer", status=ProblemStatus.SOLVED, solved_at=timezone.now()
    )
    today = timezone.localdate()
    Action.objects.create(
        room=screening,
        title="Call the on-call team on Monday mornings",
        owner=bob_person,
        due=today - datetime.timedelta(days=3),
    )
    Action.objects.create(
        room=screening,
        title="Second phone line at peak hours",
        owner=alice_person,
        due=today + datetime.timedelta(days=5),
        status=ActionStatus.DOING,
        indicator=served,
    )
    Action.objects.create(
        room=screening,
        title="One form for school reports",
        owner=bob_person,
        due=today + datetime.timedelta(days=12),
    )
    Escalation.objects.create(
        from_room=screening,
        to_room=youth,
        problem=first,
        title="A second screener on Mondays",
        reason="Beyond the team's budget",
        state=EscalationState.DECIDED,
        decision=DecisionKind.SOLVED,
        decision_text="Funded until June",
        decided_at=timezone.now(),
    )
    Escalation.objects.create(
        from_room=screening,
        to_room=youth,
        problem=first,
        title="Hand-off rules",
        reason="Between two teams",
    )
    thanks = Recognition.objects.create(
        room=screening, text="Thanks for covering the weekend reports"
    )
    thanks.people.add(bob_person)
    Recognition.objects.create(room=screening, text="Waiting list down for 8 weeks in a row")

    token = secrets.token_urlsafe(32)
    link = DisplayToken.objects.create(
        room=screening, label="TV room 2.14", token_hash=token_hash(token)
    )
    return f"{live_server.url}/rooms/display/{token}/", link, screening


def test_the_screen_warns_when_the_server_is_lost_and_recovers(screen, browser, tmp_path):
    from playwright.sync_api import expect

    url, link, room = screen
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="en-CA")
    page.clock.install()
    response = page.goto(url)
    assert response is not None and response.status == 200
    updated = page.locator(".board-updated")
    expect(updated).to_contain_text("Updated at")
    shown_at = updated.inner_text()
    banner = page.get_by_role("alert")
    expect(banner).to_be_hidden()
    page.screenshot(path=str(tmp_path / "display-1920x1080.png"))
    # Everything fits the screen: nothing scrolls on a TV, and no zone or tile is cut.
    assert page.evaluate(
        "document.documentElement.scrollWidth <= 1920"
        " && document.documentElement.scrollHeight <= 1080"
    )
    assert page.evaluate(CUT_BOXES) == []

    # The server cannot be reached: the board stays, under a banner saying since when.
    page.route("**/fragment/**", lambda route: route.abort())
    page.clock.fast_forward(61_000)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Connection lost")
    expect(banner).to_contain_text(shown_at.split()[-1])
    expect(page.get_by_text("Reports wait for a free worker on Mondays")).to_be_visible()
    page.screenshot(path=str(tmp_path / "display-offline.png"))

    # It can again: the banner goes and the board is fresh.
    Problem.objects.create(room=room, title="A problem raised while the screen was offline")
    page.unroute("**/fragment/**")
    page.clock.fast_forward(61_000)
    expect(banner).to_be_hidden()
    expect(page.get_by_text("A problem raised while the screen was offline")).to_be_visible()

    # Revoked: the board leaves the screen.
    DisplayToken.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    page.clock.fast_forward(61_000)
    expect(page.get_by_role("heading", name="This display link has been revoked")).to_be_visible()
    expect(page.get_by_text("Reports wait for a free worker on Mondays")).to_have_count(0)


def test_a_server_error_also_shows_the_banner(screen, browser):
    from playwright.sync_api import expect

    url, _, _ = screen
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="en-CA")
    page.clock.install()
    page.goto(url)
    page.route("**/fragment/**", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.clock.fast_forward(61_000)
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("[data-display-board]")).to_have_count(1)


def test_a_leader_makes_a_link_and_the_screen_opens_it(screen, browser, alice, tmp_path):
    from django.test import Client
    from playwright.sync_api import expect

    url, _, room = screen
    base = url.split("/rooms/")[0]
    client = Client()
    client.force_login(alice)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-CA")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    page = context.new_page()
    page.goto(f"{base}/rooms/{room.code}/display-links/")
    expect(page.get_by_role("rowheader", name="TV room 2.14")).to_be_visible()
    page.get_by_role("textbox", name="Screen").fill("TV corridor")
    page.get_by_role("button", name="Create the link").click()
    link = page.get_by_role("textbox", name="Display link").input_value()
    assert link.startswith(base + "/rooms/display/")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # display.js enhances
    page.screenshot(path=str(tmp_path / "display-links.png"), full_page=True)

    # The screen: a fresh browser, no session.
    tv = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="en-CA")
    tv.goto(link)
    expect(tv.get_by_role("heading", level=1)).to_have_text(room.name)
    tv.close()
    context.close()
