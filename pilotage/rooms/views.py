"""The rooms a user may see, a room's board, and the forms of its cards.

Permissions (`access.py`): a room outside the user's scope is a 404; inside it, anyone may
read the board, and its members and leaders may raise problems, own actions and change the
cards (a 403 on those forms for the others). Card edits carry the version they were opened
at: a save over a card someone changed meanwhile is refused with a 409 that shows the stored
card beside what the person typed, so nothing is silently overwritten and nothing is lost.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotage.indicators import charts
from pilotage.indicators.models import Indicator
from pilotage.indicators.series import read
from pilotage.organisation.models import Level
from pilotage.organisation.scope import can_lead, get_unit_for_user
from pilotage.rooms import board
from pilotage.rooms.access import can_contribute, can_lead_room, get_room_for_user, is_member
from pilotage.rooms.actions import NotAllowed, StaleEdit, do_create_room, do_update_card
from pilotage.rooms.forms import (
    ActionForm,
    CardForm,
    ExperimentForm,
    KataForm,
    ProblemForm,
    RecognitionForm,
    conflict_rows,
    fingerprint,
)
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    Experiment,
    Kata,
    Problem,
    ProblemStatus,
    Room,
    RoomKind,
    RoomTemplate,
    Zone,
)
from pilotage.rooms.signals import Tile

# --- Helpers -------------------------------------------------------------------------------


def _get_room_to_work_on(user: object, code: str) -> Room:
    """The room if the user may change its board: 404 outside their scope, 403 for someone
    who may read it but is neither a member nor a leader."""
    room = get_room_for_user(user, code)
    if not can_contribute(user, room):
        raise PermissionDenied
    return room


def _get_kata_room(user: object, code: str) -> Room:
    room = _get_room_to_work_on(user, code)
    if not room.has_zone(Zone.KATA):
        raise Http404
    return room


def _get_indicator_for_room(room: Room, code: str) -> Indicator:
    """An indicator that applies to the room's unit (owned by it or above), else 404."""
    chain = [*room.unit.ancestor_ids(), room.unit_id]
    indicator = (
        Indicator.objects.filter(code=code, owner_unit_id__in=chain)
        .select_related("priority", "owner_unit")
        .first()
    )
    if indicator is None:
        raise Http404
    return indicator


def _to_board(room: Room, zone: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('room_board', args=[room.code])}#zone-{zone}")


def _render_form(
    request: HttpRequest,
    room: Room,
    form: forms.Form,
    heading: str,
    action_url: str,
    *,
    zone: str,
    conflict: list[tuple[str, str, str, bool]] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        "room": room,
        "form": form,
        "heading": heading,
        "action_url": action_url,
        "zone": zone,
        "conflict": conflict,
        **(extra or {}),
    }
    return render(request, "rooms/card_form.html", context, status=status)


def _conflict(
    request: HttpRequest,
    room: Room,
    form_class: type[CardForm],
    current: Any,
    attempted: dict[str, Any],
    data: Any,
    heading: str,
    action_url: str,
    zone: str,
) -> HttpResponse:
    """The card as stored now beside what the person typed; the form keeps their version,
    now based on the current one, so saving it again is a deliberate choice."""
    rows = conflict_rows(form_class(instance=current, room=room), current, attempted)
    data = data.copy()
    data["version"] = str(current.version)
    form = form_class(data, instance=current, room=room)
    return _render_form(
        request, room, form, heading, action_url, zone=zone, conflict=rows, status=409
    )


