"""SPC charts and sparklines drawn on the server as SVG: Vega-Lite specs rendered by
vl-convert (an embedded JavaScript engine: no browser, no CDN, no network).

The specs are written as plain dictionaries: building them with altair cost 0.2 to 1 second
a chart (it deep-copies every layer), against a millisecond here, and a page computes its
chart's spec to know its key. The tests check every spec against the Vega-Lite schema with
altair, so a typo still fails loudly.

The data is inlined in the spec and vl-convert is told to fetch nothing, so rendering never
leaves the machine; text uses the generic `sans-serif` family, so no font is downloaded
either. An SVG is cached under `DATA_DIR/charts/<key>.svg`, where the key is the SHA-256 of
the spec (data, words and locale included): the same chart is rendered once, and a changed
value, target, rebase or language makes a new key. Pages show charts as `<img>` (the content
security policy forbids the inline styles of an inline SVG) with the key in the URL, so the
browser may keep each one for good.
"""

import functools
import hashlib
import json
import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import vl_convert as vlc
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from pilotage.indicators.models import Frequency
from pilotage.indicators.series import COLOURS, POINT_TYPES, Reading

#: The Vega-Lite version the specs are written for (altair 6.3's); vl-convert bundles it.
VEGA_LITE_VERSION = "6.4"
Spec = dict[str, Any]

#: Line styles of the chart, with their legend order: (colour, dash).
_MEAN = ("#333333", [1, 0])
_PROCESS_LIMITS = ("#595959", [6, 4])
_TRIAL_LIMITS = ("#8c8c8c", [2, 3])
_TARGET = (COLOURS["target"], [10, 3])
_POINT_OUTLINE = "#404040"  # keeps light points at 3:1 contrast on white


@functools.cache
def _d3_locale(name: str) -> dict[str, Any]:
    return {"number": vlc.get_format_locale(name), "time": vlc.get_time_format_locale(name)}


def _locale_config() -> dict[str, Any]:
    """Number and date formats of the active language, written into the spec (so they are
    part of its key)."""
    french = (get_language() or settings.LANGUAGE_CODE).startswith("fr")
    return _d3_locale("fr-FR" if french else "en-GB")


def _config() -> dict[str, Any]:
    return {
        "locale": _locale_config(),
        "font": "sans-serif",
        "view": {"stroke": None},
        "axis": {
            "labelFontSize": 11,
            "titleFontSize": 12,
            "labelColor": "#1b1f24",
            "titleColor": "#1b1f24",
            "gridColor": "#e6e9ed",
        },
        "legend": {
            "labelFontSize": 11,
            "titleFontSize": 12,
            "labelColor": "#1b1f24",
            "titleColor": "#1b1f24",
            "orient": "bottom",
            "direction": "horizontal",
            "columns": 4,
            "symbolStrokeWidth": 2,
        },
    }


def _period_title(frequency: str) -> str:
    return {
        Frequency.WEEKLY: _("Week starting"),
        Frequency.MONTHLY: _("Month"),
        Frequency.QUARTERLY: _("Quarter starting"),
    }.get(frequency, _("Period"))


def summary(reading: Reading) -> str:
    """The chart in one or two sentences: its alt text and its SVG description."""
    series, indicator = reading.series, reading.indicator
    if not series.points:
        return _("No value yet for %(indicator)s in %(unit)s.") % {
            "indicator": indicator.name,
            "unit": reading.unit.name,
        }
    text = _(
        "Control chart of %(indicator)s for %(unit)s: %(n)s values from %(first)s to "
        "%(last)s. Variation: %(variation)s. Assurance: %(assurance)s."
    ) % {
        "indicator": indicator.name,
        "unit": reading.unit.name,
        "n": len(series.points),
        "first": date_format(series.points[0].period, "SHORT_DATE_FORMAT"),
        "last": date_format(series.points[-1].period, "SHORT_DATE_FORMAT"),
        "variation": reading.variation.label,
        "assurance": reading.assurance.label,
    }
    if series.hidden_count:
        text += " " + ngettext(
            "%(n)s value is hidden (a small count) and left out of the chart, its mean and "
            "its limits.",
            "%(n)s values are hidden (small counts) and left out of the chart, its mean and "
            "its limits.",
            series.hidden_count,
        ) % {"n": series.hidden_count}
    if reading.has_trial_limits:
        text += " " + _("Some limits are trial limits (fewer than 13 points).")
    return text


