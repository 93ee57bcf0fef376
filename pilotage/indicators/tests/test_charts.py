import datetime
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from unittest import mock

import altair as alt
import pytest
from django.urls import reverse

from pilotage.indicators import charts
from pilotage.indicators.models import Rebase, Value
from pilotage.indicators.series import read

MONDAY = datetime.date(2024, 1, 1)
SVG = "{http://www.w3.org/2000/svg}"
#: Twenty weeks around 16 days, then ten weeks around 11 after a change of process.
DELAYS = [
    16,
    17,
    15,
    16,
    18,
    16,
    15,
    17,
    16,
    17,
    15,
    16,
    17,
    18,
    16,
    15,
    16,
    17,
    16,
    15,
    11,
    12,
    10,
    11,
    12,
    11,
    10,
    11,
    12,
    11,
]


@pytest.fixture(autouse=True)
def chart_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "charts"


def add_values(indicator, unit, values, start=MONDAY):
    Value.objects.bulk_create(
        Value(
            indicator=indicator,
            unit=unit,
            period=start + datetime.timedelta(weeks=i),
            value=v,
            source="entered",
        )
        for i, v in enumerate(values)
    )


def parse(svg):
    return ET.fromstring(svg)  # noqa: S314  our own renderer's output, not untrusted input


def marks(svg, name):
    """The drawn items of a named layer: one path per point, one per line segment."""
    root = parse(svg)
    groups = [
        g
        for g in root.iter(f"{SVG}g")
        if f" {name}" in g.get("class", "") and "role-mark" in g.get("class", "")
    ]
    return [child for g in groups for child in g]


def texts(svg):
    return {t.text for t in parse(svg).iter(f"{SVG}text")}


def test_the_chart_is_valid_svg_with_one_symbol_per_point_and_a_title(delay, org):
    add_values(delay, org["screening"], DELAYS)
    _key, svg = charts.render_svg(charts.chart_spec(read(delay, org["screening"])))
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "chart-title chart-desc"
    assert root.find(f"{SVG}title").text.startswith("Délai avant l’évaluation")
    assert "30" in root.find(f"{SVG}desc").text
    assert len(marks(svg, "points_marks")) == 30
    assert len(marks(svg, "values_marks")) == 1  # one group: one unbroken line


def test_a_rebase_breaks_the_lines_and_short_groups_show_trial_limits(delay, org, alice):
    add_values(delay, org["screening"], DELAYS)
    Rebase.objects.create(
        indicator=delay,
        unit=org["screening"],
        reason="New intake",
        from_period=MONDAY + datetime.timedelta(weeks=20),
        decided_by=alice,
    )
    svg = charts.render_svg(charts.chart_spec(read(delay, org["screening"])))[1]
    assert len(marks(svg, "values_marks")) == 2
    assert len(marks(svg, "limits_marks")) == 6  # mean, upper and lower limit per group
    labels = texts(svg)
    # French is the default language: the legend's words go through the catalogue.
    from django.utils.translation import gettext

    assert {gettext("Trial limits"), gettext("Process limits"), gettext("Rebase")} <= labels


def test_a_long_single_group_has_no_trial_limits(delay, org):
    add_values(delay, org["screening"], DELAYS[:20])
    from django.utils.translation import gettext

    assert gettext("Trial limits") not in texts(
        charts.render_svg(charts.chart_spec(read(delay, org["screening"])))[1]
    )


def test_the_specs_follow_the_vega_lite_schema(delay, org, alice):
    add_values(delay, org["screening"], DELAYS)
    Rebase.objects.create(
        indicator=delay,
        unit=org["screening"],
        reason="New intake",
        from_period=MONDAY + datetime.timedelta(weeks=20),
        decided_by=alice,
    )
    reading = read(delay, org["screening"])
    assert alt.SCHEMA_VERSION.startswith(f"v{charts.VEGA_LITE_VERSION}")
    for spec in (charts.chart_spec(reading), charts.sparkline_spec(reading)):
        alt.LayerChart.from_dict(spec, validate=True)


