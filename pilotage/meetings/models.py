"""Meetings held at a control room's board: the huddle (caucus) and, later, the status-sheet
meeting.

A huddle is started from a room: the members present, the three caucus roles (facilitator,
secretary, time-keeper), an agenda generated from the board at that moment (see
`agenda.py`) with a time per item inside the room's time box, the decisions taken with their
consensus check, and the actions captured (real actions of the room's plan). When it ends,
its duration, attendance, decisions and actions are the room's meeting measures, and a
meeting that decided nothing is shown as such: boards must not become reporting rituals.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator
from pilotage.organisation.models import Person
from pilotage.rooms.models import Action, Escalation, Problem, Recognition, Room


class MeetingKind(models.TextChoices):
    """What kind of meeting is held at the board. The status-sheet meeting of the projects
    app will be added here ("status_sheet"); the column is wide enough for it."""

    HUDDLE = "huddle", _("Huddle")


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def open(self) -> "MeetingQuerySet":
        """Meetings under way (started, not ended): at most one per room."""
        return self.filter(ended_at__isnull=True)

    def with_measures(self) -> "MeetingQuerySet":
        """Each meeting with its counts of people present, expected (present, excused or
        absent), decisions and actions captured: the room's meeting measures in one query."""
        return self.annotate(
            n_present=Count(
                "attendances", filter=Q(attendances__status=AttendanceStatus.PRESENT), distinct=True
            ),
            n_expected=Count("attendances", distinct=True),
            n_decisions=Count("decisions", distinct=True),
            n_actions=Count("captured_actions", distinct=True),
        )


