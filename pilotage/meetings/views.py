"""The huddle at the board: start it from a room, run it (attendance, roles, the agenda item
by item with its timer, decisions with their consensus check, new actions), end it; its
minutes as a page and a PDF; and the room's meeting measures.

Permissions (decision 0014): everyone who may see the room may follow its huddle and read
its minutes and measures (a director visiting a team's huddle included); anyone else gets a
404, so a room of another unit does not reveal that it exists. Only the room's members run
a huddle: the others get a 403 on its forms. Deciding on an escalation received also needs
to lead the room, as on the board.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pilotage.meetings import actions
from pilotage.meetings.forms import (
    ActionForm,
    AttendanceForm,
    DecisionForm,
    NextItemForm,
    RolesForm,
)
from pilotage.meetings.measures import room_measures, summarise
from pilotage.meetings.minutes import minutes_of
from pilotage.meetings.models import AgendaItem, AgendaItemKind, Meeting
from pilotage.meetings.pdf import render_pdf
from pilotage.rooms.access import can_lead_room, get_room_for_user, is_member
from pilotage.rooms.actions import NotAllowed
from pilotage.rooms.models import EscalationState, Room


def _get_meeting_for_user(user: object, pk: int) -> Meeting:
    """The meeting if the user may see its room, else 404."""
    meeting = (
        Meeting.objects.filter(pk=pk, room__in=Room.objects.visible_to(user))
        .select_related("room__unit", "facilitator", "secretary", "timekeeper")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def _get_meeting_to_run(user: object, pk: int) -> Meeting:
    """The meeting if the user is a member of its room: 404 outside the scope, else 403."""
    meeting = _get_meeting_for_user(user, pk)
    if not is_member(user, meeting.room):
        raise PermissionDenied
    return meeting


def _to_huddle(meeting: Meeting, anchor: str = "main") -> HttpResponse:
    url = reverse("meeting_detail", kwargs={"pk": meeting.pk})
    return HttpResponseRedirect(f"{url}#{anchor}")


def _closed(request: HttpRequest, meeting: Meeting, error: Exception) -> HttpResponse:
    messages.error(request, str(error))
    if isinstance(error, actions.MeetingClosed):
        return redirect("meeting_minutes", pk=meeting.pk)
    return _to_huddle(meeting)


def _decides_escalation(user: object, meeting: Meeting, item: AgendaItem | None) -> bool:
    """Whether the decision form offers to decide the current item's escalation."""
    return (
        item is not None
        and item.kind == AgendaItemKind.ESCALATION_RECEIVED
        and item.escalation is not None
        and item.escalation.state == EscalationState.SENT
        and can_lead_room(user, meeting.room)
    )


