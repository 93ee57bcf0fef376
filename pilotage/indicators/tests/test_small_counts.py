"""Small computed counts are hidden on the indicator pages, the chart and the exports
(the rule itself: test_disclosure.py; the data: counts.py)."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from pilotage.indicators import charts
from pilotage.indicators.actions import Measurement, do_set_values
from pilotage.indicators.disclosure import Hidden
from pilotage.indicators.models import Source
from pilotage.indicators.series import SeriesPoint, read, read_many
from pilotage.indicators.tests.counts import (
    EVALUATION,
    HIDDEN_WEEKS,
    SCREENING,
    change_hidden_values,
    computed_requests,
    week,
)

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def requests_(org):
    return computed_requests(org)


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def url(name, indicator, unit):
    return reverse(name, args=[indicator.code, unit])


# --- The reading ------------------------------------------------------------------------------


def test_the_reading_keeps_the_periods_of_hidden_values_but_not_their_numbers(org, requests_):
    screening = read(requests_, org["screening"])
    evaluation = read(requests_, org["evaluation"])
    youth = read(requests_, org["youth"])
    for i in HIDDEN_WEEKS:
        assert screening.series.points[i] == SeriesPoint(week(i), None, None, None, Hidden.PRIMARY)
        assert evaluation.series.points[i].value is None
        assert evaluation.series.points[i].hidden == Hidden.COMPLEMENT
    assert [p.value for p in youth.series.points] == [
        s + e for s, e in zip(SCREENING, EVALUATION, strict=True)
    ]
    assert youth.series.hidden_count == 0
    shown = [v for i, v in enumerate(EVALUATION) if i not in HIDDEN_WEEKS]
    assert [p.value for p in evaluation.series.shown] == shown


def test_the_spc_reading_is_made_of_the_shown_values_only(org, requests_):
    reading = read(requests_, org["evaluation"])
    shown = [v for i, v in enumerate(EVALUATION) if i not in HIDDEN_WEEKS]
    assert [p.value for p in reading.result.points] == shown
    assert reading.result.points[0].mean == pytest.approx(sum(shown) / len(shown))
    rows = reading.table()
    assert len(rows) == len(EVALUATION)
    for i in HIDDEN_WEEKS:
        assert rows[i].hidden == Hidden.COMPLEMENT
        assert (rows[i].value, rows[i].mean, rows[i].upl, rows[i].point_type) == (None,) * 4
    assert rows[4].value == EVALUATION[4] and rows[4].point_type is not None


def test_an_indicator_not_flagged_shows_every_value(org, requests_):
    requests_.hides_small_counts = False
    requests_.save()
    assert read(requests_, org["screening"]).series.points[3].value == 3


def test_reading_flagged_indicators_costs_three_queries_more_then_two(
    org, requests_, delay, django_assert_num_queries
):
    with django_assert_num_queries(4):
        read_many([delay], org["screening"])
    # The tree and the values' fingerprint, then all the values: the first reading.
    with django_assert_num_queries(7):
        read_many([delay, requests_], org["screening"])
    # The same values again: their hidden cells are known.
    with django_assert_num_queries(6):
        read_many([delay, requests_], org["evaluation"])


def test_hidden_cells_follow_every_change_of_the_values(org, requests_):
    """What is hidden is kept between readings, never past a change: a new small count is
    hidden at once, with its complement, and a value that grows is shown again."""
    assert read(requests_, org["screening"]).series.points[5].hidden is None
    do_set_values(
        [
            (requests_, org["screening"], week(5), Measurement(2)),
            (requests_, org["youth"], week(5), Measurement(2 + EVALUATION[5])),
        ],
        user=None,
        source=Source.COMPUTED,
    )
    assert read(requests_, org["screening"]).series.points[5].hidden == Hidden.PRIMARY
    assert read(requests_, org["evaluation"]).series.points[5].hidden == Hidden.COMPLEMENT
    do_set_values(
        [
            (requests_, org["screening"], week(3), Measurement(30)),
            (requests_, org["youth"], week(3), Measurement(30 + EVALUATION[3])),
        ],
        user=None,
        source=Source.COMPUTED,
    )
    assert read(requests_, org["screening"]).series.points[3].value == 30
    assert read(requests_, org["evaluation"]).series.points[3].value == EVALUATION[3]


def test_hidden_cells_follow_the_unit_tree(org, requests_):
    """A moved team has a new path: its small count stays hidden there (hidden cells kept
    under the old paths would leave it shown)."""
    assert read(requests_, org["screening"]).series.points[3].hidden == Hidden.PRIMARY
    screening = org["screening"]
    screening.parent = org["family"]
    screening.save()
    assert read(requests_, screening).series.points[3].hidden == Hidden.PRIMARY
    assert read(requests_, screening).series.points[3].value is None


# --- Pages ------------------------------------------------------------------------------------


def _value_cell(html, day):
    """The value cell of one period's row in the table of values and limits."""
    pattern = rf'<th scope="row">{re.escape(day)}.*?</th>\s*<td class="num">(.*?)</td>'
    row = re.search(pattern, html, re.S)
    assert row, day
    return row.group(1)


