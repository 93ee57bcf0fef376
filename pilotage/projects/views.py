"""Projects, their status sheets, and the leadership signals kept from them.

Permissions: a project is seen by whoever may see its room (404 otherwise). A sheet is
written by the project's owner, the sheet's owner and presenter, the project's members and
the room's leaders; published by an owner or a leader; decisions are recorded by the room's
leaders; the room's members and the sheet's writers take part in the dialogue. Inside the
scope, a missing role is a 403.
"""

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotage.organisation.models import LEADING_ROLES, Membership, Person, Unit
from pilotage.organisation.scope import get_unit_for_user
from pilotage.projects import checks
from pilotage.projects.actions import (
    NotAllowed,
    StaleEdit,
    do_comment,
    do_publish_sheet,
    do_record_decision,
    do_request_help,
    do_save_sheet,
    do_start_sheet,
)
from pilotage.projects.forms import (
    CommentForm,
    DecisionForm,
    HelpForm,
    IndicatorFormSet,
    MilestoneFormSet,
    ProjectForm,
    SheetForm,
    StartSheetForm,
)
from pilotage.projects.models import (
    DIMENSIONS,
    RAG_ORDER,
    Project,
    SheetComment,
    SheetDecision,
    StatusSheet,
)
from pilotage.rooms.access import can_contribute, can_lead_room, get_room_for_user, room_members
from pilotage.rooms.actions import escalation_targets
from pilotage.rooms.models import Room

# --- Helpers -------------------------------------------------------------------------------


def _person(user: object) -> Person | None:
    return Person.objects.filter(user_id=getattr(user, "pk", None)).first()


def _get_project_for_user(user: object, code: str) -> Project:
    try:
        return (
            Project.objects.visible_to(user)
            .select_related("room__unit", "owner", "sponsor", "priority")
            .get(code=code)
        )
    except Project.DoesNotExist:
        raise Http404 from None


def _get_sheet_for_user(user: object, pk: int) -> StatusSheet:
    try:
        return (
            StatusSheet.objects.visible_to(user)
            .select_related("project__room__unit", "project__owner", "owner", "presenter")
            .select_related("help_escalation__to_room")
            .get(pk=pk)
        )
    except StatusSheet.DoesNotExist:
        raise Http404 from None


def can_write_project(user: object, project: Project, *people: int | None) -> bool:
    """The project's owner, its members, the other people given (a sheet's owner and
    presenter) and the room's leaders write its sheets."""
    person = _person(user)
    if person is not None and (
        person.pk in {project.owner_id, *people} or project.members.filter(pk=person.pk).exists()
    ):
        return True
    return can_lead_room(user, project.room)


def can_write_sheet(user: object, sheet: StatusSheet) -> bool:
    return can_write_project(user, sheet.project, sheet.owner_id, sheet.presenter_id)


def can_publish_sheet(user: object, sheet: StatusSheet) -> bool:
    person = _person(user)
    if person is not None and person.pk in {sheet.project.owner_id, sheet.owner_id}:
        return True
    return can_lead_room(user, sheet.project.room)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _conflict_rows(form: SheetForm, current: StatusSheet) -> list[tuple[str, str, str, bool]]:
    """(label, stored now, your version, differs) for each field of the sheet."""
    rows = []
    attempted = form.cleaned_data
    for name in form._meta.fields or ():
        field = form.fields[name]
        stored_value = getattr(current, name)
        yours_value = attempted.get(name)
        if name in ("next_steps", "blockers"):
            stored = ", ".join(str(o) for o in stored_value.all()) or "—"
            yours = ", ".join(str(o) for o in yours_value or []) or "—"
        elif hasattr(field, "choices") and not hasattr(field, "queryset"):
            labels = dict(field.choices)
            stored, yours = str(labels.get(stored_value, "—")), str(labels.get(yours_value, "—"))
        else:
            stored, yours = str(stored_value or "—"), str(yours_value or "—")
        rows.append((str(field.label), stored, yours, stored != yours))
    return rows


# --- Projects ------------------------------------------------------------------------------


@login_required
@require_GET
def project_list(request: HttpRequest, room_code: str) -> HttpResponse:
    """A room's projects, with the overall status of their last sheet."""
    room = get_room_for_user(request.user, room_code)
    projects = list(room.projects.select_related("owner").prefetch_related("sheets"))
    for project in projects:
        project.last_sheet = next(iter(project.sheets.all()), None)
    projects.sort(
        key=lambda p: (not p.is_active, RAG_ORDER.get(getattr(p.last_sheet, "overall", ""), 4))
    )
    context = {"room": room, "projects": projects, "can_create": can_lead_room(request.user, room)}
    return render(request, "projects/project_list.html", context)


@login_required
@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = _get_project_for_user(request.user, code)
    today = datetime.date.today()
    milestones = list(project.milestones.all())
    overdue = {m.pk for m in checks.overdue_milestones(project, today)}
    context = {
        "project": project,
        "room": project.room,
        "milestones": [(m, m.pk in overdue) for m in milestones],
        "linked": checks.linked_indicators(project),
        "members": project.members.all(),
        "sheets": list(project.sheets.all()),
        "can_start": can_write_project(request.user, project),
        "can_edit": can_lead_room(request.user, project.room)
        or getattr(_person(request.user), "pk", None) == project.owner_id,
        "start_form": StartSheetForm(initial={"period_end": today}),
    }
    return render(request, "projects/project_detail.html", context)


