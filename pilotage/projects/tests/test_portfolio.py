"""The portfolio of a room: each project's overall status month by month."""

import datetime

import pytest

from pilotage.projects.models import RAG, StatusSheet
from pilotage.projects.output_views import portfolio_of
from pilotage.projects.tests.test_review import URLS, make_sheet  # noqa: F401


@pytest.fixture
def history(make_sheet):  # noqa: F811
    return [
        make_sheet("Kilo", overall=RAG.GREEN, period_end=datetime.date(2026, 8, 31)),
        make_sheet("Kilo", overall=RAG.YELLOW, period_end=datetime.date(2026, 9, 30)),
        make_sheet(
            "Kilo", overall=RAG.RED, recovery_plan="Plan.", period_end=datetime.date(2026, 10, 31)
        ),
        make_sheet("Lima", overall=RAG.GREEN, period_end=datetime.date(2026, 10, 15)),
    ]


def test_a_row_per_project_a_column_per_month(rooms, history):
    data = portfolio_of(rooms["screening"])
    assert data["months"][-1] == datetime.date(2026, 10, 1)
    assert len(data["months"]) == 12
    kilo, lima = data["rows"]
    assert [c.overall if c else None for c in kilo.cells[-3:]] == ["green", "yellow", "red"]
    assert kilo.current == history[2]
    assert [c.overall if c else None for c in lima.cells[-3:]] == [None, None, "green"]
    assert lima.watermelons == 0


def test_watermelons_are_counted(rooms, project, alice):
    StatusSheet.objects.create(
        project=project,
        period_end=datetime.date(2026, 6, 30),
        owner=alice.person,
        overall=RAG.GREEN,
    )
    (row,) = portfolio_of(rooms["screening"])["rows"]
    assert row.watermelons == 1


@pytest.mark.urls(URLS)
def test_the_page(client_for, rooms, history, bob, charlie):
    url = f"/projects/rooms/{rooms['screening'].code}/portfolio/"
    page = client_for(bob).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<caption>" in html and 'scope="row"' in html
    assert 'class="cell rag--red"' in html and "Off track" in html
    assert client_for(charlie).get(url).status_code == 404