def _edit_card(
    request: HttpRequest,
    room: Room,
    card: Any,
    form_class: type[CardForm],
    heading: str,
    zone: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET: the card's form. POST: save it from the version it was opened at."""
    action_url = request.path
    if request.method != "POST":
        form = form_class(instance=card, room=room)
        return _render_form(request, room, form, heading, action_url, zone=zone, extra=extra)
    form = form_class(request.POST, instance=card, room=room)
    if not form.is_valid():
        return _render_form(
            request, room, form, heading, action_url, zone=zone, status=400, extra=extra
        )
    try:
        do_update_card(card, form.cleaned_data["version"] or 0, form.changes(), user=request.user)
    except StaleEdit as stale:
        return _conflict(
            request, room, form_class, stale.current, form.changes(), request.POST,
            heading, action_url, zone,
        )  # fmt: skip
    messages.success(request, _("“%(card)s” saved.") % {"card": card})
    return _to_board(room, zone)


def _move(
    request: HttpRequest,
    room: Room,
    card: Any,
    form_class: type[CardForm],
    allowed: list[str],
    edit_url: str,
    zone: str,
) -> HttpResponse:
    """A status change from the board (the kanban's columns, an action's status)."""
    status = request.POST.get("status", "")
    if status not in allowed:
        messages.error(request, _("Choose one of the statuses offered."))
        return _to_board(room, zone)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        do_update_card(card, version, {"status": status}, user=request.user)
    except StaleEdit as stale:
        fields = form_class._meta.fields or []
        attempted = {name: getattr(stale.current, name) for name in fields}
        attempted["status"] = status
        data = {k: "" if v is None else v for k, v in model_to_dict(stale.current, fields).items()}
        data["status"] = status
        heading = _("Change “%(card)s”") % {"card": stale.current}
        return _conflict(
            request, room, form_class, stale.current, attempted, _Data(data), heading,
            edit_url, zone,
        )  # fmt: skip
    messages.success(
        request,
        _("“%(card)s” is now: %(status)s.") % {"card": card, "status": card.get_status_display()},
    )
    return _to_board(room, zone)


class _Data(dict[str, Any]):
    """A plain dict with the `copy()` a QueryDict has (for `_conflict`)."""

    def copy(self) -> "_Data":
        return _Data(self)


def _svg_response(request: HttpRequest, spec: charts.Spec) -> HttpResponse:
    """An SVG chart with its key as ETag: asked with the key (`?v=`), cached for a year (as
    the indicator pages' charts)."""
    key = charts.spec_key(spec)
    if request.headers.get("If-None-Match") == f'"{key}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(charts.render_svg(spec)[1], content_type="image/svg+xml")
    response["ETag"] = f'"{key}"'
    immutable = request.GET.get("v") == key
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if immutable else "private, no-cache"
    )
    return response


# --- Rooms and boards ----------------------------------------------------------------------


@login_required
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    """The rooms the user may see, by level, trajectory rooms apart. `?unit=<code>` goes
    straight to that unit's room (the link of a unit page)."""
    rooms = list(
        Room.objects.visible_to(request.user)
        .select_related("unit")
        .prefetch_related("member_units")
    )
    unit_code = request.GET.get("unit")
    context_create: dict[str, object] = {}
    if unit_code:
        unit = get_unit_for_user(request.user, unit_code)
        own = [r for r in rooms if r.kind == RoomKind.UNIT and r.unit_id == unit.pk]
        if own:
            return redirect("room_board", own[0].code)
        messages.info(request, _("%(unit)s has no control room yet.") % {"unit": unit.name})
        if can_lead(request.user, unit):
            context_create = {
                "create_for": unit,
                "templates": sorted(
                    RoomTemplate.objects.all(), key=lambda t: (t.level != unit.level, t.code)
                ),
            }
    levels = [
        (label, [r for r in rooms if r.kind == RoomKind.UNIT and r.unit.level == level])
        for level, label in Level.choices
    ]
    trajectory = [r for r in rooms if r.kind == RoomKind.TRAJECTORY]
    context = {"levels": [(label, rs) for label, rs in levels if rs], "trajectory": trajectory}
    if unit_code:
        context.update(context_create)
    return render(request, "rooms/room_list.html", context)


@login_required
@require_POST
def room_create(request: HttpRequest) -> HttpResponse:
    """A leader of a unit opens its control room from a template."""
    unit = get_unit_for_user(request.user, request.POST.get("unit", ""))
    if not can_lead(request.user, unit):
        raise PermissionDenied
    template = get_object_or_404(RoomTemplate, pk=request.POST.get("template") or 0)
    try:
        room = do_create_room(unit, template, user=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('room_list')}?unit={unit.code}")
    messages.success(request, _("The control room is open."))
    return redirect("room_board", room.code)


@login_required
@require_GET
def room_board(request: HttpRequest, code: str) -> HttpResponse:
    """The board: the room's zones in its template's order, each capped by its limit."""
    room = get_room_for_user(request.user, code)
    context = {
        "room": room,
        "zones": board.build_board(room),
        "readonly": not can_contribute(request.user, room),
        "parent": room.parent_room(),
        "member": is_member(request.user, room),
        "leads": can_lead_room(request.user, room),
    }
    return render(request, "rooms/board.html", context)


