"""The outputs of the status sheets: the status-sheet meeting of a room (agenda by exception,
decisions, minutes), a sheet as an A3 PDF, and the portfolio of a room's projects over time.

Included by pilotage/projects/urls.py; every URL has at least two segments, so none is taken
for a project code.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotage.projects import review
from pilotage.projects.a3 import render_a3
from pilotage.projects.checks import linked_indicators, watermelon
from pilotage.projects.models import RAG, Project, SheetReviewMeeting, StatusSheet
from pilotage.rooms.access import can_lead_room, get_room_for_user, is_member
from pilotage.rooms.models import Room


def _can_run(user: object, room: Room) -> bool:
    return is_member(user, room) or can_lead_room(user, room)


def _get_review_for_user(user: object, pk: int) -> SheetReviewMeeting:
    """The meeting if the user may see its room, else 404."""
    try:
        return SheetReviewMeeting.objects.select_related("room__unit").get(
            pk=pk, room__in=Room.objects.visible_to(user)
        )
    except SheetReviewMeeting.DoesNotExist:
        raise Http404 from None


def _get_sheet_for_user(user: object, pk: int) -> StatusSheet:
    try:
        return StatusSheet.objects.visible_to(user).select_related("project__room").get(pk=pk)
    except StatusSheet.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def review_start(request: HttpRequest, room_code: str) -> HttpResponse:
    """Start the room's status-sheet meeting (or rejoin the one already open)."""
    room = get_room_for_user(request.user, room_code)
    if not _can_run(request.user, room):
        raise PermissionDenied
    meeting = review.do_start_review(room, request.user)
    return redirect("review_detail", pk=meeting.pk)


def _person_of(user: object) -> object:
    return getattr(user, "person", None)


def _review_post(request: HttpRequest, meeting: SheetReviewMeeting) -> HttpResponse | None:
    """Run one step of the meeting; a response for a refused step, None when done."""
    step = request.POST.get("step")
    item = review.current_item(meeting)
    if step == "decide":
        text = request.POST.get("decision", "").strip()
        if not can_lead_room(request.user, meeting.room):
            raise PermissionDenied
        if item is None or not text:
            return HttpResponse(_("Write the decision taken on the current sheet."), status=400)
        review.do_capture_decision(item, text, _person_of(request.user))
    elif step == "next":
        review.do_next_sheet(meeting, request.POST.get("outcome", ""))
    elif step == "end":
        review.do_end_review(meeting, request.POST.get("outcome", ""))
    else:
        return HttpResponse(_("Unknown step."), status=400)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting in progress: the agenda, the sheet being presented and its time box."""
    meeting = _get_review_for_user(request.user, pk)
    if request.method == "POST":
        if not _can_run(request.user, meeting.room):
            raise PermissionDenied
        if not meeting.is_open:
            return redirect("review_minutes", pk=meeting.pk)
        refused = _review_post(request, meeting)
        if refused is not None:
            return refused
        return redirect("review_detail", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "entries": review.minutes_of(meeting),
        "current": review.current_item(meeting),
        "can_run": _can_run(request.user, meeting.room),
        "can_decide": can_lead_room(request.user, meeting.room),
    }
    return render(request, "projects/meeting.html", context)


@login_required
@require_GET
def review_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes: each sheet of the agenda, its time, outcome and the decisions taken."""
    meeting = _get_review_for_user(request.user, pk)
    context = {"meeting": meeting, "entries": review.minutes_of(meeting)}
    return render(request, "projects/meeting_minutes.html", context)


@login_required
@require_GET
def review_list(request: HttpRequest, room_code: str) -> HttpResponse:
    """The room's agenda by exception as it stands, its meetings, and the start button."""
    room = get_room_for_user(request.user, room_code)
    context = {
        "room": room,
        "agenda": review.agenda(room),
        "open_review": review.open_review(room),
        "reviews": review.reviews_of(room)[:20],
        "can_run": _can_run(request.user, room),
    }
    return render(request, "projects/meeting_list.html", context)


@login_required
@require_GET
def sheet_a3_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet as one A3 landscape page, in the reader's language."""
    sheet = _get_sheet_for_user(request.user, pk)
    pdf, _fit = render_a3(sheet, get_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"status-sheet-{sheet.project.code}-{sheet.period_end:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


#: Months shown on the portfolio, the latest last.
PORTFOLIO_MONTHS = 12


@dataclass(frozen=True)
class PortfolioRow:
    project: Project
    cells: list[StatusSheet | None]  # the month's latest sheet, one per month
    current: StatusSheet | None
    watermelons: int  # sheets shown that are green while a linked indicator fails


def _months(last: datetime.date, n: int) -> list[datetime.date]:
    """The first days of the n months ending with the month of `last`, oldest first."""
    months, year, month = [], last.year, last.month
    for _i in range(n):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def portfolio_of(room: Room) -> dict[str, Any]:
    """The room's projects (active first) with their sheets' overall status per month: the
    sheet of latest period in each month. The watermelon check runs on the green sheets shown,
    against the indicators as they read today (one reading per project)."""
    projects = list(Project.objects.filter(room=room).order_by("-is_active", "name"))
    sheets = list(
        StatusSheet.objects.filter(project__in=projects)
        .select_related("project")
        .order_by("project_id", "period_end")
    )
    last = max((s.period_end for s in sheets), default=datetime.date.today())
    months = _months(last, PORTFOLIO_MONTHS)
    by_cell = {(s.project_id, s.period_end.replace(day=1)): s for s in sheets}
    rows = []
    for project in projects:
        cells = [by_cell.get((project.pk, month)) for month in months]
        own = [s for s in sheets if s.project_id == project.pk]
        shown = [c for c in cells if c is not None and c.overall == RAG.GREEN]
        linked = linked_indicators(project) if shown else []
        flagged = sum(1 for c in shown if watermelon(c, linked))
        rows.append(PortfolioRow(project, cells, own[-1] if own else None, flagged))
    return {"months": months, "rows": rows}


@login_required
@require_GET
def portfolio(request: HttpRequest, room_code: str) -> HttpResponse:
    """Each project of the room with the overall status of its sheets, month by month."""
    room = get_room_for_user(request.user, room_code)
    return render(request, "projects/portfolio.html", {"room": room, **portfolio_of(room)})


urlpatterns: list[URLPattern] = [
    path("rooms/<slug:room_code>/reviews/", review_list, name="review_list"),
    path("rooms/<slug:room_code>/reviews/start/", review_start, name="review_start"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("reviews/<int:pk>/minutes/", review_minutes, name="review_minutes"),
    path("sheets/<int:pk>/a3.pdf", sheet_a3_pdf, name="sheet_a3_pdf"),
    path("rooms/<slug:room_code>/portfolio/", portfolio, name="portfolio"),
]
