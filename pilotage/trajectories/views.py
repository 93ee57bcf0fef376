"""The trajectory analysis pages: the map, bottlenecks, variants, their CSV exports, and the
drill-down from a computed indicator to the analysis behind it.

Every figure comes from `analysis.analyse`, already suppressed (counts 1-4 shown "< 5",
cells hidden so that a total does not give one back shown "x"). A trajectory outside the
user's scope is a 404; every page and export is recorded with `audit` (these are analyses of
case-level records).

The map is SVG drawn here, on the server, with an accessible table of the same flows beside
it: it needs neither JavaScript nor any external file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pilotage.indicators.models import Indicator, Value
from pilotage.indicators.series import SeriesPoint, hidden_mark, read
from pilotage.organisation.models import audit
from pilotage.organisation.scope import get_unit_for_user
from pilotage.trajectories import analysis
from pilotage.trajectories.computed import MEASURES, MeasureSpec, indicator_code
from pilotage.trajectories.models import Trajectory, TrajectoryTeam

AUDIT_ACTION = "view_trajectory_analysis"
#: Weeks of the series shown around the week of a drill-down.
WEEKS_BEFORE, WEEKS_AFTER = 12, 4
#: The map's geometry, in SVG user units.
BOX_WIDTH, BOX_HEIGHT, GAP, MARGIN, ARC_STEP, MAX_STROKE = 140, 56, 170, 20, 38, 12.0


def _get_trajectory_for_user(user: object, code: str) -> Trajectory:
    """The trajectory if the user's scope reaches it, else 404."""
    found = Trajectory.objects.visible_to(user).filter(code=code).select_related("unit").first()
    if found is None:
        raise Http404
    return found


def _audit(request: HttpRequest, trajectory: Trajectory, page: str, **details: object) -> None:
    audit(request.user, AUDIT_ACTION, trajectory, unit=trajectory.unit, page=page, **details)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def count_text(value: Any) -> str:
    if value == analysis.PRIMARY:
        return "< 5"
    if value == analysis.COMPLEMENT:
        return "x"
    return str(value)


def days_text(value: float | None) -> str:
    if value is None:
        return "x"
    return f"{value:g}"


def _decorate(trajectory: Trajectory, data: dict[str, Any]) -> dict[str, Any]:
    """Step names and display texts added to the analysis data."""
    names = {step.code: step.name for step in trajectory.steps.all()}
    codes = data["steps_codes"]
    steps = [
        {
            **step,
            "name": names.get(codes[step["index"]], codes[step["index"]]),
            "visits_text": count_text(step["visits"]),
            "entries_text": count_text(step["entries"]),
            "exits_text": count_text(step["exits"]),
            "wait_text": days_text(step["wait_median_days"]),
        }
        for step in data["steps"]
    ]
    flows = [
        {
            **flow,
            "source_name": steps[flow["source"]]["name"],
            "target_name": steps[flow["target"]]["name"],
            "count_text": count_text(flow["count"]),
            "median_text": days_text(flow["median_days"]),
        }
        for flow in data["flows"]
    ]
    variants = [
        {
            **row,
            "names": [steps[i]["name"] for i in row["steps"]],
            "count_text": count_text(row["count"]),
            "share_text": "x" if row["share"] is None else f"{100 * row['share']:.1f} %",
        }
        for row in data["variants"]["rows"]
    ]
    return {
        **data,
        "steps": steps,
        "flows": flows,
        "variant_rows": variants,
        "variants_total_text": count_text(data["variants"]["total"]),
        "n_cases_text": count_text(data["n_cases"]),
    }


