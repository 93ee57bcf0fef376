"""The TV display: links made and revoked by the room's leaders, and the board shown with a
token instead of a login, read-only, scoped to one room."""

import datetime
import hashlib
import re
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
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
)

MONDAY = datetime.date(2024, 1, 1)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def make_token(room, label="TV room 2.14", **extra):
    token = secrets.token_urlsafe(32)
    link = DisplayToken.objects.create(
        room=room, label=label, token_hash=token_hash(token), **extra
    )
    return token, link


def screen_url(token):
    return reverse("room_display", args=[token])


def fragment_url(token):
    return reverse("room_display_fragment", args=[token])


@pytest.fixture
def screen(rooms):
    """A display link of the screening room."""
    return make_token(rooms["screening"])


@pytest.fixture
def board(rooms, org, alice, bob):
    """The screening board with something in every zone, and the school board beside it."""
    screening, youth = rooms["screening"], rooms["youth"]
    delay = Indicator.objects.create(
        code="eval-delay",
        name_en="Delay to evaluation",
        name_fr="Délai avant l’évaluation",
        dimension="accessibility",
        kind="mean",
        direction="decrease",
        frequency="weekly",
        owner_unit=org["youth"],
        source="entered",
        is_outcome=True,
        measure_unit_en="days",
        measure_unit_fr="jours",
    )
    Target.objects.create(indicator=delay, value=12, effective_from=MONDAY)
    values = [10, 11, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 31]
    Value.objects.bulk_create(
        Value(
            indicator=delay,
            unit=org["screening"],
            period=MONDAY + datetime.timedelta(weeks=i),
            value=v,
            source="entered",
        )
        for i, v in enumerate(values)
    )
    Problem.objects.create(
        room=screening,
        title="Reports wait for a free worker",
        description="Private notes that stay on the board page",
        created_by=bob,
    )
    analysing = Problem.objects.create(
        room=screening, title="Forms sent twice", status=ProblemStatus.ANALYSING
    )
    Problem.objects.create(
        room=screening,
        title="Old solved problem",
        status=ProblemStatus.SOLVED,
        solved_at=timezone.now() - datetime.timedelta(days=90),
    )
    bob_person = Person.objects.get(user=bob)
    Action.objects.create(
        room=screening,
        title="Call the on-call team",
        owner=bob_person,
        due=timezone.localdate() - datetime.timedelta(days=3),
    )
    Action.objects.create(
        room=screening,
        title="Review the intake form",
        status=ActionStatus.DOING,
        due=timezone.localdate() + datetime.timedelta(days=7),
    )
    Action.objects.create(room=screening, title="Finished work", status=ActionStatus.DONE)
    Escalation.objects.create(
        from_room=screening,
        to_room=youth,
        problem=analysing,
        title="Need a second screener",
        reason="A reason that stays on the board page",
        state=EscalationState.DECIDED,
        decision=DecisionKind.SOLVED,
        decision_text="A decision text that stays on the board page",
        decided_at=timezone.now(),
    )
    thanks = Recognition.objects.create(room=screening, text="Thanks for the weekend cover")
    thanks.people.add(bob_person)
    Problem.objects.create(room=rooms["school"], title="School-only problem")
    return screening


# --- Making and revoking links ---------------------------------------------------------------