def _project_form(
    request: HttpRequest, room: Room, project: Project | None, heading: str
) -> HttpResponse:
    """The project's form with its linked indicators and milestones, saved together."""
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, instance=project, room=room)
    formsets = [
        IndicatorFormSet(data, instance=project, prefix="indicators", form_kwargs={"room": room}),
        MilestoneFormSet(data, instance=project, prefix="milestones"),
    ]
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets):
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.room = room
            saved.save()
            form.save_m2m()
            for formset in formsets:
                formset.instance = saved
                formset.save()
        messages.success(request, _("Project “%(project)s” saved.") % {"project": saved})
        return redirect("project_detail", saved.code)
    context = {"room": room, "form": form, "formsets": formsets, "project": project}
    context["heading"] = heading
    status = 400 if data is not None else 200
    return render(request, "projects/project_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest, room_code: str) -> HttpResponse:
    """A new project reviewed in this room: the room's leaders create it."""
    room = get_room_for_user(request.user, room_code)
    _require(can_lead_room(request.user, room))
    return _project_form(request, room, None, _("New project"))


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, code: str) -> HttpResponse:
    """The project changed by its owner or the room's leaders."""
    project = _get_project_for_user(request.user, code)
    person = _person(request.user)
    is_owner = person is not None and person.pk == project.owner_id
    _require(is_owner or can_lead_room(request.user, project.room))
    return _project_form(request, project.room, project, project.name)


# --- Sheets --------------------------------------------------------------------------------


@login_required
@require_POST
def sheet_start(request: HttpRequest, code: str) -> HttpResponse:
    """Start the sheet of a period, from the previous one."""
    project = _get_project_for_user(request.user, code)
    last = project.sheets.first()
    _require(can_write_project(request.user, project, getattr(last, "presenter_id", None)))
    form = StartSheetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date of the status."))
        return redirect("project_detail", project.code)
    try:
        sheet = do_start_sheet(project, form.cleaned_data["period_end"], request.user)
    except NotAllowed as refused:
        messages.error(request, str(refused))
        return redirect("project_detail", project.code)
    return redirect("sheet_edit", sheet.pk)


def _labelled(changes: Any) -> list[Any]:
    """Status changes with the name of their dimension in words."""
    changes = list(changes)
    for change in changes:
        change.label = StatusSheet._meta.get_field(change.dimension).verbose_name
    return changes


def _sheet_context(request: HttpRequest, sheet: StatusSheet) -> dict[str, Any]:
    project = sheet.project
    linked = checks.linked_indicators(project, sheet.period_end)
    comments = list(sheet.comments.select_related("author"))
    replies: dict[int | None, list[SheetComment]] = defaultdict(list)
    for comment in comments:
        replies[comment.parent_id].append(comment)
    for comment in comments:
        comment.thread = replies[comment.pk]
    can_lead = can_lead_room(request.user, project.room)
    return {
        "sheet": sheet,
        "project": project,
        "room": project.room,
        "dimensions": [
            (
                sheet._meta.get_field(d).verbose_name,
                getattr(sheet, d),
                getattr(sheet, f"get_{d}_display")(),
            )
            for d in DIMENSIONS
        ],
        "warnings": checks.watermelon(sheet, linked),
        "linked": linked,
        "overdue": checks.overdue_milestones(project, sheet.period_end),
        "changes": _labelled(sheet.status_changes.select_related("changed_by")),
        "decisions": sheet.decisions.select_related("decided_by"),
        "threads": replies[None],
        "next_steps": sheet.next_steps.select_related("owner"),
        "blockers": sheet.blockers.all(),
        "can_write": can_write_sheet(request.user, sheet) and not sheet.is_published,
        "can_publish": can_publish_sheet(request.user, sheet) and not sheet.is_published,
        "can_decide": can_lead,
        "can_comment": can_contribute(request.user, project.room)
        or can_write_sheet(request.user, sheet),
        "decision_form": DecisionForm(people=room_members(project.room)),
        "comment_form": CommentForm(),
    }


@login_required
@require_GET
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _get_sheet_for_user(request.user, pk)
    return render(request, "projects/sheet_detail.html", _sheet_context(request, sheet))