def _render_huddle(
    request: HttpRequest,
    meeting: Meeting,
    decision_form: DecisionForm | None = None,
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    items = list(
        meeting.items.select_related(
            "indicator",
            "problem",
            "escalation__from_room",
            "escalation__to_room",
            "action__owner",
            "presenter",
        )
    )
    current = next((item for item in items if item.is_current), None)
    now = timezone.now()
    decides = _decides_escalation(request.user, meeting, current)
    context = {
        "meeting": meeting,
        "room": meeting.room,
        "items": items,
        "current": current,
        "agenda_started": any(item.started_at for item in items),
        "can_run": is_member(request.user, meeting.room),
        "attendances": meeting.attendances.select_related("person"),
        "decisions": meeting.decisions.select_related("item"),
        "captured": meeting.captured_actions.select_related("action__owner", "item__indicator"),
        "item_remaining": current.remaining_seconds(now) if current else None,
        "meeting_ends_at": meeting.started_at + meeting.time_box,
        "meeting_remaining": int((meeting.started_at + meeting.time_box - now).total_seconds()),
        "roles_form": RolesForm(meeting=meeting),
        "next_form": NextItemForm(initial={"current": current.pk if current else None}),
        "decision_form": decision_form or DecisionForm(decides_escalation=decides),
        "action_form": action_form or ActionForm(meeting=meeting),
    }
    return render(request, "meetings/huddle.html", context, status=status)


@login_required
@require_POST
def start_huddle(request: HttpRequest, code: str) -> HttpResponse:
    """Start a huddle in the room, or join the one under way."""
    room = get_room_for_user(request.user, code)
    if not is_member(request.user, room):
        raise PermissionDenied
    meeting, created = actions.do_start_meeting(room, user=request.user)
    if created:
        messages.success(request, _("Huddle started. Mark who is here, then start the agenda."))
    else:
        messages.info(request, _("A huddle is already under way in this room: you joined it."))
    return _to_huddle(meeting)


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The huddle page while it runs; once ended, its minutes."""
    meeting = _get_meeting_for_user(request.user, pk)
    if not meeting.is_open:
        return redirect("meeting_minutes", pk=meeting.pk)
    return _render_huddle(request, meeting)


@login_required
@require_POST
def record_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request.user, pk)
    form = AttendanceForm(request.POST, meeting=meeting)
    if not form.is_valid():
        messages.error(request, _("The attendance list has changed: please tick it again."))
        return _to_huddle(meeting, "attendance")
    try:
        actions.do_record_attendance(
            meeting,
            present=set(form.cleaned_data["present"]),
            excused=set(form.cleaned_data["excused"]),
            user=request.user,
        )
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    messages.success(request, _("Attendance saved."))
    return _to_huddle(meeting, "attendance")


@login_required
@require_POST
def set_roles(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request.user, pk)
    form = RolesForm(request.POST, meeting=meeting)
    if not form.is_valid():
        messages.error(request, _("Choose the roles among the members of the room."))
        return _to_huddle(meeting, "roles")
    try:
        actions.do_set_roles(meeting, user=request.user, **form.cleaned_data)
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    messages.success(request, _("Roles saved."))
    return _to_huddle(meeting, "roles")


@login_required
@require_POST
def set_presenter(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Who presents an agenda item (any member of the room on the meeting's list)."""
    meeting = _get_meeting_to_run(request.user, pk)
    item = get_object_or_404(meeting.items, pk=item_pk)
    person_id = request.POST.get("presenter") or None
    presenter = meeting.attendances.filter(person_id=person_id).first() if person_id else None
    if person_id and presenter is None:
        messages.error(request, _("The presenter is one of the people on the meeting's list."))
        return _to_huddle(meeting, "current")
    try:
        actions.do_set_presenter(item, presenter.person if presenter else None, user=request.user)
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    messages.success(request, _("Presenter saved."))
    return _to_huddle(meeting, "current")


@login_required
@require_POST
def next_item(request: HttpRequest, pk: int) -> HttpResponse:
    """End the current item (with its outcome) and start the next one."""
    meeting = _get_meeting_to_run(request.user, pk)
    form = NextItemForm(request.POST)
    if not form.is_valid():
        return _to_huddle(meeting, "agenda")
    try:
        item = actions.do_next_item(
            meeting,
            current=form.cleaned_data["current"],
            outcome=form.cleaned_data["outcome"],
            user=request.user,
        )
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    if item is None:
        messages.info(request, _("The agenda is done: end the meeting when you are ready."))
    return _to_huddle(meeting, "current")


@login_required
@require_POST
def start_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Take an item out of order."""
    meeting = _get_meeting_to_run(request.user, pk)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    try:
        actions.do_start_item(meeting, item, user=request.user)
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    return _to_huddle(meeting, "current")


@login_required
@require_POST
def record_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a decision with its consensus check (on the current item)."""
    meeting = _get_meeting_to_run(request.user, pk)
    current = meeting.current_item()
    decides = _decides_escalation(request.user, meeting, current)
    form = DecisionForm(request.POST, decides_escalation=decides)
    if not form.is_valid():
        return _render_huddle(request, meeting, decision_form=form, status=400)
    try:
        decision = actions.do_record_decision(
            meeting, user=request.user, item=current, **form.cleaned_data
        )
    except (actions.InvalidStep, NotAllowed) as error:
        if isinstance(error, actions.MeetingClosed):
            return _closed(request, meeting, error)
        form.add_error(None, str(error))
        return _render_huddle(request, meeting, decision_form=form, status=400)
    if not decision.checked:
        messages.success(request, _("Decision recorded (no consensus check)."))
    elif decision.reached:
        messages.success(request, _("Decision recorded: consensus reached."))
    else:
        messages.warning(request, _("Decision recorded: consensus not reached."))
    return _to_huddle(meeting, "decisions")


@login_required
@require_POST
def capture_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a new action on the room's plan, linked to the current item."""
    meeting = _get_meeting_to_run(request.user, pk)
    form = ActionForm(request.POST, meeting=meeting)
    if not form.is_valid():
        return _render_huddle(request, meeting, action_form=form, status=400)
    try:
        actions.do_capture_action(meeting, user=request.user, **form.cleaned_data)
    except actions.InvalidStep as error:
        return _closed(request, meeting, error)
    messages.success(request, _("Action added to the room's action plan."))
    return _to_huddle(meeting, "actions")


@login_required
@require_POST
def end_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting_to_run(request.user, pk)
    actions.do_end_meeting(meeting, user=request.user)
    messages.success(request, _("Meeting ended. Here are its minutes."))
    return redirect("meeting_minutes", pk=meeting.pk)


@login_required
@require_GET
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """Who was there, roles, items covered and their time, decisions, actions, not reached."""
    meeting = _get_meeting_for_user(request.user, pk)
    return render(request, "meetings/minutes.html", {"minutes": minutes_of(meeting)})


@login_required
@require_GET
def meeting_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same minutes as a PDF, in the reader's language."""
    meeting = _get_meeting_for_user(request.user, pk)
    html = render_to_string(
        "meetings/minutes_pdf.html", {"minutes": minutes_of(meeting)}, request=request
    )
    day = timezone.localtime(meeting.started_at).date().isoformat()
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    filename = f"minutes-{meeting.room.code}-{day}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def room_meeting_measures(request: HttpRequest, code: str) -> HttpResponse:
    """The room's meetings with duration, attendance, decisions and actions."""
    room = get_room_for_user(request.user, code)
    measures = room_measures(room)
    context = {
        "room": room,
        "measures": measures,
        "summary": summarise(measures),
        "open_meeting": next((m.meeting for m in measures if m.meeting.is_open), None),
        "can_run": is_member(request.user, room),
    }
    return render(request, "meetings/measures.html", context)