def _rows(reading: Reading) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The points, and the lines (mean, limits, target) in long form, one row per point.
    Hidden points are not in the data at all: nothing drawn or inlined in the spec (which
    is in the SVG's cache key, not in the page) carries them."""
    assert reading.result is not None
    trial = {g.rebase_group for g in reading.result.summary if g.short_group_warning}
    points, lines = [], []
    for stored, point in reading.rows():
        if point is None:
            continue
        day = stored.period.isoformat()
        kind = POINT_TYPES[point.point_type]
        points.append(
            {
                "date": day,
                "value": point.value,
                "group": point.rebase_group,
                "type": str(kind.label),
            }
        )
        lines.append(
            {
                "date": day,
                "group": point.rebase_group,
                "part": "mean",
                "line": _("Mean"),
                "y": point.mean,
            }
        )
        limits = _("Trial limits") if point.rebase_group in trial else _("Process limits")
        for part, y in (("upl", point.upl), ("lpl", point.lpl)):
            if y is not None:
                lines.append(
                    {"date": day, "group": point.rebase_group, "part": part, "line": limits, "y": y}
                )
        target = reading.target_on(stored.period)
        if target is not None:
            lines.append(
                {"date": day, "group": -1, "part": "target", "line": _("Target"), "y": target.value}
            )
    return points, lines


def _field(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **extra}


def _scale(styles: list[tuple[str, Any]]) -> dict[str, Any]:
    return {"domain": [label for label, _value in styles], "range": [v for _label, v in styles]}


def chart_spec(reading: Reading, *, width: int = 680, height: int = 280) -> Spec:
    """The Vega-Lite spec of a unit's SPC chart: points coloured and shaped by type, the
    mean and limits of each rebase group as separate segments, the target as a step line,
    trial limits in a lighter, shorter dash, each with a legend entry."""
    points, lines = _rows(reading)
    indicator = reading.indicator
    x = _field(
        "date",
        "temporal",
        title=_period_title(indicator.frequency),
        scale={"type": "utc"},
        axis={"labelOverlap": True, "tickCount": 8},
    )
    y_title = indicator.measure_unit or indicator.name
    styles = [
        (_("Mean"), _MEAN),
        (_("Process limits"), _PROCESS_LIMITS),
        (_("Trial limits"), _TRIAL_LIMITS),
        (_("Target"), _TARGET),
    ]
    present = {row["line"] for row in lines}
    styles = [(label, style) for label, style in styles if label in present]
    legend = {"title": _("Lines"), "symbolType": "stroke", "symbolSize": 300}
    line_encoding = {
        "x": x,
        "y": _field("y", "quantitative", title=y_title, scale={"zero": False}),
        "color": _field(
            "line",
            "nominal",
            legend=legend,
            scale=_scale([(label, style[0]) for label, style in styles]),
        ),
        "strokeDash": _field(
            "line",
            "nominal",
            legend=legend,
            scale=_scale([(label, style[1]) for label, style in styles]),
        ),
    }
    kinds = [k for k in POINT_TYPES.values() if str(k.label) in {p["type"] for p in points}]
    point_encoding = {
        "x": x,
        "y": _field("value", "quantitative", title=y_title, scale={"zero": False}),
    }
    layers: list[Spec] = [
        {
            # Mean and limits first, so points are drawn over them. Lines share one legend.
            "layer": [
                {
                    "name": "limits",
                    "data": {"name": "lines"},
                    "transform": [{"filter": "datum.part !== 'target'"}],
                    "mark": {"type": "line", "strokeWidth": 1.5},
                    # One segment per rebase group and line: a rebase breaks every line.
                    "encoding": {
                        **line_encoding,
                        "detail": [_field("group", "nominal"), _field("part", "nominal")],
                    },
                },
                {
                    "name": "target",
                    "data": {"name": "lines"},
                    "transform": [{"filter": "datum.part === 'target'"}],
                    "mark": {"type": "line", "strokeWidth": 2, "interpolate": "step-after"},
                    "encoding": line_encoding,
                },
            ]
        },
    ]
    starts = [g.first_date for g in reading.result.summary[1:]]  # type: ignore[union-attr]
    if starts:
        rebases = {"values": [{"date": d.isoformat(), "label": _("Rebase")} for d in starts]}
        layers.append(
            {
                "name": "rebases",
                "data": rebases,
                "mark": {"type": "rule", "color": "#1b1f24", "strokeDash": [1, 2]},
                "encoding": {"x": x},
            }
        )
        layers.append(
            {
                "data": rebases,
                "mark": {
                    "type": "text",
                    # Above the plot, centred on the rule: clear of the limits and points.
                    "align": "center",
                    "baseline": "bottom",
                    "y": -4,
                    "fontSize": 11,
                    "color": "#1b1f24",
                },
                "encoding": {"x": x, "text": _field("label", "nominal")},
            }
        )
    layers.append(
        {
            "name": "values",
            "data": {"name": "points"},
            "mark": {"type": "line", "color": "#7f7f7f", "strokeWidth": 1.25},
            "encoding": {**point_encoding, "detail": _field("group", "nominal")},
        }
    )
    layers.append(
        {
            "name": "points",
            "data": {"name": "points"},
            "mark": {
                "type": "point",
                "filled": True,
                "size": 70,
                "opacity": 1,
                "stroke": _POINT_OUTLINE,
                "strokeWidth": 0.75,
            },
            "encoding": {
                **point_encoding,
                # Colour and shape on one field: one legend naming each type in words.
                "color": _field(
                    "type",
                    "nominal",
                    title=_("Points"),
                    scale=_scale([(str(k.label), COLOURS[k.tone]) for k in kinds]),
                ),
                "shape": _field(
                    "type",
                    "nominal",
                    title=_("Points"),
                    scale=_scale([(str(k.label), k.shape) for k in kinds]),
                ),
            },
        }
    )
    return {
        "$schema": f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION}.json",
        "description": summary(reading),
        "usermeta": {"title": f"{indicator.name} · {reading.unit.name}"},
        "width": width,
        "height": height,
        "config": _config(),
        "datasets": {"points": points, "lines": lines},
        "layer": layers,
        "resolve": {
            "scale": {"color": "independent", "shape": "independent", "strokeDash": "independent"}
        },
    }