def render_map(
    steps: Sequence[dict[str, Any]],
    flows: Sequence[dict[str, Any]],
    *,
    title: str,
    description: str,
    label: Callable[[dict[str, Any]], str],
    step_label: Callable[[dict[str, Any]], str],
) -> str:
    """The map as SVG. Steps are boxes left to right; a flow between neighbours is a straight
    arrow, one skipping steps an arc above, one going back an arc below. Arrow width grows
    with the count (hidden counts: thinnest, dashed). Colours come from classes in
    trajectories.css: the CSP forbids inline styles."""
    n = len(steps)
    above = [f for f in flows if f["target"] > f["source"] + 1]
    below = [f for f in flows if f["target"] < f["source"]]
    top = MARGIN + ARC_STEP * (len(above) + 1)
    height = top + BOX_HEIGHT + ARC_STEP * (len(below) + 1) + MARGIN
    width = 2 * MARGIN + n * BOX_WIDTH + max(n - 1, 0) * GAP
    counts = [f["count"] for f in flows if isinstance(f["count"], int)]
    largest = max(counts, default=1) or 1

    def stroke(flow: dict[str, Any]) -> float:
        if not isinstance(flow["count"], int):
            return 1.0
        return round(1.5 + (MAX_STROKE - 1.5) * flow["count"] / largest, 1)

    def x_of(i: int) -> int:
        return MARGIN + i * (BOX_WIDTH + GAP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="map-title map-desc">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(description)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="map-arrowhead"/></marker></defs>',
    ]
    for i, step in enumerate(steps):
        x = x_of(i)
        parts.append(
            f'<g class="map-step"><rect x="{x}" y="{top}" width="{BOX_WIDTH}" '
            f'height="{BOX_HEIGHT}" rx="6"/>'
            f'<text x="{x + BOX_WIDTH // 2}" y="{top + 22}" text-anchor="middle" '
            f'class="map-step-name">{escape(step["name"])}</text>'
            f'<text x="{x + BOX_WIDTH // 2}" y="{top + 42}" text-anchor="middle" '
            f'class="map-step-volume">{escape(step_label(step))}</text></g>'
        )
    for flow in flows:
        s, t = flow["source"], flow["target"]
        hidden = "" if isinstance(flow["count"], int) else " map-flow-hidden"
        if t == s + 1:
            x1, x2, y = x_of(s) + BOX_WIDTH, x_of(t), top + BOX_HEIGHT // 2
            path = f"M{x1},{y} L{x2 - 2},{y}"
            lx, ly = (x1 + x2) // 2, y - 12
        elif t > s:
            level = above.index(flow) + 1
            x1, x2 = x_of(s) + BOX_WIDTH // 2, x_of(t) + BOX_WIDTH // 2
            y = top - ARC_STEP * level
            path = f"M{x1},{top} C{x1},{y} {x2},{y} {x2},{top - 2}"
            lx, ly = (x1 + x2) // 2, y + ARC_STEP * level // 4 - 4
        else:
            level = below.index(flow) + 1
            x1, x2 = x_of(s) + BOX_WIDTH // 2 - 10, x_of(t) + BOX_WIDTH // 2 + 10
            bottom = top + BOX_HEIGHT
            y = bottom + ARC_STEP * level
            path = f"M{x1},{bottom} C{x1},{y} {x2},{y} {x2},{bottom + 2}"
            lx, ly = (x1 + x2) // 2, y - ARC_STEP * level // 4 + 12
        parts.append(
            f'<g class="map-flow{hidden}"><path d="{path}" stroke-width="{stroke(flow)}" '
            f'fill="none" marker-end="url(#arrow)"/>'
            f'<text x="{lx}" y="{ly}" text-anchor="middle" class="map-flow-label">'
            f"{escape(label(flow))}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _map_svg(data: dict[str, Any], trajectory: Trajectory) -> str:
    def label(flow: dict[str, Any]) -> str:
        if flow["median_days"] is None:
            return flow["count_text"]
        return _("%(n)s · median %(d)s days") % {
            "n": flow["count_text"],
            "d": flow["median_text"],
        }

    svg = render_map(
        data["steps"],
        data["flows"],
        title=_("Map of the trajectory “%(name)s”") % {"name": trajectory.name},
        description=_(
            "Steps from left to right with their number of visits; arrows are the moves "
            "between steps, with their number and median wait. The table after the map "
            "gives the same figures."
        ),
        label=label,
        step_label=lambda step: _("%(n)s visits") % {"n": step["visits_text"]},
    )
    return mark_safe(svg)  # noqa: S308 - every text in it is escaped by render_map


def _analysis_context(
    request: HttpRequest, trajectory: Trajectory, teams: list[str] | None = None
) -> dict[str, Any]:
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if start and end and start > end:
        start, end = end, start
    data = analysis.analyse(trajectory, start, end, teams)
    context: dict[str, Any] = {"trajectory": trajectory, "data": None}
    if data is not None:
        data = _decorate(trajectory, data)
        context.update(data=data, svg=_map_svg(data, trajectory))
    return context


@login_required
@require_GET
def trajectory_list(request: HttpRequest) -> HttpResponse:
    trajectories = Trajectory.objects.visible_to(request.user).select_related("unit")
    return render(request, "trajectories/list.html", {"trajectories": trajectories})


@login_required
@require_GET
def trajectory_map(request: HttpRequest, code: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    context = _analysis_context(request, trajectory)
    _audit(request, trajectory, "map")
    return render(request, "trajectories/map.html", {**context, "tab": "map"})


@login_required
@require_GET
def trajectory_bottlenecks(request: HttpRequest, code: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    context = _analysis_context(request, trajectory)
    if context["data"] is not None:
        context["bottlenecks"] = analysis.bottlenecks(context["data"])
        context["queues"] = _queues(trajectory, context["data"]["queues"])
    _audit(request, trajectory, "bottlenecks")
    return render(request, "trajectories/bottlenecks.html", {**context, "tab": "bottlenecks"})


def _queues(trajectory: Trajectory, queues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    units = {
        team.source_name: team.unit
        for team in TrajectoryTeam.objects.filter(trajectory=trajectory).select_related("unit")
    }
    trends = {"growing": _("growing"), "shrinking": _("shrinking"), "stable": _("stable")}
    rows = [
        {
            **queue,
            "name": _("All teams") if queue["team"] is None else queue["team"],
            "unit": units.get(queue["team"]),
            "trend_text": trends.get(queue["trend"], "x"),
            "first_text": "x" if queue["first"] is None else f"{queue['first']:.1f}",
            "last_text": "x" if queue["last"] is None else f"{queue['last']:.1f}",
        }
        for queue in queues
    ]
    order = {"growing": 0, "stable": 1, "shrinking": 2, None: 3}
    return sorted(rows, key=lambda r: (r["team"] is not None, order[r["trend"]], r["name"]))


@login_required
@require_GET
def trajectory_variants(request: HttpRequest, code: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    context = _analysis_context(request, trajectory)
    _audit(request, trajectory, "variants")
    return render(request, "trajectories/variants.html", {**context, "tab": "variants"})


def _csv(name: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def flows_csv(request: HttpRequest, code: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    data = _analysis_context(request, trajectory)["data"]
    if data is None:
        raise Http404
    _audit(request, trajectory, "flows.csv")
    rows = [
        [f["source_name"], f["target_name"], f["count_text"], days_text(f["median_days"])]
        for f in data["flows"]
    ]
    header = [_("From step"), _("To step"), _("Moves"), _("Median wait (days)")]
    return _csv(f"{trajectory.code}-flows.csv", header, rows)


@login_required
@require_GET
def variants_csv(request: HttpRequest, code: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    data = _analysis_context(request, trajectory)["data"]
    if data is None:
        raise Http404
    _audit(request, trajectory, "variants.csv")
    rows = [
        [
            _("Other variants (%(n)s)") % {"n": row["n_variants"]}
            if row["other"]
            else " > ".join(row["names"]),
            row["count_text"],
            row["share_text"],
        ]
        for row in data["variant_rows"]
    ]
    rows.append([_("Total"), data["variants_total_text"], ""])
    return _csv(f"{trajectory.code}-variants.csv", [_("Steps"), _("Cases"), _("Share")], rows)


def _measure(trajectory: Trajectory, code: str) -> MeasureSpec:
    for spec in MEASURES:
        if indicator_code(trajectory, spec) == code:
            return spec
    raise Http404


def _point_text(indicator: Indicator, point: SeriesPoint) -> str:
    """A weekly value as the indicator pages show it: hidden values by their mark (a small
    count, or a value hidden so that a total does not give one back)."""
    if point.hidden is not None:
        return hidden_mark(indicator, point.hidden).text
    return f"{point.value:g}"


@login_required
@require_GET
def indicator_analysis(request: HttpRequest, code: str, indicator: str) -> HttpResponse:
    trajectory = _get_trajectory_for_user(request.user, code)
    spec = _measure(trajectory, indicator)
    unit = get_unit_for_user(request.user, request.GET.get("unit") or trajectory.unit.code)
    linked = TrajectoryTeam.objects.filter(trajectory=trajectory, unit=unit).exists()
    if unit.pk != trajectory.unit_id and not linked:
        raise Http404
    found = Indicator.objects.filter(code=indicator).first()
    week = _date(request.GET.get("week"))
    values = Value.objects.filter(indicator=found, unit=unit).order_by("period")
    if week is None:
        latest = values.last()
        week = latest.period if latest else timezone.localdate()
    week -= dt.timedelta(days=week.weekday())
    first, last = week - dt.timedelta(weeks=WEEKS_BEFORE), week + dt.timedelta(weeks=WEEKS_AFTER)
    # Read like every indicator page (`read`), so the same values are hidden here.
    points = read(found, unit).series.points if found else []
    series = [
        {"week": p.period, "text": _point_text(found, p), "current": p.period == week}
        for p in points
        if first <= p.period <= last
    ]
    data = analysis.analyse(
        trajectory, first, week + dt.timedelta(days=6), analysis.unit_teams(trajectory, unit)
    )
    context: dict[str, Any] = {"trajectory": trajectory, "data": None}
    if data is not None:
        data = _decorate(trajectory, data)
        context.update(data=data, svg=_map_svg(data, trajectory))
    _audit(request, trajectory, "indicator", indicator=indicator, unit_code=unit.code)
    context.update(indicator=found, spec=spec, unit=unit, week=week, series=series, tab="indicator")
    return render(request, "trajectories/indicator.html", context)


@login_required
@require_GET
def indicator_lookup(request: HttpRequest, indicator: str) -> HttpResponse:
    """The drill-down of a computed indicator found from its code alone (what a board tile
    knows), redirected to `indicator_analysis` with the same query (unit, week)."""
    for trajectory in Trajectory.objects.visible_to(request.user):
        if any(indicator_code(trajectory, spec) == indicator for spec in MEASURES):
            url = reverse("trajectory_indicator", args=[trajectory.code, indicator])
            query = request.GET.urlencode()
            return HttpResponseRedirect(f"{url}?{query}" if query else url)
    raise Http404