def test_the_spec_holds_its_data_and_asks_for_nothing_remote(delay, org):
    add_values(delay, org["screening"], DELAYS)
    spec = charts.chart_spec(read(delay, org["screening"]))

    def urls(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "url" or (isinstance(value, str) and "://" in value and key != "$schema"):
                    yield key, value
                yield from urls(value)
        elif isinstance(node, list):
            for item in node:
                yield from urls(item)

    assert list(urls(spec)) == []
    # And the renderer refuses to fetch anything, should a spec ever ask.
    remote = {"data": {"url": "https://example.org/data.csv"}, "mark": "point"}
    with pytest.raises(ValueError):
        charts._convert(remote)


@pytest.mark.slow
def test_rendering_works_without_any_network(tmp_path):
    """vl-convert bundles Vega, Vega-Lite and their dependencies: render in a process with no
    network at all (a user namespace with only a loopback interface)."""
    if (
        not shutil.which("unshare")
        or subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode
    ):
        pytest.skip("user namespaces are not available here")
    spec = {
        "data": {"values": [{"x": 1, "y": 2}, {"x": 2, "y": 3}]},
        "mark": "line",
        "encoding": {
            "x": {"field": "x", "type": "quantitative"},
            "y": {"field": "y", "type": "quantitative"},
        },
    }
    script = (
        "import json, sys, vl_convert as v; "
        f"print(v.vegalite_to_svg(json.loads(sys.argv[1]), vl_version={charts.VEGA_LITE_VERSION!r},"
        " allowed_base_urls=[])[:4])"
    )
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", script, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<svg")


def test_a_chart_is_rendered_once_then_read_from_the_cache(delay, org, chart_dir):
    add_values(delay, org["screening"], DELAYS)
    spec = charts.chart_spec(read(delay, org["screening"]))
    key, svg = charts.render_svg(spec)
    assert (chart_dir / f"{key}.svg").read_text(encoding="utf-8") == svg
    assert key == charts.spec_key(charts.chart_spec(read(delay, org["screening"])))
    with mock.patch.object(charts, "_convert", wraps=charts._convert) as convert:
        assert charts.render_svg(spec) == (key, svg)
    convert.assert_not_called()


def test_a_changed_value_or_language_makes_a_new_key(delay, org):
    add_values(delay, org["screening"], DELAYS)
    french = charts.spec_key(charts.chart_spec(read(delay, org["screening"])))
    from django.utils import translation

    with translation.override("en"):
        assert charts.spec_key(charts.chart_spec(read(delay, org["screening"]))) != french
    Value.objects.filter(period=MONDAY).update(value=40)
    assert charts.spec_key(charts.chart_spec(read(delay, org["screening"]))) != french


def test_the_sparkline_is_tiny_and_plain(delay, org):
    add_values(delay, org["screening"], DELAYS)
    svg = charts.render_svg(charts.sparkline_spec(read(delay, org["screening"])))[1]
    root = parse(svg)
    assert int(float(root.get("width"))) <= 130 and int(float(root.get("height"))) <= 40
    assert not [t for t in texts(svg) if t]  # no axis, no legend


def test_the_chart_view_serves_svg_cached_by_its_key(client_for, alice, delay, org):
    add_values(delay, org["screening"], DELAYS)
    client = client_for(alice)
    url = reverse("indicator_chart", args=[delay.code, "screening"])
    key = charts.spec_key(charts.chart_spec(read(delay, org["screening"])))
    response = client.get(url, {"v": key})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["ETag"] == f'"{key}"'
    parse(response.content)
    assert client.get(url)["Cache-Control"] == "private, no-cache"
    assert client.get(url, headers={"If-None-Match": f'"{key}"'}).status_code == 304


def test_the_chart_view_is_scoped_like_the_page(client_for, charlie, bob, delay, org):
    add_values(delay, org["youth"], DELAYS)
    url = reverse("indicator_chart", args=[delay.code, "youth"])
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(bob).get(url).status_code == 404  # youth is above bob's team


def test_no_chart_without_values(client_for, alice, delay):
    url = reverse("indicator_chart", args=[delay.code, "screening"])
    assert client_for(alice).get(url).status_code == 404
