"""The trajectory analysis pages: the map (server-drawn SVG and its table), bottlenecks,
variants, CSV exports, the drill-down from a computed indicator; suppression everywhere,
audit on every page, 404 outside the scope. The log is test_analysis's."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own page

import pytest
from django.urls import reverse

from pilotage.organisation.models import AuditEntry
from pilotage.trajectories import tasks
from pilotage.trajectories.tests.test_analysis import make_log
from pilotage.trajectories.tests.test_computed import import_log

pytestmark = pytest.mark.usefixtures("storage_dirs")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def imported(jimmy, tmp_path):
    import_log(jimmy, tmp_path, make_log())
    return jimmy


def pages(code: str) -> list[str]:
    return [
        reverse("trajectory_map", args=[code]),
        reverse("trajectory_bottlenecks", args=[code]),
        reverse("trajectory_variants", args=[code]),
        reverse("trajectory_flows_csv", args=[code]),
        reverse("trajectory_variants_csv", args=[code]),
        reverse("trajectory_indicator", args=[code, f"traj-{code}-waiting"]),
    ]


def svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no SVG in the page"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page


def test_the_list_shows_visible_trajectories_only(client_for, jimmy, diana, charlie):
    assert "Jimmy" in client_for(diana).get(reverse("trajectory_list")).content.decode()
    assert "Jimmy" not in client_for(charlie).get(reverse("trajectory_list")).content.decode()


def test_the_map_is_an_svg_with_one_box_per_step_and_a_table(client_for, imported, diana):
    response = client_for(diana).get(reverse("trajectory_map", args=["jimmy"]))
    assert response.status_code == 200
    html = response.content.decode()
    svg = svg_of(html)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
    assert len(svg.findall(f".//{SVG}rect")) == 4
    names = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "map-step-name"]
    assert names == ["request", "evaluation", "services", "closure"]
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "map-flow-label"]
    assert "14 · median 4 days" in labels
    assert "< 5" in labels  # evaluation -> closure, without its median
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'class="trajectory-flows"' in html


def test_every_page_is_audited(client_for, imported, diana):
    client = client_for(diana)
    tasks.recompute_trajectory.call(imported.pk)
    for url in pages("jimmy"):
        assert client.get(url).status_code == 200, url
    entries = AuditEntry.objects.filter(action="view_trajectory_analysis", user=diana)
    assert sorted(e.details["page"] for e in entries) == sorted(
        ["map", "bottlenecks", "variants", "flows.csv", "variants.csv", "indicator"]
    )
    assert {e.object_id for e in entries} == {str(imported.pk)}
    assert {e.unit for e in entries} == {imported.unit}


def test_outside_the_scope_is_404(client_for, imported, charlie):
    client = client_for(charlie)
    for url in [*pages("jimmy"), reverse("trajectory_map", args=["nothing"])]:
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="view_trajectory_analysis").exists()


def test_the_flows_csv_is_suppressed(client_for, imported, diana):
    response = client_for(diana).get(reverse("trajectory_flows_csv", args=["jimmy"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_pair = {(r[0], r[1]): (r[2], r[3]) for r in rows[1:]}
    assert by_pair[("request", "evaluation")] == ("14", "4")
    assert by_pair[("evaluation", "closure")] == ("< 5", "x")
    assert by_pair[("services", "closure")] == ("x", "x")
    assert not any(count in ("1", "2", "3", "4") for count, _ in by_pair.values())


def test_the_variants_page_and_csv_are_suppressed(client_for, imported, diana):
    client = client_for(diana)
    html = client.get(reverse("trajectory_variants", args=["jimmy"])).content.decode()
    assert "42.9 %" in html and "&lt; 5" in html
    response = client.get(reverse("trajectory_variants_csv", args=["jimmy"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["request > evaluation > services > closure", "6", "42.9 %"]
    assert rows[2] == ["request > evaluation", "x", "x"]
    assert rows[3] == ["Other variants (1)", "< 5", "x"]
    assert rows[4] == ["Total", "14", ""]


def test_bottlenecks_are_in_order(client_for, imported, diana):
    html = client_for(diana).get(reverse("trajectory_bottlenecks", args=["jimmy"])).content
    table = html.decode().split('class="trajectory-bottlenecks"', 1)[1].split("</table>", 1)[0]
    order = re.findall(r'<th scope="row">(\w+)</th>', table)
    assert order == ["closure", "services", "evaluation", "request"]


def test_the_drill_down_from_a_board_tile(client_for, imported, diana, org, settings):
    settings.LANGUAGE_CODE = "fr"
    tasks.recompute_trajectory.call(imported.pk)
    client = client_for(diana)
    url = reverse("trajectory_indicator", args=["jimmy", "traj-jimmy-requests"])
    response = client.get(url, {"unit": "screening", "week": "2024-01-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "ouverts dans la semaine" in html  # the measure's definition (in French)
    # Team A's new requests in the week of 2024-01-08: s1 and k1, 2: hidden.
    current = html.split('class="current-week"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="number">&lt; 5</td>' in current
    svg_of(html)
    # Team A (screening) requested 6 + 3 cases in the 12 weeks up to that week.
    assert 'class="trajectory-flows"' in html
    assert client.get(url, {"unit": "school"}).status_code == 404
    other = reverse("trajectory_indicator", args=["jimmy", "traj-jimmy-nothing"])
    assert client.get(other).status_code == 404


def test_a_trajectory_without_events_says_so(client_for, jimmy, diana):
    response = client_for(diana).get(reverse("trajectory_map", args=["jimmy"]))
    assert response.status_code == 200
    assert "No event log has been imported" in response.content.decode()


def test_a_tile_links_with_the_indicator_code_alone(client_for, imported, diana, charlie):
    url = reverse("trajectory_indicator_lookup", args=["traj-jimmy-eval-delay"])
    response = client_for(diana).get(url, {"unit": "evaluation", "week": "2024-01-08"})
    target = reverse("trajectory_indicator", args=["jimmy", "traj-jimmy-eval-delay"])
    assert response.status_code == 302
    assert response["Location"] == f"{target}?unit=evaluation&week=2024-01-08"
    assert client_for(charlie).get(url).status_code == 404


def test_the_drill_down_hides_what_the_indicator_pages_hide(client_for, jimmy, org, diana):
    """A complement ("x") hidden on the indicator pages is hidden on the drill-down too: with
    the direction's total shown, it would give the small count beside it back."""
    from pilotage.indicators.tests.counts import (
        EVALUATION,
        HIDDEN_WEEKS,
        SCREENING,
        computed_requests,
        week,
    )

    indicator = computed_requests(org)
    indicator.code = "traj-jimmy-requests"
    indicator.save(update_fields=["code"])
    url = reverse("trajectory_indicator", args=["jimmy", indicator.code])
    client = client_for(diana)
    for unit, values, mark in (("screening", SCREENING, "&lt; 5"), ("evaluation", EVALUATION, "x")):
        for i in HIDDEN_WEEKS:
            response = client.get(url, {"unit": unit, "week": week(i).isoformat()})
            assert response.status_code == 200, unit
            html = response.content.decode()
            cell = html.split('class="current-week"', 1)[1].split("</tr>", 1)[0]
            assert f'<td class="number">{mark}</td>' in cell, (unit, cell)
            assert f">{values[i]}<" not in cell
        shown = html.split('class="trajectory-series"', 1)[1].split("</table>", 1)[0]
        assert f'<td class="number">{values[0]}</td>' in shown  # shown weeks are shown