def test_a_leader_creates_a_link_shown_once_and_only_its_hash_is_kept(rooms, alice, client_for):
    client = client_for(english(alice))
    url = reverse("display_create", args=["screening-room"])
    response = client.post(url, {"label": "TV room 2.14"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    html = response.content.decode()
    match = re.search(r"/rooms/display/([A-Za-z0-9_-]{43})/", html)
    assert match, "the new link is shown in full"
    token = match.group(1)
    assert "http://testserver/rooms/display/" + token + "/" in html

    link = DisplayToken.objects.get()
    assert link.room == rooms["screening"] and link.label == "TV room 2.14"
    assert link.created_by == alice
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(list(DisplayToken.objects.values()))

    # Shown once: the list afterwards names the screen but no longer holds the link.
    listing = client.get(reverse("display_links", args=["screening-room"]))
    assert listing.status_code == 200
    assert "TV room 2.14" in listing.content.decode()
    assert token not in listing.content.decode()


def test_a_link_needs_a_screen_name(rooms, alice, client_for):
    client = client_for(english(alice))
    response = client.post(reverse("display_create", args=["screening-room"]), {"label": " "})
    assert response.status_code == 302
    assert not DisplayToken.objects.exists()


def test_a_leader_revokes_a_link(rooms, alice, client_for, screen):
    token, link = screen
    client = client_for(english(alice))
    response = client.post(reverse("display_revoke", args=["screening-room", link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(screen_url(token)).status_code == 410


def test_a_link_of_another_room_cannot_be_revoked_from_this_one(rooms, diana, client_for):
    _, other = make_token(rooms["evaluation"])
    client = client_for(diana)  # leads youth, so both rooms
    response = client.post(reverse("display_revoke", args=["screening-room", other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


@pytest.mark.parametrize(("person", "status"), [("bob", 403), ("charlie", 404)])
def test_only_leaders_make_see_and_revoke_links(rooms, screen, client_for, request, person, status):
    _, link = screen
    client = client_for(request.getfixturevalue(person))
    assert client.get(reverse("display_links", args=["screening-room"])).status_code == status
    response = client.post(reverse("display_create", args=["screening-room"]), {"label": "Mine"})
    assert response.status_code == status
    response = client.post(reverse("display_revoke", args=["screening-room", link.pk]))
    assert response.status_code == status
    assert DisplayToken.objects.count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_links_page_needs_a_login(rooms, client):
    response = client.get(reverse("display_links", args=["screening-room"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The screen ---------------------------------------------------------------------------


def test_the_display_opens_without_login_and_creates_no_session(board, screen, client):
    token, _ = screen
    response = client.get(screen_url(token), **ENGLISH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Screening" in html  # the room's name
    assert not response.cookies  # no session, no CSRF cookie: nothing but the token
    assert "_auth_user_id" not in client.session


def test_the_display_shows_the_board_in_words(board, screen, client):
    token, _ = screen
    html = client.get(screen_url(token), **ENGLISH).content.decode()
    # Indicator tile: name, last value with its unit, target, the reading in words.
    assert "Delay to evaluation" in html
    assert "31.0\N{NO-BREAK SPACE}days" in html or "31\N{NO-BREAK SPACE}days" in html
    assert "at most 12" in html
    assert "Concern (high values)" in html
    assert "Red without action" in html
    # Problems: counts by status and the open titles (never the description).
    assert "Reports wait for a free worker" in html and "Forms sent twice" in html
    assert "Private notes" not in html
    assert "Old solved problem" not in html
    # Actions: owner, due date, overdue in words; done ones gone.
    assert "Call the on-call team" in html and "Bob Test" in html and "OVERDUE" in html
    assert "Finished work" not in html
    # Escalations: the decision to acknowledge by its title and kind, not its texts.
    assert "To acknowledge: Need a second screener (Solved)" in html
    sent, received = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    assert "Sent" in sent and re.findall(r"</span> (\d+)</td>", sent) == ["0", "1"]
    assert "Received" in received and re.findall(r"</span> (\d+)</td>", received) == ["0", "0"]
    assert "A reason that stays" not in html and "A decision text" not in html
    # Recognition, and when the board was read.
    assert "Thanks for the weekend cover" in html
    shown = re.search(r"Updated at (\d\d:\d\d)", html).group(1)
    now = timezone.localtime()
    assert shown in {f"{t:%H:%M}" for t in (now, now - datetime.timedelta(minutes=1))}


def test_the_display_is_read_only_with_one_static_script(board, screen, client):
    token, _ = screen
    for url in (screen_url(token), fragment_url(token)):
        html = client.get(url, **ENGLISH).content.decode()
        assert "<form" not in html and "<input" not in html and "<button" not in html
        assert " style=" not in html
        assert "csrfmiddlewaretoken" not in html
    html = client.get(screen_url(token)).content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts == [""]  # one script, no inline code
    assert re.search(r'<script src="/static/pilotage/display\.js" defer>', html)
    assert '<meta http-equiv="refresh" content="60">' in html  # inside <noscript>
    assert re.search(r"<noscript>\s*<meta http-equiv=\"refresh\"", html)


def test_the_fragment_is_the_board_alone(board, screen, client):
    token, _ = screen
    response = client.get(fragment_url(token), **ENGLISH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<script" not in html
    assert "data-display-board" in html and "Reports wait for a free worker" in html
    assert "Connection lost — showing the board as of" in html  # the banner's words, ready


@pytest.mark.parametrize("name", ["room_display", "room_display_fragment"])
def test_screen_headers(board, screen, client, name):
    token, _ = screen
    response = client.get(reverse(name, args=[token]))
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["room_display", "room_display_fragment"])
def test_a_wrong_token_is_404_and_a_revoked_one_410(board, screen, client, name):
    token, link = screen
    wrong = client.get(reverse(name, args=[secrets.token_urlsafe(32)]), **ENGLISH)
    assert wrong.status_code == 404
    assert client.get(reverse(name, args=["x" * 500])).status_code == 404
    link.revoked_at = timezone.now()
    link.save()
    revoked = client.get(reverse(name, args=[token]), **ENGLISH)
    assert revoked.status_code == 410
    for response in (wrong, revoked):
        html = response.content.decode()
        assert "Screening" not in html and "Reports wait" not in html
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
    assert "has been revoked" in revoked.content.decode()


def test_the_display_is_read_only_by_method(screen, client):
    token, _ = screen
    assert client.post(screen_url(token)).status_code == 405
    assert client.post(fragment_url(token)).status_code == 405


def test_a_token_opens_its_own_room_only(board, rooms, screen, client):
    token, _ = screen
    school_token, _ = make_token(rooms["school"], label="School TV")
    screening_html = client.get(screen_url(token), **ENGLISH).content.decode()
    school_html = client.get(screen_url(school_token), **ENGLISH).content.decode()
    assert "School-only problem" not in screening_html
    assert "School-only problem" in school_html and "Reports wait" not in school_html


def test_a_token_opens_no_other_page(board, screen, client):
    token, _ = screen
    client.get(screen_url(token))
    # The token is no credential elsewhere, in the path, the query or a header.
    for url in (
        reverse("home"),
        reverse("display_links", args=["screening-room"]),
        f"/rooms/screening-room/?token={token}",
        f"/rooms/screening-room/display/{token}/",
        reverse("unit_detail", args=["screening"]) + f"?token={token}",
    ):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code in (302, 404), url
        if response.status_code == 302:
            assert "/login/" in response["Location"]


def test_last_used_is_written_at_most_once_a_minute(board, screen, client):
    token, link = screen
    client.get(screen_url(token))
    link.refresh_from_db()
    first = link.last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        client.get(fragment_url(token))
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    link.refresh_from_db()
    assert link.last_used_at == first

    DisplayToken.objects.filter(pk=link.pk).update(
        last_used_at=first - datetime.timedelta(seconds=61)
    )
    client.get(fragment_url(token))
    link.refresh_from_db()
    assert link.last_used_at > first - datetime.timedelta(seconds=61)


def test_the_board_is_read_in_a_fixed_number_of_queries(
    board, screen, client, django_assert_max_num_queries
):
    token, _ = screen
    client.get(fragment_url(token))  # last_used_at written once
    with django_assert_max_num_queries(16):
        assert client.get(fragment_url(token)).status_code == 200


def test_the_tiles_are_capped_with_signals_first(board, org, rooms, screen, client):
    for i in range(9):
        indicator = Indicator.objects.create(
            code=f"count-{i}",
            name_en=f"Count {i}",
            name_fr=f"Compte {i}",
            dimension="accessibility",
            kind="count",
            direction="decrease",
            frequency="weekly",
            owner_unit=org["youth"],
            source="entered",
            is_outcome=True,
        )
        Value.objects.create(
            indicator=indicator, unit=org["screening"], period=MONDAY, value=i, source="entered"
        )
    token, _ = screen
    html = client.get(screen_url(token), **ENGLISH).content.decode()
    assert html.count('<li class="tile') == 8
    assert "Delay to evaluation" in html  # the signal stays on screen
    assert "and 2 more indicators on the board" in html


def test_the_display_shows_only_the_rooms_zones(board, screen, client):
    board.zones = [{"zone": "actions", "limit": 0}]
    board.save()
    token, _ = screen
    html = client.get(screen_url(token), **ENGLISH).content.decode()
    assert "Call the on-call team" in html
    assert "Delay to evaluation" not in html and "Reports wait" not in html
