"""The TV display of a board: a read-only page for a screen in the room, opened with a
revocable link instead of a login, and the page where the room's leaders make and revoke
those links.

The link's token is the credential: it opens `room_display` and its fragment for one room
and nothing else (no session is created, no other URL reads it). Only the token's sha256 is
stored; the full link is shown once, in the answer to the form that creates it. A token
nobody knows answers 404; a revoked one 410 Gone, so the screen can say it was switched off
(see docs/decisions/0015-tv-display-token.md). The display shows aggregates and what staff
wrote on the board (titles, statuses, staff names, counts, indicator tiles), never anything
from the event logs at case level.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from pilotage.organisation.scope import can_lead
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    DecisionKind,
    DisplayToken,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
    Zone,
)
from pilotage.rooms.signals import Tile, indicator_tiles

#: How often the screen asks for a fresh board, and the least time between two writes of
#: `last_used_at` (a screen refreshing every minute must not write on every refresh).
REFRESH_SECONDS = 60
LAST_USED_EVERY = datetime.timedelta(seconds=60)

#: What fits on a 1920×1080 screen at the display's type size; the rest is counted.
MAX_TILES = 8
MAX_PROBLEMS = 3
MAX_ACTIONS = 3
MAX_DECISIONS = 1
MAX_RECOGNITIONS = 2
SOLVED_WITHIN = datetime.timedelta(days=30)

#: The zones the display shows, in the room's order; the others stay on the board page.
DISPLAYED_ZONES = (Zone.INDICATORS, Zone.PROBLEMS, Zone.ACTIONS, Zone.ESCALATIONS, Zone.RECOGNITION)

#: A shape for every status, so that no status rests on colour alone (words come with it).
PROBLEM_GLYPHS = {
    ProblemStatus.NEW: "●",
    ProblemStatus.ANALYSING: "◆",
    ProblemStatus.ACTION: "▶",
    ProblemStatus.ESCALATED: "▲",
    ProblemStatus.SOLVED: "✔",
}
OPEN_PROBLEMS = [
    ProblemStatus.NEW,
    ProblemStatus.ANALYSING,
    ProblemStatus.ACTION,
    ProblemStatus.ESCALATED,
]
ACTION_GLYPHS = {ActionStatus.TODO: "○", ActionStatus.DOING: "▶"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- What the screen shows -----------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    """One status with its number, in words, with a shape and a tone (CSS modifier)."""

    code: str
    label: str
    glyph: str
    n: int


@dataclass(frozen=True)
class Line:
    """One item of a list on the screen: a title, its status in words with a shape, and for
    actions who and by when."""

    title: str
    status: str
    label: str
    glyph: str
    owner: str = ""
    due: datetime.date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class EscalationRow:
    """Open escalations one way (sent or received), by state."""

    label: str
    glyph: str
    waiting: int  # awaiting a decision
    decided: int  # decided, not yet acknowledged by the room that sent it


@dataclass
class Snapshot:
    """The board as the screen shows it, read in a fixed number of queries."""

    room: Room
    zones: list[str]
    updated_at: datetime.datetime
    today: datetime.date
    tiles: list[Tile] = field(default_factory=list)
    more_tiles: int = 0
    problem_counts: list[StatusCount] = field(default_factory=list)
    open_problem_count: int = 0
    open_problems: list[Line] = field(default_factory=list)
    open_action_count: int = 0
    open_actions: list[Line] = field(default_factory=list)
    overdue: int = 0
    escalations: list[EscalationRow] = field(default_factory=list)
    to_acknowledge: list[Line] = field(default_factory=list)
    recognitions: list[Recognition] = field(default_factory=list)

    @property
    def list_columns(self) -> int:
        """Columns below the tiles: problems and actions one each, full height; escalations
        and recognition share one."""
        tall = sum(z in (Zone.PROBLEMS, Zone.ACTIONS) for z in self.zones)
        short = any(z in (Zone.ESCALATIONS, Zone.RECOGNITION) for z in self.zones)
        return max(1, tall + short)


def _tiles(room: Room, snapshot: Snapshot) -> None:
    """The room's tiles, capped to what the screen holds: signals first when capped, as on
    the board, and the number left out is said."""
    limit = room.zone_limit(Zone.INDICATORS)
    cap = min(limit, MAX_TILES) if limit else MAX_TILES
    tiles = indicator_tiles(room, limit=0)
    if len(tiles) > cap:
        keep = {id(t) for t in sorted(tiles, key=lambda t: not t.signal)[:cap]}
        snapshot.more_tiles = len(tiles) - cap
        tiles = [t for t in tiles if id(t) in keep]
    snapshot.tiles = tiles


def _problems(room: Room, snapshot: Snapshot) -> None:
    since = snapshot.updated_at - SOLVED_WITHIN
    counts = dict(
        Problem.objects.filter(room=room)
        .filter(~Q(status=ProblemStatus.SOLVED) | Q(solved_at__gte=since))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    labels = {**dict(ProblemStatus.choices), ProblemStatus.SOLVED: _("Solved (30 days)")}
    snapshot.problem_counts = [
        StatusCount(status, str(labels[status]), PROBLEM_GLYPHS[status], counts[status])
        for status in [*OPEN_PROBLEMS, ProblemStatus.SOLVED]
        if counts.get(status)
    ]
    # The ones to work on here first; escalated ones wait on another room.
    open_ones = sorted(
        Problem.objects.filter(room=room, status__in=OPEN_PROBLEMS).only("title", "status"),
        key=lambda p: (OPEN_PROBLEMS.index(p.status), -p.pk),
    )
    labels = dict(ProblemStatus.choices)
    snapshot.open_problems = [
        Line(p.title, p.status, str(labels[p.status]), PROBLEM_GLYPHS[p.status])
        for p in open_ones[:MAX_PROBLEMS]
    ]
    snapshot.open_problem_count = len(open_ones)


def _actions(room: Room, snapshot: Snapshot) -> None:
    open_ones = list(
        Action.objects.filter(room=room, status__in=[ActionStatus.TODO, ActionStatus.DOING])
        .select_related("owner")
        .only("title", "status", "due", "owner__given_name", "owner__family_name")
    )
    # Overdue first, then by due date (undated last).
    open_ones.sort(
        key=lambda a: (not a.is_overdue(snapshot.today), a.due or datetime.date.max, a.pk)
    )
    snapshot.overdue = sum(a.is_overdue(snapshot.today) for a in open_ones)
    labels = dict(ActionStatus.choices)
    snapshot.open_actions = [
        Line(
            a.title,
            a.status,
            str(labels[a.status]),
            ACTION_GLYPHS[a.status],
            owner=a.owner.full_name if a.owner else "",
            due=a.due,
            overdue=a.is_overdue(snapshot.today),
        )
        for a in open_ones[:MAX_ACTIONS]
    ]
    snapshot.open_action_count = len(open_ones)


def _escalation_row(queryset: QuerySet[Escalation], label: str, glyph: str) -> EscalationRow:
    counts = dict(
        queryset.exclude(state=EscalationState.CLOSED)
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return EscalationRow(
        label, glyph, counts.get(EscalationState.SENT, 0), counts.get(EscalationState.DECIDED, 0)
    )


def _escalations(room: Room, snapshot: Snapshot) -> None:
    """Open escalations both ways by state, and the decisions this room has to acknowledge
    (the loop closes only when it does)."""
    snapshot.escalations = [
        _escalation_row(Escalation.objects.filter(from_room=room), _("Sent"), "↑"),
        _escalation_row(Escalation.objects.filter(to_room=room), _("Received"), "↓"),
    ]
    labels = dict(DecisionKind.choices)
    snapshot.to_acknowledge = [
        Line(e.title, e.decision, str(labels.get(e.decision, "")), "✔")
        for e in Escalation.objects.filter(from_room=room, state=EscalationState.DECIDED)
        .only("title", "decision", "decided_at")
        .order_by("decided_at", "pk")[:MAX_DECISIONS]
    ]


def _recognitions(room: Room, snapshot: Snapshot) -> None:
    snapshot.recognitions = list(
        Recognition.objects.filter(room=room)
        .prefetch_related("people")
        .order_by("-given_at")[:MAX_RECOGNITIONS]
    )


_READERS = {
    Zone.INDICATORS: _tiles,
    Zone.PROBLEMS: _problems,
    Zone.ACTIONS: _actions,
    Zone.ESCALATIONS: _escalations,
    Zone.RECOGNITION: _recognitions,
}


def board_snapshot(room: Room) -> Snapshot:
    """What the screen shows of the room: only the zones the room has, in its order."""
    now = timezone.now()
    zones = [z["zone"] for z in room.zones if z["zone"] in DISPLAYED_ZONES]
    snapshot = Snapshot(room=room, zones=zones, updated_at=now, today=timezone.localdate(now))
    for zone in zones:
        _READERS[Zone(zone)](room, snapshot)
    return snapshot


# --- The screen: opened with the token, no login --------------------------------------------


class GoneError(Exception):
    """The token was revoked."""


def _get_room_for_token(token: str) -> Room:
    """The room a display token opens; 404 for a token nobody knows, GoneError for a revoked
    one. Marks the token used, at most once a minute."""
    if len(token) > 128:
        raise Http404
    found = (
        DisplayToken.objects.select_related("room__unit")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if found is None:
        raise Http404
    if found.revoked_at is not None:
        raise GoneError
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
        # Several screens (or servers) may share a token: the condition keeps one write a
        # minute even when two requests race past the check above.
        DisplayToken.objects.filter(pk=found.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    return found.room


def _screen_headers(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: keep it out of caches, search engines and Referer headers."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _render_screen(request: HttpRequest, token: str, template: str) -> HttpResponse:
    try:
        room = _get_room_for_token(token)
    except GoneError:
        response = render(request, "rooms/display_gone.html", {"revoked": True}, status=410)
    except Http404:
        response = render(request, "rooms/display_gone.html", {"revoked": False}, status=404)
    else:
        context = {
            "snapshot": board_snapshot(room),
            "token": token,
            "refresh_seconds": REFRESH_SECONDS,
        }
        response = render(request, template, context)
    return _screen_headers(response)


@require_safe
def room_display(request: HttpRequest, token: str) -> HttpResponse:
    """The board on the room's screen, refreshed every minute by display.js."""
    return _render_screen(request, token, "rooms/display.html")


