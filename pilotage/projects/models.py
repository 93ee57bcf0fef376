"""Projects and integration initiatives, followed with status sheets reviewed in the
status-sheet meetings of a room.

In the research behind Pilotage, the status sheet is what made firm follow-up legitimate when
results lagged, and the dialogue around it spread leadership: so who owns, who presents and
who decides each sheet is kept, to measure that spread over time.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator, Priority
from pilotage.organisation.models import Person, Unit
from pilotage.rooms.models import Action, Escalation, Problem, Room


class Theme(models.TextChoices):
    """Seed 004's four themes of transformation programmes."""

    LEADERSHIP = "leadership", _("Leadership")
    STRATEGY = "strategy", _("Strategy")
    STRUCTURE = "structure", _("Structure")
    PEOPLE = "people", _("People")


class Horizon(models.TextChoices):
    SHORT = "short", _("Short term")
    LONG = "long", _("Long term, sustained")


class Approach(models.TextChoices):
    STRUCTURAL = "structural", _("Structural")
    RELATIONAL = "relational", _("Relational")


class RAG(models.TextChoices):
    """A status on a sheet. Each carries its colour and a word, so no colour stands alone."""

    GREEN = "green", _("On track")
    YELLOW = "yellow", _("At risk")
    RED = "red", _("Off track")
    GREY = "grey", _("Not assessed")


#: Colours of the statuses (WCAG AA against white text where used as a background).
RAG_COLOURS = {
    RAG.GREEN: "#1b6e3a",
    RAG.YELLOW: "#8a5a00",
    RAG.RED: "#a4161a",
    RAG.GREY: "#5a6270",
}
#: Order of attention in a status-sheet meeting: red first, then yellow, green, grey.
RAG_ORDER = {RAG.RED: 0, RAG.YELLOW: 1, RAG.GREEN: 2, RAG.GREY: 3}

DIMENSIONS = ("scope", "schedule", "results", "resources", "risks")


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: object) -> "ProjectQuerySet":
        """Projects reviewed in a room the user may see."""
        return self.filter(room__in=Room.objects.visible_to(user))


class Project(models.Model):
    """A project or integration initiative (for example "one team for the family"), reviewed
    in one room's status-sheet meetings, serving a strategic priority."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    objective = models.TextField(_("objective"))
    expected_results = models.TextField(_("expected results"), blank=True)
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="projects_owned"
    )
    sponsor = models.ForeignKey(
        Person,
        verbose_name=_("sponsor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects_sponsored",
    )
    room = models.ForeignKey(
        Room, verbose_name=_("reviewed in"), on_delete=models.PROTECT, related_name="projects"
    )
    priority = models.ForeignKey(
        Priority,
        verbose_name=_("strategic priority"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    members = models.ManyToManyField(
        Person, verbose_name=_("team members"), blank=True, related_name="projects"
    )
    theme = models.CharField(_("theme"), max_length=12, choices=Theme.choices)
    horizon = models.CharField(_("horizon"), max_length=6, choices=Horizon.choices)
    approach = models.CharField(_("approach"), max_length=10, choices=Approach.choices)
    start = models.DateField(_("start"), default=datetime.date.today)
    end = models.DateField(_("planned end"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["room", "name"]

    def __str__(self) -> str:
        return self.name


class ProjectIndicator(models.Model):
    """An indicator a project expects to move, measured for one unit, with its baseline and the
    project's target (current values and SPC icons come from the indicator itself)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="indicators"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    target = models.FloatField(_("project target"), null=True, blank=True)

    class Meta:
        verbose_name = _("project indicator")
        verbose_name_plural = _("project indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "indicator", "unit"], name="project_indicator_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.indicator}"


