"""The escalation loop in the interface: escalate a problem or an action, decide, forward
further up, acknowledge; the escalation's page with its chain up and back; a room's
escalations with the measures of the loop.

Permissions: an escalation is seen by those who may see the room that sent it or the room
that received it; anyone else gets a 404. Inside that scope a missing role is a 403: members
of a room (and its leaders) escalate from it and acknowledge what comes back to it; the
leaders of the receiving room decide and forward. A step the loop does not allow in its
present state (`actions.NotAllowed`) writes nothing and comes back as a message.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotage.rooms import metrics
from pilotage.rooms.access import can_contribute, can_lead_room, get_room_for_user
from pilotage.rooms.actions import (
    NotAllowed,
    do_acknowledge,
    do_decide,
    do_escalate,
    escalation_targets,
    why_not_escalable,
)
from pilotage.rooms.models import (
    Action,
    DecisionKind,
    Escalation,
    EscalationState,
    Problem,
    Room,
)
from pilotage.rooms.tasks import compute_room_indicators
from pilotage.tasks import enqueue_on_commit

SUBJECTS: dict[str, type[Problem] | type[Action]] = {"problem": Problem, "action": Action}
RELATED = (
    "from_room__unit",
    "to_room__unit",
    "problem",
    "action",
    "redirected_to",
    "sent_by",
    "decided_by",
    "acknowledged_by",
)


# --- Forms -------------------------------------------------------------------------------------


def _room_choices(rooms: list[Room]) -> list[tuple[int, str]]:
    return [(room.pk, f"{room.name} · {room.get_kind_display()}") for room in rooms]


class EscalateForm(forms.Form):
    """Where to send the matter (one of the room's targets) and why."""

    to_room = forms.TypedChoiceField(
        label=gettext_lazy("Send to"), coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("Why this room cannot solve it"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, targets: list[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_room"].choices = _room_choices(targets)
        self.rooms = {room.pk: room for room in targets}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[c for c in DecisionKind.choices if c[0] != DecisionKind.ESCALATED],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("Decision and reasons"),
        help_text=gettext_lazy("Required when the matter is refused or redirected."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    redirect_to = forms.TypedChoiceField(
        label=gettext_lazy("Redirected to"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, rooms: list[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["redirect_to"].choices = [("", "—"), *_room_choices(rooms)]
        self.rooms = {room.pk: room for room in rooms}


# --- Helpers -----------------------------------------------------------------------------------


def _visible_escalations(user: object) -> QuerySet[Escalation]:
    """Escalations sent or received by a room the user may see."""
    rooms = Room.objects.visible_to(user).values("pk")
    return Escalation.objects.filter(Q(from_room__in=rooms) | Q(to_room__in=rooms))


def _get_escalation_for_user(user: object, pk: int) -> Escalation:
    """The escalation if the user may see one of its two rooms, else 404."""
    escalation = _visible_escalations(user).select_related(*RELATED).filter(pk=pk).first()
    if escalation is None:
        raise Http404
    return escalation


def _get_subject_for_user(user: object, room_code: str, kind: str, pk: int) -> Problem | Action:
    """The room's problem or action, or 404 (outside the scope, or not this room's)."""
    room = get_room_for_user(user, room_code)
    model = SUBJECTS.get(kind)
    subject = model.objects.filter(room=room, pk=pk).first() if model else None
    if subject is None:
        raise Http404
    subject.room = room  # the scoped room, with its unit already read
    return subject


def _redirect_targets(user: object, escalation: Escalation) -> list[Room]:
    """Rooms a leader may redirect the matter to: those they may see, but the two ends."""
    return list(
        Room.objects.visible_to(user)
        .exclude(pk__in=[escalation.from_room_id, escalation.to_room_id])
        .select_related("unit")
    )


def _awaiting_above(escalation: Escalation) -> bool:
    """Sent further up and still waiting for the decision from there."""
    return (
        escalation.state == EscalationState.SENT and escalation.decision == DecisionKind.ESCALATED
    )


def _back(request: HttpRequest, escalation: Escalation) -> HttpResponse:
    """Back where the form was sent from (the board, say) if it is ours, else the page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("escalation_detail", kwargs={"pk": escalation.pk})
    return HttpResponseRedirect(target)


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _chain(escalation: Escalation) -> list[Escalation]:
    """Every step of the matter: up to the first escalation, then every one sent from it
    (further up or redirected), in the order they were sent."""
    root = escalation
    while root.parent_id is not None:
        root = Escalation.objects.select_related(*RELATED).get(pk=root.parent_id)
    steps, frontier = [root], [root.pk]
    while frontier:
        found = list(Escalation.objects.filter(parent_id__in=frontier).select_related(*RELATED))
        steps.extend(found)
        frontier = [step.pk for step in found]
    return sorted(steps, key=lambda step: (step.sent_at, step.pk))


def _decision_forms(user: object, escalation: Escalation) -> dict[str, forms.Form | None]:
    """The decide and forward forms, for the receiving room's leaders while it waits."""
    if (
        escalation.state != EscalationState.SENT
        or _awaiting_above(escalation)
        or not can_lead_room(user, escalation.to_room)
    ):
        return {"decide_form": None, "forward_form": None}
    return {
        "decide_form": DecideForm(rooms=_redirect_targets(user, escalation)),
        "forward_form": EscalateForm(targets=escalation_targets(escalation.to_room)),
    }


def _recompute() -> None:
    enqueue_on_commit(compute_room_indicators)


# --- Views -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def escalation_create(request: HttpRequest, room_code: str, kind: str, pk: int) -> HttpResponse:
    """Send a problem or an action of the room to its parent or a trajectory room."""
    subject = _get_subject_for_user(request.user, room_code, kind, pk)
    room = subject.room
    if not can_contribute(request.user, room):
        raise PermissionDenied
    form = EscalateForm(request.POST or None, targets=escalation_targets(room))
    blocked = why_not_escalable(subject)
    if request.method == "GET":
        context = {"room": room, "subject": subject, "kind": kind, "form": form, "blocked": blocked}
        return render(request, "rooms/escalation_create.html", context)
    here = request.path
    if blocked or not form.is_valid():
        messages.error(request, blocked or _form_errors(form))
        return HttpResponseRedirect(here)
    to_room = form.rooms[form.cleaned_data["to_room"]]
    try:
        escalation = do_escalate(subject, to_room, form.cleaned_data["reason"], user=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(here)
    _recompute()
    messages.success(request, _("Escalated to %(room)s.") % {"room": to_room.name})
    return HttpResponseRedirect(reverse("escalation_detail", kwargs={"pk": escalation.pk}))


@login_required
@require_GET
def escalation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The escalation: its subject, every step up and back with who and when, the decision,
    and the forms the user may send."""
    escalation = _get_escalation_for_user(request.user, pk)
    visible = set(Room.objects.visible_to(request.user).values_list("pk", flat=True))
    steps = _chain(escalation)
    for step in steps:
        step.openable = step.from_room_id in visible or step.to_room_id in visible
    context = {
        "escalation": escalation,
        # The room the person reaches it from: the one that sent it, if they may see it.
        "home_room": escalation.from_room
        if escalation.from_room_id in visible
        else escalation.to_room,
        "steps": steps,
        "overdue": metrics.is_overdue(escalation),
        "awaiting_above": _awaiting_above(escalation),
        "may_acknowledge": escalation.state == EscalationState.DECIDED
        and can_contribute(request.user, escalation.from_room),
        **_decision_forms(request.user, escalation),
    }
    return render(request, "rooms/escalation_detail.html", context)


@login_required
@require_POST
def escalation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the receiving room's decision (its leaders only)."""
    escalation = _get_escalation_for_user(request.user, pk)
    if not can_lead_room(request.user, escalation.to_room):
        raise PermissionDenied
    if _awaiting_above(escalation):
        messages.error(request, _("This matter waits for the decision of the room above."))
        return _back(request, escalation)
    form = DecideForm(request.POST, rooms=_redirect_targets(request.user, escalation))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, escalation)
    data = form.cleaned_data
    try:
        do_decide(
            escalation,
            data["decision"],
            data["text"],
            user=request.user,
            redirect_to=form.rooms.get(data["redirect_to"]),
        )
    except NotAllowed as error:
        messages.error(request, str(error))
        return _back(request, escalation)
    _recompute()
    messages.success(
        request,
        _("Decision recorded: %(room)s will be asked to acknowledge it.")
        % {"room": escalation.from_room.name},
    )
    return _back(request, escalation)


@login_required
@require_POST
def escalation_forward(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the matter further up (the receiving room's leaders); the decision from there
    comes back down the same way."""
    escalation = _get_escalation_for_user(request.user, pk)
    if not can_lead_room(request.user, escalation.to_room):
        raise PermissionDenied
    if escalation.state != EscalationState.SENT or _awaiting_above(escalation):
        messages.error(request, _("This matter can no longer be sent further up."))
        return _back(request, escalation)
    form = EscalateForm(request.POST, targets=escalation_targets(escalation.to_room))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, escalation)
    to_room = form.rooms[form.cleaned_data["to_room"]]
    subject = escalation.problem or escalation.action
    try:
        do_escalate(
            subject, to_room, form.cleaned_data["reason"], user=request.user, parent=escalation
        )
    except NotAllowed as error:
        messages.error(request, str(error))
        return _back(request, escalation)
    _recompute()
    messages.success(request, _("Escalated to %(room)s.") % {"room": to_room.name})
    return _back(request, escalation)


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The originating room takes note of the decision: the escalation closes."""
    escalation = _get_escalation_for_user(request.user, pk)
    if not can_contribute(request.user, escalation.from_room):
        raise PermissionDenied
    try:
        do_acknowledge(escalation, user=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
        return _back(request, escalation)
    _recompute()
    messages.success(request, _("Decision acknowledged: the escalation is closed."))
    return _back(request, escalation)


@login_required
@require_GET
def room_escalations(request: HttpRequest, room_code: str) -> HttpResponse:
    """A room's escalations: the open ones sent and received, the measures of the loop, and
    the last ones closed."""
    room = get_room_for_user(request.user, room_code)
    sent = room.escalations_sent.open().select_related(*RELATED)
    received = room.escalations_received.open().select_related(*RELATED)
    closed = list(
        Escalation.objects.filter(Q(from_room=room) | Q(to_room=room))
        .filter(state=EscalationState.CLOSED)
        .select_related(*RELATED)
        .order_by("-acknowledged_at")[:100]
    )
    for escalation in closed:
        escalation.round_trip_days = metrics.round_trip_days(escalation)
    context = {
        "room": room,
        "readonly": False,
        **metrics.zone_extra(room, sent, received),
        "closed": closed,
        "zone_page": True,
    }
    return render(request, "rooms/escalation_list.html", context)


urlpatterns = [
    path("<slug:room_code>/escalations/", room_escalations, name="room_escalations"),
    path(
        "<slug:room_code>/escalate/<slug:kind>/<int:pk>/",
        escalation_create,
        name="escalation_create",
    ),
    path("escalations/<int:pk>/", escalation_detail, name="escalation_detail"),
    path("escalations/<int:pk>/decide/", escalation_decide, name="escalation_decide"),
    path("escalations/<int:pk>/forward/", escalation_forward, name="escalation_forward"),
    path(
        "escalations/<int:pk>/acknowledge/", escalation_acknowledge, name="escalation_acknowledge"
    ),
]