@require_safe
def room_display_fragment(request: HttpRequest, token: str) -> HttpResponse:
    """The content of the screen alone, fetched by display.js to replace the old one."""
    return _render_screen(request, token, "rooms/display_board.html")


# --- The leaders' page: make and revoke display links ---------------------------------------


def _get_room_to_lead(user: object, code: str) -> Room:
    """The room if the user leads it; 404 outside the user's scope, 403 for a member who
    does not lead it."""
    room = Room.objects.visible_to(user).select_related("unit").filter(code=code).first()
    if room is None:
        raise Http404
    if not can_lead(user, room.unit):
        raise PermissionDenied
    return room


def _render_links(
    request: HttpRequest, room: Room, new_link: str = "", new_label: str = "", status: int = 200
) -> HttpResponse:
    tokens = room.display_tokens.select_related("created_by__person").order_by(
        "revoked_at", "-created_at"
    )
    context = {
        "room": room,
        "tokens": tokens,
        "new_link": new_link,
        "new_label": new_label,
        "label_max": DisplayToken._meta.get_field("label").max_length,
    }
    return render(request, "rooms/display_links.html", context, status=status)


@login_required
@require_safe
def display_links(request: HttpRequest, code: str) -> HttpResponse:
    """The room's display links: which screens show the board, and a form for a new one."""
    return _render_links(request, _get_room_to_lead(request.user, code))


