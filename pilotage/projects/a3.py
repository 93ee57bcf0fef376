"""A status sheet as one A3 landscape page of PDF, rendered in-process by WeasyPrint.

Exactly one page whatever the content: the sheet is rendered, its pages counted, and while it
overflows it is rendered again tighter, first with shorter lists ("and N more"), then with a
smaller font and shorter texts (cut, ending with "…"). No sheet text is printed past 4,000
characters: an A3 third holds less, and rendering pages of overflow is slow. The SPC charts of the
project's indicators are embedded as `data:` SVG images; the URL fetcher refuses everything
else (see pilotage/meetings/pdf.py), so nothing is fetched from the network or the disk.
"""

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from pilotage.indicators import charts
from pilotage.indicators.series import read
from pilotage.meetings.pdf import local_only_fetcher
from pilotage.projects.models import RAG_COLOURS, StatusSheet

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "pilotage" / "a3.css"


@dataclass(frozen=True)
class Fit:
    """How tight one rendering is: items kept per list, font size, longest text kept."""

    max_items: int
    font_pt: float
    max_chars: int | None = None


#: The renderings tried in turn until the sheet fits on one page.
FITS = (
    Fit(8, 10, 4000),
    Fit(5, 9, 3000),
    Fit(4, 8, 2500),
    Fit(3, 7, 2000),
    Fit(3, 6, 1500),
    Fit(2, 5.5, 700),
    Fit(2, 5, 300),
    Fit(1, 5, 80),
)


@dataclass(frozen=True)
class Capped:
    items: list[Any]
    more: int


def _cap(items: list[Any], n: int) -> Capped:
    return Capped(items[:n], max(0, len(items) - n))


def _cut(text: str, max_chars: int | None) -> str:
    if max_chars is None or len(text) <= max_chars:
        return text
    return text[:max_chars].rstrip() + "…"


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def indicator_charts(sheet: StatusSheet) -> list[dict[str, Any]]:
    """The project's indicators with their SPC chart (when there is data) as a data URI."""
    rows = []
    for link in sheet.project.indicators.select_related("indicator", "unit"):
        reading = read(link.indicator, link.unit)
        chart = None
        if reading.result is not None:
            chart = _svg_data_uri(charts.render_svg(charts.chart_spec(reading, width=520))[1])
        rows.append(
            {
                "link": link,
                "reading": reading,
                "chart": chart,
                "alt": charts.summary(reading) if reading.result is not None else "",
            }
        )
    return rows


def _context(sheet: StatusSheet, fit: Fit, indicators: list[dict[str, Any]]) -> dict[str, Any]:
    project = sheet.project
    today = sheet.period_end
    milestones = [m for m in project.milestones.all() if m.done_on is None]
    return {
        "sheet": sheet,
        "project": project,
        "colours": RAG_COLOURS,
        "fit": fit,
        "texts": {
            name: _cut(getattr(sheet, name), fit.max_chars)
            for name in ("achievements", "recovery_plan", "help_needed", "decisions_requested")
        },
        "objective": _cut(project.objective, fit.max_chars),
        "expected_results": _cut(project.expected_results, fit.max_chars),
        "indicators": _cap(indicators, max(1, min(fit.max_items, 4))),
        "next_steps": _cap(list(sheet.next_steps.all()), fit.max_items),
        "blockers": _cap(list(sheet.blockers.all()), fit.max_items),
        "milestones": _cap(milestones, fit.max_items),
        "overdue": {m.pk for m in milestones if m.is_overdue(today)},
        "decisions": _cap(list(sheet.decisions.select_related("decided_by")), fit.max_items),
    }


def render_a3(sheet: StatusSheet, language: str) -> tuple[bytes, Fit]:
    """The sheet as a one-page A3 landscape PDF in the language, and the fit that was used."""
    from weasyprint import CSS, HTML

    fetcher = local_only_fetcher()
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    with translation.override(language):
        indicators = indicator_charts(sheet)
        for fit in FITS:
            html = render_to_string("projects/a3.html", _context(sheet, fit, indicators))
            size = CSS(string=f"html {{ font-size: {fit.font_pt}pt }}", url_fetcher=fetcher)
            document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
                stylesheets=[stylesheet, size]
            )
            if len(document.pages) == 1:
                break
        else:  # the tightest fit still overflows: keep its first page only
            document.pages[1:] = []
        return document.write_pdf(), fit