@login_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet's form, saved from the version it was opened at (409 on a stale save)."""
    sheet = _get_sheet_for_user(request.user, pk)
    _require(can_write_sheet(request.user, sheet))
    if sheet.is_published:
        messages.error(request, _("This sheet is published; start the next one instead."))
        return redirect("sheet_detail", sheet.pk)
    form = SheetForm(request.POST or None, instance=sheet)
    context: dict[str, Any] = {"sheet": sheet, "project": sheet.project, "form": form}
    if request.method != "POST":
        return render(request, "projects/sheet_form.html", context)
    if not form.is_valid():
        return render(request, "projects/sheet_form.html", context, status=400)
    try:
        do_save_sheet(sheet, form.cleaned_data["version"], form.changes(), request.user)
    except StaleEdit as stale:
        context["conflict"] = _conflict_rows(form, stale.current)
        data = request.POST.copy()
        data["version"] = str(stale.current.version)
        context["form"] = SheetForm(data, instance=stale.current)
        return render(request, "projects/sheet_form.html", context, status=409)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "projects/sheet_form.html", context, status=400)
    messages.success(request, _("Sheet saved."))
    return redirect("sheet_detail", sheet.pk)


@login_required
@require_POST
def sheet_publish(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _get_sheet_for_user(request.user, pk)
    _require(can_publish_sheet(request.user, sheet))
    try:
        do_publish_sheet(sheet, request.user)
    except (NotAllowed, ValidationError) as refused:
        messages.error(request, " ".join(getattr(refused, "messages", [str(refused)])))
    else:
        messages.success(request, _("Sheet published."))
    return redirect("sheet_detail", sheet.pk)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_help(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the room above for help: it escalates, and lands on that room's next agenda."""
    sheet = _get_sheet_for_user(request.user, pk)
    _require(can_write_sheet(request.user, sheet))
    targets = escalation_targets(sheet.project.room)
    form = HelpForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        to_room = next(t for t in targets if t.pk == form.cleaned_data["to_room"])
        try:
            do_request_help(sheet, form.cleaned_data["text"], request.user, to_room)
        except NotAllowed as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request, _("Help asked from %(room)s: it is on its board.") % {"room": to_room.name}
            )
            return redirect("sheet_detail", sheet.pk)
    status = 400 if request.method == "POST" else 200
    context = {"sheet": sheet, "project": sheet.project, "form": form, "targets": targets}
    return render(request, "projects/sheet_help.html", context, status=status)


@login_required
@require_POST
def sheet_decision(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _get_sheet_for_user(request.user, pk)
    _require(can_lead_room(request.user, sheet.project.room))
    form = DecisionForm(request.POST, people=room_members(sheet.project.room))
    if not form.is_valid():
        messages.error(request, _("Write the decision and who took it."))
    else:
        data = form.cleaned_data
        do_record_decision(sheet, data["text"], data["decided_by"], request.user)
        messages.success(request, _("Decision recorded."))
    return redirect("sheet_detail", sheet.pk)


@login_required
@require_POST
def sheet_comment(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _get_sheet_for_user(request.user, pk)
    _require(
        can_contribute(request.user, sheet.project.room) or can_write_sheet(request.user, sheet)
    )
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment."))
        return redirect("sheet_detail", sheet.pk)
    parent = None
    if form.cleaned_data["parent"]:
        parent = SheetComment.objects.filter(sheet=sheet, pk=form.cleaned_data["parent"]).first()
        if parent is None:
            raise Http404
    do_comment(sheet, form.cleaned_data["text"], request.user, parent)
    return redirect("sheet_detail", sheet.pk)


# --- Leadership signals --------------------------------------------------------------------


def _quarter(day: datetime.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _leading(
    memberships: dict[int, list[Membership]], person_id: int | None, on: datetime.date
) -> bool:
    return any(
        m.role in LEADING_ROLES and m.start <= on and (m.end is None or m.end >= on)
        for m in memberships.get(person_id or 0, [])
    )


def leadership_table(unit: Unit) -> list[dict[str, Any]]:
    """Per quarter, the sheets owned and presented and the decisions taken by people in a
    leading role (executive, director, manager) on the day, and by everyone else, for the
    projects reviewed in the unit's sub-tree. Counts only: nobody is named."""
    sheets = list(
        StatusSheet.objects.filter(project__room__unit__path__startswith=unit.path).values_list(
            "period_end", "owner_id", "presenter_id"
        )
    )
    decisions = list(
        SheetDecision.objects.filter(
            sheet__project__room__unit__path__startswith=unit.path, decided_by__isnull=False
        ).values_list("decided_at", "decided_by_id")
    )
    people = {p for _d, *ids in sheets for p in ids if p} | {p for _d, p in decisions}
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for membership in Membership.objects.filter(person_id__in=people):
        memberships[membership.person_id].append(membership)
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, owner, presenter in sheets:
        side = "leading" if _leading(memberships, owner, day) else "other"
        rows[_quarter(day)][f"owned_{side}"] += 1
        if presenter:
            side = "leading" if _leading(memberships, presenter, day) else "other"
            rows[_quarter(day)][f"presented_{side}"] += 1
    for at, person in decisions:
        day = at.date()
        side = "leading" if _leading(memberships, person, day) else "other"
        rows[_quarter(day)][f"decided_{side}"] += 1
    return [{"quarter": quarter, **counts} for quarter, counts in sorted(rows.items())]


@login_required
@require_GET
def leadership_signals(request: HttpRequest, unit_code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, unit_code)
    context = {"unit": unit, "rows": leadership_table(unit)}
    return render(request, "projects/leadership.html", context)
