"""Control rooms and their boards: zones, problems, actions, escalations, recognition, kata.

A room belongs to a unit (one room per unit) or, for a service trajectory, spans the teams of
the trajectory. Its parent room is the room of the nearest unit above it: escalations go up
that chain (or across to a trajectory room) and decisions come back down the same way.
Cards that several people edit (problems, actions, kata) carry a `version` so that a save
based on an old copy is refused instead of silently overwriting (see `actions.py`).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator, Priority
from pilotage.organisation.models import LEADING_ROLES, Bilingual, Level, Membership, Person, Unit
from pilotage.organisation.scope import ids_on_paths, scope_paths, subtrees_q


class Zone(models.TextChoices):
    """The zones a board can show, in the order a template lists them."""

    PRIORITIES = "priorities", _("Strategic priorities (true north)")
    INDICATORS = "indicators", _("Indicators")
    PROJECTS = "projects", _("Projects")
    PROBLEMS = "problems", _("Problems and irritants")
    ACTIONS = "actions", _("Action plan")
    ESCALATIONS = "escalations", _("Escalations and decisions")
    RECOGNITION = "recognition", _("Recognition")
    KATA = "kata", _("Improvement kata")


class Cadence(models.TextChoices):
    DAILY = "daily", _("Daily")
    TWICE_WEEKLY = "twice_weekly", _("Twice a week")
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    FOUR_WEEKLY = "four_weekly", _("Every four weeks")
    MONTHLY = "monthly", _("Monthly")


#: Days between two meetings of each cadence (to find "the next meeting").
CADENCE_DAYS = {
    Cadence.DAILY: 1,
    Cadence.TWICE_WEEKLY: 3,
    Cadence.WEEKLY: 7,
    Cadence.FORTNIGHTLY: 14,
    Cadence.FOUR_WEEKLY: 28,
    Cadence.MONTHLY: 30,
}


def validate_zones(zones: object) -> None:
    """Zones are a list of {"zone": <a Zone>, "limit": <a whole number, 0 for none>}, each
    zone at most once."""
    if not isinstance(zones, list) or not zones:
        raise ValidationError(_("List the zones of the board, in order."))
    seen = set()
    for item in zones:
        if not isinstance(item, dict) or item.get("zone") not in Zone.values:
            raise ValidationError(
                _('Each zone is written {"zone": name, "limit": number}; names: %(names)s.')
                % {"names": ", ".join(Zone.values)}
            )
        limit = item.get("limit", 0)
        if not isinstance(limit, int) or limit < 0:
            raise ValidationError(_("A zone's limit is a whole number, 0 for no limit."))
        if item["zone"] in seen:
            raise ValidationError(_("A zone appears twice."))
        seen.add(item["zone"])


class RoomTemplate(Bilingual, models.Model):
    """The editable model a room is created from: its zones in order with their limits, its
    meeting cadence and time box. Quebec practice gives one per level and one for trajectory
    rooms; organisations adapt them."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    level = models.CharField(
        _("level"),
        max_length=12,
        choices=Level.choices,
        blank=True,
        help_text=_("Empty for trajectory rooms."),
    )
    zones = models.JSONField(
        _("zones"),
        validators=[validate_zones],
        help_text=_(
            'Zones in order, each {"zone": "indicators", "limit": 8}; a limit of 0 means no limit.'
        ),
    )
    cadence = models.CharField(_("meeting cadence"), max_length=14, choices=Cadence.choices)
    time_box_minutes = models.PositiveSmallIntegerField(_("meeting time box (minutes)"))

    class Meta:
        verbose_name = _("room template")
        verbose_name_plural = _("room templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localised("name")


class RoomKind(models.TextChoices):
    UNIT = "unit", _("Unit room")
    TRAJECTORY = "trajectory", _("Trajectory room")


class RoomQuerySet(models.QuerySet["Room"]):
    def visible_to(self, user: object) -> "RoomQuerySet":
        """Rooms the user may see: rooms of units in their sub-trees; trajectory rooms one of
        whose teams is in their sub-trees or above them (the members of every team of a
        trajectory meet in its room); and, for those who lead a unit, the room of the unit
        just above (middle managers sit in their director's room)."""
        paths = scope_paths(user)
        if paths is None:
            return self.all()
        if not paths:
            return self.none()
        condition = (
            Q(member_units__in=ids_on_paths(paths))
            | Q(kind=RoomKind.UNIT, unit_id__in=_parents_of_led_units(user))
            | subtrees_q(paths, "unit")
            | subtrees_q(paths, "member_units")
        )
        return self.filter(condition).distinct()


def _parents_of_led_units(user: object) -> list[int]:
    return list(
        Membership.objects.current()
        .filter(person__user=user, role__in=LEADING_ROLES, unit__parent__isnull=False)
        .values_list("unit__parent_id", flat=True)
    )


class Room(Bilingual, models.Model):
    """A control room (salle de pilotage): a board and the meetings held at it.

    A unit room belongs to one unit, at that unit's level. A trajectory room is anchored to
    the unit that sponsors it (usually a direction) and lists the teams along the trajectory
    (`member_units`); it is where matters between teams are escalated (horizontal
    integration).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=RoomKind.choices)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="rooms"
    )
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    template = models.ForeignKey(
        RoomTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="rooms"
    )
    zones = models.JSONField(_("zones"), validators=[validate_zones])
    cadence = models.CharField(_("meeting cadence"), max_length=14, choices=Cadence.choices)
    time_box_minutes = models.PositiveSmallIntegerField(_("meeting time box (minutes)"))
    member_units = models.ManyToManyField(
        Unit, verbose_name=_("teams of the trajectory"), blank=True, related_name="trajectory_rooms"
    )

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("control room")
        verbose_name_plural = _("control rooms")
        ordering = ["unit__path", "kind", "code"]
        constraints = [
            # One board per unit; trajectory rooms are as many as trajectories.
            models.UniqueConstraint(
                fields=["unit"], condition=Q(kind="unit"), name="room_one_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localised("name")

    @property
    def level(self) -> str:
        return self.unit.level if self.kind == RoomKind.UNIT else "trajectory"

    def zone_limit(self, zone: str) -> int:
        for item in self.zones:
            if item["zone"] == zone:
                return int(item.get("limit") or 0)
        return 0

    def has_zone(self, zone: str) -> bool:
        return any(item["zone"] == zone for item in self.zones)

    def parent_room(self) -> "Room | None":
        """The unit room of the nearest unit above (for a trajectory room: of its own unit's
        parent chain, starting with its unit)."""
        chain = list(reversed(self.unit.ancestor_ids()))
        if self.kind == RoomKind.TRAJECTORY:
            chain.insert(0, self.unit_id)
        rooms = {r.unit_id: r for r in Room.objects.filter(kind=RoomKind.UNIT, unit_id__in=chain)}
        return next((rooms[u] for u in chain if u in rooms), None)


class Card(models.Model):
    """What problems, actions and the kata share: the room, the priority served, who created it
    and when, and a version number for safe concurrent edits."""

    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.CASCADE)
    priority = models.ForeignKey(
        Priority,
        verbose_name=_("strategic priority"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    ANALYSING = "analysing", _("Analysing")
    ACTION = "action", _("Action under way")
    SOLVED = "solved", _("Solved")
    ESCALATED = "escalated", _("Escalated")


class Problem(Card):
    """A problem or irritant raised at the board by anyone in the room."""

    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problems",
    )
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["room", "-created_at"]
        default_related_name = "problems"
        indexes = [
            # The board's kanban: a room's problems by status.
            models.Index(fields=["room", "status"], name="problem_room_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != ProblemStatus.SOLVED


class ActionStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DOING = "doing", _("Under way")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Action(Card):
    """An action of the room's plan: what, who, by when, and what it answers."""

    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        Person,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.TODO
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["room", "due", "pk"]
        default_related_name = "actions"
        indexes = [
            models.Index(fields=["room", "status", "due"], name="action_room_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in {ActionStatus.TODO, ActionStatus.DOING}

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.due is not None and self.due < (today or timezone.localdate())


class EscalationState(models.TextChoices):
    SENT = "sent", _("Awaiting decision")
    DECIDED = "decided", _("Decided, awaiting acknowledgement")
    CLOSED = "closed", _("Closed")


class DecisionKind(models.TextChoices):
    SOLVED = "solved", _("Solved")
    REDIRECTED = "redirected", _("Redirected to another room")
    REFUSED = "refused", _("Refused")
    ANALYSIS = "analysis", _("Analysis requested")
    ESCALATED = "escalated", _("Escalated further")


class EscalationQuerySet(models.QuerySet["Escalation"]):
    def open(self) -> "EscalationQuerySet":
        return self.exclude(state=EscalationState.CLOSED)

    def awaiting_decision(self) -> "EscalationQuerySet":
        return self.filter(state=EscalationState.SENT)


class Escalation(models.Model):
    """A problem or action a room could not solve within its authority, sent to the parent
    room or to a trajectory room, with the decision that came back.

    It closes only when the originating room acknowledges the decision. When the receiving
    room escalates it further, the new escalation points to this one (`parent`), and its
    decision is relayed back down along the same path.
    """

    from_room = models.ForeignKey(
        Room, verbose_name=_("from room"), on_delete=models.CASCADE, related_name="escalations_sent"
    )
    to_room = models.ForeignKey(
        Room,
        verbose_name=_("to room"),
        on_delete=models.CASCADE,
        related_name="escalations_received",
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    action = models.ForeignKey(
        Action,
        verbose_name=_("action"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("escalated from"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalated_further",
    )
    title = models.CharField(_("subject"), max_length=200)
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=8, choices=EscalationState.choices, default=EscalationState.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    decision = models.CharField(
        _("decision"), max_length=10, choices=DecisionKind.choices, blank=True
    )
    decision_text = models.TextField(_("decision and reasons"), blank=True)
    redirected_to = models.ForeignKey(
        Room,
        verbose_name=_("redirected to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    meetings_without_decision = models.PositiveSmallIntegerField(
        _("meetings held without a decision"),
        default=0,
        help_text=_("Counted by the receiving room's meetings while the escalation waits."),
    )

    objects = EscalationQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(problem__isnull=False) | Q(action__isnull=False),
                name="escalation_has_subject",
            ),
            models.CheckConstraint(
                condition=~Q(from_room=models.F("to_room")), name="escalation_to_another_room"
            ),
        ]
        indexes = [
            # The receiving board: escalations of a room by state.
            models.Index(fields=["to_room", "state"], name="escalation_to_state_idx"),
            models.Index(fields=["from_room", "state"], name="escalation_from_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def round_trip(self) -> datetime.timedelta | None:
        """Time from sending to acknowledgement: a measure of the management system itself."""
        return self.acknowledged_at - self.sent_at if self.acknowledged_at else None


class Recognition(models.Model):
    """Thanks or credit given at the board, to people, for an action or a result."""

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="recognitions"
    )
    text = models.TextField(_("recognition"))
    people = models.ManyToManyField(Person, verbose_name=_("people"), blank=True, related_name="+")
    action = models.ForeignKey(
        Action,
        verbose_name=_("action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Kata(Card):
    """The improvement kata of a team room: where the team wants to be, where it is, the next
    target condition and the obstacles on the way (experiments are recorded below)."""

    target_state = models.TextField(_("target state"))
    current_condition = models.TextField(_("current condition"), blank=True)
    next_target = models.TextField(_("next target condition"), blank=True)
    obstacles = models.TextField(_("obstacles"), blank=True, help_text=_("One per line."))

    class Meta:
        verbose_name = _("improvement kata")
        verbose_name_plural = _("improvement katas")
        default_related_name = "katas"

    def __str__(self) -> str:
        return self.target_state[:60]


class Experiment(models.Model):
    """One step of the kata: what we try next, what we expect, what happened, what we learnt."""

    kata = models.ForeignKey(
        Kata, verbose_name=_("kata"), on_delete=models.CASCADE, related_name="experiments"
    )
    date = models.DateField(_("date"), default=datetime.date.today)
    step = models.TextField(_("next step"))
    expected = models.TextField(_("what we expect"), blank=True)
    result = models.TextField(_("what happened"), blank=True)
    learning = models.TextField(_("what we learnt"), blank=True)

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["kata", "date", "pk"]

    def __str__(self) -> str:
        return self.step[:60]


class DisplayToken(models.Model):
    """A revocable read-only link to one board for a TV screen in the room. Only a hash of
    the token is stored; the link is shown once when created."""

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="display_tokens"
    )
    label = models.CharField(_("screen"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("display link")
        verbose_name_plural = _("display links")

    def __str__(self) -> str:
        return f"{self.room} · {self.label}"