def test_the_indicator_page_shows_marks_where_values_are_hidden(client_for, org, diana, requests_):
    client = client_for(english(diana))
    with translation.override("en"):
        screening = client.get(url("indicator_detail", requests_, "screening")).text
        evaluation = client.get(url("indicator_detail", requests_, "evaluation")).text
    assert "&lt; 5</abbr>" in _value_cell(screening, "01/22/2024")
    assert ">x</abbr>" in _value_cell(evaluation, "01/22/2024")
    assert _value_cell(evaluation, "01/29/2024") == "20"
    # The last value is hidden too, and the legend says what the marks mean.
    assert re.search(r"figure--large\"><abbr[^>]*>&lt; 5</abbr>", screening)
    assert re.search(r"figure--large\"><abbr[^>]*>x</abbr>", evaluation)
    assert "From 1 to 4: so few people could be recognised." in screening
    assert "Hidden so that a total does not give back a small count" in evaluation


def _strip_tokens(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _outputs(client, indicator, org):
    """Everything the indicator pages, chart and exports write about each unit."""
    out = {}
    with translation.override("en"):
        for unit in ("screening", "evaluation", "youth"):
            page = client.get(url("indicator_detail", indicator, unit)).text
            key = re.search(r"chart\.svg\?v=([0-9a-f]+)", page).group(1)
            svg = client.get(url("indicator_chart", indicator, unit) + f"?v={key}").content
            xlsx = client.get(url("indicator_xlsx", indicator, unit)).content
            workbook = load_workbook(io.BytesIO(xlsx))
            out[unit] = {
                "page": _strip_tokens(page),
                "list": _strip_tokens(client.get(reverse("unit_indicators", args=[unit])).text),
                "svg": svg,
                "csv": client.get(url("indicator_csv", indicator, unit)).content,
                "xlsx": [list(r) for r in workbook.active.iter_rows(values_only=True)],
            }
    return out


def test_nothing_shown_or_exported_depends_on_a_hidden_value(client_for, org, diana, requests_):
    client = client_for(english(diana))
    before = _outputs(client, requests_, org)
    change_hidden_values(requests_, org)
    after = _outputs(client, requests_, org)
    assert after == before
    # ...while a shown value does change them.
    requests_.values.filter(unit=org["evaluation"], period=week(5)).update(value=30)
    changed = _outputs(client, requests_, org)
    assert changed["evaluation"]["page"] != before["evaluation"]["page"]
    assert changed["evaluation"]["svg"] != before["evaluation"]["svg"]


def test_the_chart_data_has_no_point_or_line_at_a_hidden_week(org, requests_):
    with translation.override("en"):
        spec = charts.chart_spec(read(requests_, org["evaluation"]))
    hidden = {week(i).isoformat() for i in HIDDEN_WEEKS}
    points, lines = spec["datasets"]["points"], spec["datasets"]["lines"]
    assert len(points) == len(EVALUATION) - len(HIDDEN_WEEKS)
    assert not hidden & {row["date"] for row in points + lines}
    assert "2 values are hidden (small counts)" in spec["description"]
    spark = charts.sparkline_spec(read(requests_, org["screening"]))
    assert not hidden & {row["date"] for row in spark["datasets"]["points"]}


def test_the_exports_write_the_marks_and_nothing_else_for_a_hidden_week(
    client_for, org, diana, requests_
):
    client = client_for(english(diana))
    text = client.get(url("indicator_csv", requests_, "screening"), **ENGLISH).content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[4] == ["2024-01-22", "< 5", *[""] * 10]
    assert rows[5][:2] == ["2024-01-29", "13"]
    workbook = load_workbook(
        io.BytesIO(client.get(url("indicator_xlsx", requests_, "evaluation")).content)
    )
    cells = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert cells[16][1] == "x" and cells[16][2:] == [None] * 10
    assert cells[15][1] == 22


def test_french_marks(client_for, org, alice, requests_):
    text = client_for(alice).get(url("indicator_csv", requests_, "screening")).content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
    assert rows[4][:2] == ["2024-01-22", "< 5"]


def test_the_history_does_not_show_the_values_of_a_flagged_indicator(
    client_for, org, diana, requests_
):
    requests_.values.all().delete()
    for count in (3.0, 4.0):
        item = (requests_, org["screening"], week(0), Measurement(count))
        do_set_values([item], user=None, source=Source.COMPUTED)
    with translation.override("en"):
        html = client_for(english(diana)).get(url("indicator_detail", requests_, "screening")).text
    history = html[html.index('id="history-title"') :]
    assert "The history does not show the values of this indicator" in history
    assert "→" not in history and "changed" in history


def test_computed_values_cannot_be_entered_by_hand(client_for, org, alice, requests_):
    # Typing a guess would overwrite the computed value, and "unchanged" would confirm it.
    client = client_for(alice)
    page = client.get(url("indicator_detail", requests_, "screening")).text
    assert 'id="entry-title"' not in page
    data = {"period": week(3).isoformat(), "value": "3"}
    response = client.post(url("enter_value", requests_, "screening"), data)
    assert response.status_code == 403
    assert requests_.values.get(unit=org["screening"], period=week(3)).source == "computed"
    assert not requests_.values.filter(changes__isnull=False).exists()