class Milestone(models.Model):
    """A dated step of a project; overdue milestones are shown on its sheets."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=200)
    due = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "due"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.done_on is None and self.due < (on or timezone.localdate())


class StatusSheetQuerySet(models.QuerySet["StatusSheet"]):
    def visible_to(self, user: object) -> "StatusSheetQuerySet":
        return self.filter(project__in=Project.objects.visible_to(user))

    def published(self) -> "StatusSheetQuerySet":
        return self.filter(published_at__isnull=False)


class StatusSheet(models.Model):
    """The periodic, standard record of one project, reviewed in the room's status-sheet
    meeting: statuses overall and per dimension, what was achieved, what comes next, what
    blocks, the help needed (which escalates), the decisions requested and taken.

    A new sheet starts from the previous one. A red status needs a recovery plan or a request
    for help. Once published, a sheet is no longer edited; the next period gets a new sheet.
    """

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="sheets"
    )
    period_end = models.DateField(_("status as of"))
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    presenter = models.ForeignKey(
        Person,
        verbose_name=_("presenter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    overall = models.CharField(
        _("overall status"), max_length=6, choices=RAG.choices, default=RAG.GREY
    )
    scope = models.CharField(_("scope"), max_length=6, choices=RAG.choices, default=RAG.GREY)
    schedule = models.CharField(_("schedule"), max_length=6, choices=RAG.choices, default=RAG.GREY)
    results = models.CharField(_("results"), max_length=6, choices=RAG.choices, default=RAG.GREY)
    resources = models.CharField(
        _("resources"), max_length=6, choices=RAG.choices, default=RAG.GREY
    )
    risks = models.CharField(_("risks"), max_length=6, choices=RAG.choices, default=RAG.GREY)
    achievements = models.TextField(_("achievements since the last sheet"), blank=True)
    recovery_plan = models.TextField(_("recovery plan"), blank=True)
    help_needed = models.TextField(_("help needed"), blank=True)
    help_escalation = models.ForeignKey(
        Escalation,
        verbose_name=_("escalation of the help needed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decisions_requested = models.TextField(_("decisions requested"), blank=True)
    next_steps = models.ManyToManyField(
        Action, verbose_name=_("next steps"), blank=True, related_name="status_sheets"
    )
    blockers = models.ManyToManyField(
        Problem, verbose_name=_("blockers"), blank=True, related_name="status_sheets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = StatusSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("status sheet")
        verbose_name_plural = _("status sheets")
        ordering = ["project", "-period_end"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period_end"], name="sheet_one_per_period"),
            # A red sheet carries a recovery plan or asks for help.
            models.CheckConstraint(
                condition=~Q(overall="red") | ~Q(recovery_plan="") | ~Q(help_needed=""),
                name="sheet_red_needs_plan_or_help",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.period_end}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def statuses(self) -> list[tuple[str, str]]:
        """(dimension, status) for the five dimensions, in order."""
        return [(dimension, getattr(self, dimension)) for dimension in DIMENSIONS]


class SheetDecision(models.Model):
    """A decision taken on a sheet (in its status-sheet meeting, or after): who and when."""

    sheet = models.ForeignKey(
        StatusSheet,
        verbose_name=_("status sheet"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    text = models.TextField(_("decision"))
    decided_by = models.ForeignKey(
        Person,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("decision on a sheet")
        verbose_name_plural = _("decisions on sheets")
        ordering = ["sheet", "decided_at"]

    def __str__(self) -> str:
        return self.text[:60]


class SheetComment(models.Model):
    """The threaded dialogue around a sheet: a comment and its replies."""

    sheet = models.ForeignKey(
        StatusSheet,
        verbose_name=_("status sheet"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("comment"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["sheet", "at"]

    def __str__(self) -> str:
        return self.text[:60]


class StatusChange(models.Model):
    """The history of a sheet's statuses: one row per dimension that changed, who and when."""

    sheet = models.ForeignKey(
        StatusSheet,
        verbose_name=_("status sheet"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    dimension = models.CharField(_("dimension"), max_length=10)
    old = models.CharField(_("from"), max_length=6, choices=RAG.choices, blank=True)
    new = models.CharField(_("to"), max_length=6, choices=RAG.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["sheet", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.sheet} {self.dimension}: {self.old} → {self.new}"


class SheetReviewMeeting(models.Model):
    """A status-sheet meeting of a room: the sheets of its projects reviewed by exception
    (help needed and red first, green in brief), each within a time box, with the decisions
    taken captured into the sheets. Open while `ended_at` is empty."""

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="sheet_reviews"
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
    time_box_minutes = models.PositiveSmallIntegerField(_("time box (minutes)"))

    class Meta:
        verbose_name = _("status-sheet meeting")
        verbose_name_plural = _("status-sheet meetings")
        ordering = ["-started_at"]
        constraints = [
            # One open review per room: two members pressing "start" at once get the same one.
            models.UniqueConstraint(
                fields=["room"], condition=Q(ended_at__isnull=True), name="sheet_review_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} · {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class SheetReviewItem(models.Model):
    """One sheet on the agenda of a status-sheet meeting, in its order, with its time box,
    when it was presented and the outcome noted."""

    meeting = models.ForeignKey(
        SheetReviewMeeting,
        verbose_name=_("status-sheet meeting"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    sheet = models.ForeignKey(
        StatusSheet, verbose_name=_("status sheet"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    allotted_seconds = models.PositiveIntegerField(_("time allotted (seconds)"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("sheet on the agenda")
        verbose_name_plural = _("sheets on the agenda")
        ordering = ["meeting", "order"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="sheet_review_item_order"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} #{self.order} {self.sheet}"

    def spent_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())