class Meeting(models.Model):
    """One meeting held at a room's board, from its start to its end.

    The time box is copied from the room when the meeting starts, so changing the room later
    does not rewrite the history of its meetings. The caucus roles come from Quebec training
    material: the facilitator (animateur) runs the meeting, the secretary (secrétaire) records
    decisions and actions, the time-keeper (gardien du temps) keeps each item to its time.
    """

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=MeetingKind.choices, default=MeetingKind.HUDDLE
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    facilitator = models.ForeignKey(
        Person,
        verbose_name=_("facilitator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    secretary = models.ForeignKey(
        Person,
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    timekeeper = models.ForeignKey(
        Person,
        verbose_name=_("time-keeper"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    time_box_minutes = models.PositiveSmallIntegerField(_("time box (minutes)"))

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-started_at"]
        constraints = [
            # One meeting under way per room: starting a huddle while one is open joins it.
            # Also serves "the room's open meeting" (room = ? AND ended_at IS NULL).
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(ended_at__isnull=True),
                name="meeting_one_open_per_room",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="meeting_ends_after_start",
            ),
        ]
        indexes = [
            # The room's measures page and "since the last meeting": a room's meetings by date.
            models.Index(fields=["room", "started_at"], name="meeting_room_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.room} · {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def time_box(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.time_box_minutes)

    def duration(self) -> datetime.timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None

    def current_item(self) -> "AgendaItem | None":
        """The item being discussed: started and not ended (at most one, see actions.py)."""
        return self.items.filter(started_at__isnull=False, ended_at__isnull=True).first()


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


class Attendance(models.Model):
    """Whether one member of the room was at one meeting. Every member of the room when the
    meeting starts gets a row (absent until marked), so the attendance rate has the whole
    team as its denominator."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("attendance"),
        max_length=8,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.ABSENT,
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["meeting", "person__family_name", "person__given_name"]
        constraints = [
            # One row per person and meeting; also serves a meeting's attendance list.
            models.UniqueConstraint(
                fields=["meeting", "person"], name="attendance_once_per_meeting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_status_display()}"


class AgendaItemKind(models.TextChoices):
    """The sections of a huddle's agenda, in the order the issue gives them."""

    SIGNAL = "signal", _("Indicator signal")
    FAILING_ASSURANCE = "failing_assurance", _("Target out of reach (assurance)")
    NEW_PROBLEM = "new_problem", _("New problem")
    ESCALATION_RECEIVED = "escalation_received", _("Escalation received")
    DECISION_RECEIVED = "decision_received", _("Decision received")
    OVERDUE_ACTION = "overdue_action", _("Overdue action")
    RECOGNITION = "recognition", _("Recognition")


class AgendaItem(models.Model):
    """One item of a meeting's agenda, taken from the board when the meeting started.

    It points to what it is about (an indicator, a problem, an escalation, an action or a
    recognition: one of them, by its kind) and keeps a snapshot of its title, so the minutes
    still read right when the card changes or goes. Its time is allotted inside the time box;
    items beyond the box are kept "if time allows". Started and ended times give the time
    actually spent; an item never started was not reached.
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=AgendaItemKind.choices)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalation = models.ForeignKey(
        Escalation,
        verbose_name=_("escalation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.ForeignKey(
        Action,
        verbose_name=_("action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recognition = models.ForeignKey(
        Recognition,
        verbose_name=_("recognition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=300)
    allotted_seconds = models.PositiveIntegerField(_("time allotted (seconds)"))
    if_time_allows = models.BooleanField(_("if time allows"), default=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    presenter = models.ForeignKey(
        Person,
        verbose_name=_("presenter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order"]
        constraints = [
            # The agenda in order (meeting = ? ORDER BY order), one item per place.
            models.UniqueConstraint(fields=["meeting", "order"], name="agenda_item_order"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_indicator_item(self) -> bool:
        return self.kind in {AgendaItemKind.SIGNAL, AgendaItemKind.FAILING_ASSURANCE}

    @property
    def label(self) -> str:
        """The title in the reader's language where the subject is bilingual (indicators),
        else the snapshot taken when the meeting started."""
        if self.is_indicator_item and self.indicator_id and self.indicator:
            return self.indicator.name
        return self.title

    @property
    def is_current(self) -> bool:
        return self.started_at is not None and self.ended_at is None

    @property
    def reached(self) -> bool:
        return self.started_at is not None

    @property
    def allotted(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=self.allotted_seconds)

    def time_spent(self) -> datetime.timedelta | None:
        if self.started_at is None:
            return None
        return (self.ended_at or timezone.now()) - self.started_at

    def remaining_seconds(self, now: datetime.datetime | None = None) -> int:
        """Seconds left on this item's timer (negative when over time)."""
        if self.started_at is None:
            return self.allotted_seconds
        elapsed = ((self.ended_at or now or timezone.now()) - self.started_at).total_seconds()
        return int(self.allotted_seconds - elapsed)


#: Consensus rule of the caucus (Quebec training material): at least 75% of those who vote
#: agree, and 100% can live with the decision. As a fraction, to compare in integers.
CONSENSUS_AGREE = (3, 4)


class MeetingDecision(models.Model):
    """A decision taken in a meeting, with its consensus check.

    Everyone present answers one of three: I agree; I can live with it; I cannot live with
    it. Consensus is reached when at least 75% agree and nobody cannot live with it (those
    who agree can live with it too, so "100% can live with it" means no one in the third
    group). A decision recorded without a check (no one counted) has no consensus result.
    `decided_by` is the person who recorded it for the group (usually the secretary).
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    text = models.TextField(_("decision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    agree = models.PositiveSmallIntegerField(_("agree"), default=0)
    can_live_with = models.PositiveSmallIntegerField(_("can live with it"), default=0)
    cannot_live_with = models.PositiveSmallIntegerField(_("cannot live with it"), default=0)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "decided_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def voters(self) -> int:
        return self.agree + self.can_live_with + self.cannot_live_with

    @property
    def checked(self) -> bool:
        """Whether a consensus check was made (someone was counted)."""
        return self.voters > 0

    @property
    def reached(self) -> bool:
        """Consensus: agree ≥ 75% of voters and nobody cannot live with it."""
        numerator, denominator = CONSENSUS_AGREE
        return (
            self.checked
            and self.agree * denominator >= self.voters * numerator
            and self.cannot_live_with == 0
        )

    @property
    def agree_percent(self) -> int | None:
        return round(100 * self.agree / self.voters) if self.voters else None


class MeetingAction(models.Model):
    """An action of the room's plan captured during a meeting (and on which item). The
    action itself is a `rooms.Action`: captured once, it lives on the board like any other."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="captured_actions",
    )
    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captured_actions",
    )

    class Meta:
        verbose_name = _("action captured")
        verbose_name_plural = _("actions captured")
        ordering = ["meeting", "pk"]
        constraints = [
            # An action is captured in one meeting only; also the "captured in" lookup.
            models.UniqueConstraint(fields=["action"], name="meeting_action_once"),
        ]

    def __str__(self) -> str:
        return str(self.action)