def sparkline_spec(reading: Reading, *, width: int = 120, height: int = 32) -> Spec:
    """A tiny chart for a board tile: the values, the current mean, the last point in the
    colour of its type. No axis, no legend; the tile says the rest in words."""
    points, _lines = _rows(reading)
    last = reading.result.points[-1]  # type: ignore[union-attr]
    kind = POINT_TYPES[last.point_type]
    x = _field("date", "temporal", axis=None, scale={"type": "utc"})
    y = _field("value", "quantitative", axis=None, scale={"zero": False})
    return {
        "$schema": f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION}.json",
        "description": summary(reading),
        "usermeta": {"title": reading.indicator.name},
        "width": width,
        "height": height,
        "config": {**_config(), "padding": 2},
        "datasets": {"points": points},
        "layer": [
            {
                "data": {"values": [{"mean": last.mean}]},
                "mark": {
                    "type": "rule",
                    "color": "#8c8c8c",
                    "strokeWidth": 1,
                    "strokeDash": [2, 2],
                },
                "encoding": {"y": _field("mean", "quantitative", axis=None)},
            },
            {
                "data": {"name": "points"},
                "mark": {"type": "line", "color": "#595959", "strokeWidth": 1.25},
                "encoding": {"x": x, "y": y},
            },
            {
                "data": {"values": points[-1:]},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 30,
                    "opacity": 1,
                    "color": COLOURS[kind.tone],
                    "stroke": _POINT_OUTLINE,
                    "strokeWidth": 0.5,
                    "shape": kind.shape,
                },
                "encoding": {"x": x, "y": y},
            },
        ],
    }


def spec_key(spec: Spec) -> str:
    """The cache key of a spec: the SHA-256 of its canonical JSON."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def cache_path(key: str) -> Path:
    return Path(settings.DATA_DIR) / "charts" / f"{key}.svg"


def _convert(spec: Spec) -> str:
    """Vega-Lite to SVG, with every external request refused."""
    return vlc.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION, allowed_base_urls=[])


def _accessible(svg: str, title: str, description: str) -> str:
    """Give the SVG a title and a description that screen readers announce."""
    head, sep, body = svg.partition(">")
    head = head.replace("<svg ", '<svg role="img" aria-labelledby="chart-title chart-desc" ', 1)
    return (
        f'{head}{sep}<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>{body}'
    )


def render_svg(spec: Spec) -> tuple[str, str]:
    """The SVG of a spec and its key, rendered once and then read from the cache."""
    key = spec_key(spec)
    path = cache_path(key)
    try:
        return key, path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    svg = _accessible(_convert(spec), spec["usermeta"]["title"], spec["description"])
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside then renamed: two workers rendering the same chart never leave half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(svg)
    os.replace(tmp, path)
    return key, svg