@login_required
@require_POST
def display_create(request: HttpRequest, code: str) -> HttpResponse:
    """A new display link, shown in full once in this answer (only its hash is kept, so it
    cannot be shown again: this answer is not a redirect, and it is not cached)."""
    room = _get_room_to_lead(request.user, code)
    label = request.POST.get("label", "").strip()
    if not label or len(label) > DisplayToken._meta.get_field("label").max_length:
        messages.error(request, _("Give the screen a name of at most 100 characters."))
        return HttpResponseRedirect(reverse("display_links", args=[room.code]))
    token = secrets.token_urlsafe(32)
    DisplayToken.objects.create(
        room=room, label=label, token_hash=token_hash(token), created_by=request.user
    )
    link = request.build_absolute_uri(reverse("room_display", args=[token]))
    return _screen_headers(_render_links(request, room, link, label, status=201))


@login_required
@require_POST
def display_revoke(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Switch a display link off: the screen that uses it shows the board no more."""
    room = _get_room_to_lead(request.user, code)
    link = get_object_or_404(DisplayToken, pk=pk, room=room)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    messages.success(request, _("The display link “%(label)s” is revoked.") % {"label": link.label})
    return HttpResponseRedirect(reverse("display_links", args=[room.code]))


# `display-links` comes before `display/<token>/` so that a room coded "display" keeps its
# page (a token is 43 characters and never "display-links").
urlpatterns = [
    path("<slug:code>/display-links/", display_links, name="display_links"),
    path("<slug:code>/display-links/new/", display_create, name="display_create"),
    path("<slug:code>/display-links/<int:pk>/revoke/", display_revoke, name="display_revoke"),
    path("display/<str:token>/", room_display, name="room_display"),
    path("display/<str:token>/fragment/", room_display_fragment, name="room_display_fragment"),
]
