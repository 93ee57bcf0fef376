"""Small computed counts are hidden on the board tiles, their sparklines and the TV display
(the rule: indicators/tests/test_disclosure.py; the data: indicators/tests/counts.py)."""

import re
import secrets

import pytest
from django.urls import reverse

from pilotage.indicators.tests.counts import change_hidden_values, computed_requests, week
from pilotage.rooms.display_views import token_hash
from pilotage.rooms.models import DisplayToken
from pilotage.rooms.signals import indicator_tiles

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def requests_(org):
    return computed_requests(org)


def _tiles(html):
    return html[html.index('<ul class="tiles">') : html.index("</ul>", html.index('class="tiles"'))]


def _screen(room):
    token = secrets.token_urlsafe(32)
    DisplayToken.objects.create(room=room, label="TV", token_hash=token_hash(token))
    return reverse("room_display_fragment", args=[token])


def _outputs(client, rooms):
    """The tiles of the board and the TV display, and the sparklines, of each team's room."""
    out = {}
    for name in ("screening", "evaluation"):
        room = rooms[name]
        board = client.get(reverse("room_board", args=[room.code]), **ENGLISH).text
        spark = re.search(r'src="([^"]*sparkline\.svg\?v=[0-9a-f]+)"', board).group(1)
        out[name] = {
            "tiles": _tiles(board),
            "spark": client.get(spark).content,
            "tv": _tiles(client.get(_screen(room), **ENGLISH).text),
        }
    return out


def test_the_tiles_show_the_mark_of_a_hidden_last_value(org, rooms, requests_):
    (screening,) = indicator_tiles(rooms["screening"])
    (evaluation,) = indicator_tiles(rooms["evaluation"])
    assert screening.reading.series.last.value is None
    assert evaluation.reading.series.last.value is None
    # The icons read the shown values: the last shown week, not the hidden one.
    assert screening.reading.result.points[-1].value == 13


def test_the_board_and_the_tv_display_show_marks_not_values(
    client_for, org, rooms, diana, requests_
):
    out = _outputs(client_for(diana), rooms)
    assert re.search(r"figure--large\"><abbr[^>]*>&lt; 5</abbr>", out["screening"]["tiles"])
    assert re.search(r"figure--large\"><abbr[^>]*>x</abbr>", out["evaluation"]["tiles"])
    assert re.search(r"tile-value\"><abbr[^>]*>&lt; 5</abbr>", out["screening"]["tv"])
    assert re.search(r"tile-value\"><abbr[^>]*>x</abbr>", out["evaluation"]["tv"])
    # The direction's total is shown.
    youth = client_for(diana).get(reverse("room_board", args=[rooms["youth"].code]), **ENGLISH)
    assert "29\N{NO-BREAK SPACE}requests" in _tiles(youth.text)


def test_nothing_on_a_board_or_a_screen_depends_on_a_hidden_value(
    client_for, org, rooms, diana, requests_
):
    client = client_for(diana)
    before = _outputs(client, rooms)
    change_hidden_values(requests_, org)
    assert _outputs(client, rooms) == before
    # ...while a shown value does change them.
    requests_.values.filter(unit=org["evaluation"], period=week(14)).update(value=40)
    assert _outputs(client, rooms)["evaluation"]["spark"] != before["evaluation"]["spark"]