@login_required
@require_GET
def zone_full(request: HttpRequest, code: str, zone: str) -> HttpResponse:
    """One zone of the board in full: every item, with those closed long ago."""
    room = get_room_for_user(request.user, code)
    if not room.has_zone(zone) or zone not in board.DRAWN or zone == Zone.ESCALATIONS:
        raise Http404
    context = {
        "room": room,
        "zone": board.build_zone(room, zone, full=True),
        "readonly": not can_contribute(request.user, room),
    }
    return render(request, "rooms/zone_full.html", context)


@login_required
@require_GET
def room_sparkline(request: HttpRequest, code: str, indicator_code: str) -> HttpResponse:
    """An indicator tile's sparkline as SVG, for those who may see the room."""
    room = get_room_for_user(request.user, code)
    reading = read(_get_indicator_for_room(room, indicator_code), room.unit)
    if reading.result is None:
        raise Http404
    return _svg_response(request, board.sparkline_spec(reading))


# --- Problems ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest, code: str) -> HttpResponse:
    """Raise a problem or irritant: anyone in the room may."""
    room = _get_room_to_work_on(request.user, code)
    form = ProblemForm(request.POST or None, room=room, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        problem = form.save(commit=False)
        problem.room, problem.created_by = room, request.user
        problem.save()
        messages.success(request, _("Problem “%(card)s” raised.") % {"card": problem})
        return _to_board(room, Zone.PROBLEMS)
    status = 400 if request.method == "POST" else 200
    return _render_form(
        request, room, form, _("Raise a problem"), request.path, zone=Zone.PROBLEMS, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    room = _get_room_to_work_on(request.user, code)
    problem = get_object_or_404(Problem.objects.select_related("indicator"), room=room, pk=pk)
    actions = list(problem.actions.select_related("owner"))
    board.mark_due(actions)
    heading = _("Change “%(card)s”") % {"card": problem}
    extra = {"problem": problem, "problem_actions": actions}
    if problem.status not in {ProblemStatus.SOLVED, ProblemStatus.ESCALATED}:
        extra["escalate_url"] = reverse("escalation_create", args=[room.code, "problem", pk])
    return _edit_card(request, room, problem, ProblemForm, heading, Zone.PROBLEMS, extra)


@login_required
@require_POST
def problem_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Move a card to another column of the kanban (a change of status)."""
    room = _get_room_to_work_on(request.user, code)
    problem = get_object_or_404(Problem, room=room, pk=pk)
    allowed = [s for s in ProblemStatus.values if s != ProblemStatus.ESCALATED]
    edit_url = reverse("problem_edit", args=[room.code, problem.pk])
    return _move(request, room, problem, ProblemForm, allowed, edit_url, Zone.PROBLEMS)


@login_required
@require_POST
def problem_from_signal(request: HttpRequest, code: str, indicator_code: str) -> HttpResponse:
    """One click from a signalled tile: a problem linked to the indicator and its priority,
    titled from the signal; then its form, to say more."""
    room = _get_room_to_work_on(request.user, code)
    indicator = _get_indicator_for_room(room, indicator_code)
    reading = read(indicator, room.unit)
    tile = Tile(reading, 0)
    if tile.concern:
        title = _("Special cause of concern on %(indicator)s")
    elif tile.failing:
        title = _("Target consistently missed on %(indicator)s")
    else:
        title = _("Signal on %(indicator)s")
    problem = Problem.objects.create(
        room=room,
        title=(title % {"indicator": indicator.name})[:200],
        description=charts.summary(reading),
        indicator=indicator,
        priority=indicator.priority,
        created_by=request.user,
    )
    messages.success(request, _("Problem “%(card)s” raised: say more below.") % {"card": problem})
    return redirect("problem_edit", room.code, problem.pk)


# --- Actions -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest, code: str) -> HttpResponse:
    """Add an action to the plan (`?problem=`, `?indicator=`, `?priority=` fill the links)."""
    room = _get_room_to_work_on(request.user, code)
    form = ActionForm(request.POST or None, room=room, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        action = form.save(commit=False)
        action.room, action.created_by = room, request.user
        action.save()
        messages.success(request, _("Action “%(card)s” added.") % {"card": action})
        return _to_board(room, Zone.ACTIONS)
    status = 400 if request.method == "POST" else 200
    return _render_form(
        request, room, form, _("Add an action"), request.path, zone=Zone.ACTIONS, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    room = _get_room_to_work_on(request.user, code)
    action = get_object_or_404(Action, room=room, pk=pk)
    heading = _("Change “%(card)s”") % {"card": action}
    extra = {}
    if action.is_open:
        extra["escalate_url"] = reverse("escalation_create", args=[room.code, "action", pk])
    return _edit_card(request, room, action, ActionForm, heading, Zone.ACTIONS, extra)


@login_required
@require_POST
def action_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Change an action's status from the board."""
    room = _get_room_to_work_on(request.user, code)
    action = get_object_or_404(Action, room=room, pk=pk)
    edit_url = reverse("action_edit", args=[room.code, action.pk])
    return _move(request, room, action, ActionForm, ActionStatus.values, edit_url, Zone.ACTIONS)


# --- Recognition ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recognition_create(request: HttpRequest, code: str) -> HttpResponse:
    """Thank people, for an action or a result."""
    room = _get_room_to_work_on(request.user, code)
    form = RecognitionForm(request.POST or None, room=room, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        recognition = form.save(commit=False)
        recognition.room, recognition.given_by = room, request.user
        recognition.save()
        form.save_m2m()
        messages.success(request, _("Recognition recorded."))
        return _to_board(room, Zone.RECOGNITION)
    status = 400 if request.method == "POST" else 200
    heading = _("Give recognition")
    return _render_form(
        request, room, form, heading, request.path, zone=Zone.RECOGNITION, status=status
    )


# --- Improvement kata (team rooms) ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def kata_create(request: HttpRequest, code: str) -> HttpResponse:
    room = _get_kata_room(request.user, code)
    form = KataForm(request.POST or None, room=room)
    if request.method == "POST" and form.is_valid():
        kata = form.save(commit=False)
        kata.room, kata.created_by = room, request.user
        kata.save()
        messages.success(request, _("Improvement kata started."))
        return _to_board(room, Zone.KATA)
    status = 400 if request.method == "POST" else 200
    heading = _("Start an improvement kata")
    return _render_form(request, room, form, heading, request.path, zone=Zone.KATA, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def kata_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    room = _get_kata_room(request.user, code)
    kata = get_object_or_404(Kata, room=room, pk=pk)
    return _edit_card(request, room, kata, KataForm, _("Change the kata"), Zone.KATA)


@login_required
@require_http_methods(["GET", "POST"])
def experiment_create(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    room = _get_kata_room(request.user, code)
    kata = get_object_or_404(Kata, room=room, pk=pk)
    form = ExperimentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        experiment = form.save(commit=False)
        experiment.kata = kata
        experiment.save()
        messages.success(request, _("Experiment recorded."))
        return _to_board(room, Zone.KATA)
    status = 400 if request.method == "POST" else 200
    heading = _("Record an experiment")
    return _render_form(request, room, form, heading, request.path, zone=Zone.KATA, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def experiment_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Write what happened and what was learnt; refused if the experiment changed since the
    form was opened (the same side-by-side view as the cards)."""
    room = _get_kata_room(request.user, code)
    experiment = get_object_or_404(Experiment, kata__room=room, pk=pk)
    heading, zone = _("Change the experiment"), Zone.KATA
    form = ExperimentForm(request.POST or None, instance=experiment)
    if request.method != "POST":
        return _render_form(request, room, form, heading, request.path, zone=zone)
    if not form.is_valid():
        return _render_form(request, room, form, heading, request.path, zone=zone, status=400)
    with transaction.atomic():
        # Two people writing the result at once: the row lock orders them, the second sees
        # that the stored experiment is no longer the one they opened.
        current = Experiment.objects.select_for_update().get(pk=experiment.pk)
        stale = fingerprint(current) != form.cleaned_data["opened"]
        if not stale:
            Experiment.objects.filter(pk=current.pk).update(**form.changes())
    if stale:
        rows = conflict_rows(ExperimentForm(instance=current), current, form.changes())
        data = request.POST.copy()
        data["opened"] = fingerprint(current)
        form = ExperimentForm(data, instance=current)
        return _render_form(
            request, room, form, heading, request.path, zone=zone, conflict=rows, status=409
        )
    messages.success(request, _("Experiment saved."))
    return _to_board(room, zone)
