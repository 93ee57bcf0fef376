"""Service trajectories: their definition, the event logs imported for them, and the link
between the teams of the source systems and the units of the organisation.

The events themselves are not in the database: each import batch is a Parquet file under the
data directory (`EventImport.parquet_path`), pseudonymised before it is written, read in place
by the analytics engine (`pilotage.analytics`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilotage.analytics import Step as EngineStep
from pilotage.analytics import TrajectoryDefinition
from pilotage.organisation.models import Bilingual, Unit
from pilotage.organisation.scope import unit_scope_q


class TrajectoryQuerySet(models.QuerySet["Trajectory"]):
    def visible_to(self, user: object) -> "TrajectoryQuerySet":
        """Trajectories anchored in the user's sub-trees, or with one of their teams there."""
        return self.filter(
            unit_scope_q(user, "unit") | unit_scope_q(user, "teams__unit")
        ).distinct()


class Trajectory(Bilingual, models.Model):
    """A service trajectory: the path of a service user across teams (for example children in
    vulnerable situations and their families: report, screening, evaluation, orientation,
    services, closure), with the rules that turn its event log into measures."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="trajectories",
    )
    request_step = models.CharField(_("request step"), max_length=50)
    evaluation_step = models.CharField(_("evaluation step"), max_length=50)
    first_service_step = models.CharField(_("first service step"), max_length=50)
    closure_step = models.CharField(_("closure step"), max_length=50)
    continuity_from_step = models.CharField(
        _("continuity counted from step"),
        max_length=50,
        blank=True,
        help_text=_("Empty: from the first service step."),
    )
    evaluation_target_days = models.PositiveSmallIntegerField(
        _("target delay to evaluation (days)"), null=True, blank=True
    )
    first_service_target_days = models.PositiveSmallIntegerField(
        _("target delay to first service (days)"), null=True, blank=True
    )
    re_referral_months = models.PositiveSmallIntegerField(
        _("re-referral window (months)"), default=12
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Montreal")

    objects = TrajectoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("service trajectory")
        verbose_name_plural = _("service trajectories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localised("name")

    def definition(self) -> TrajectoryDefinition:
        """The trajectory as the analytics engine takes it."""
        steps = tuple(
            EngineStep(
                step.code,
                frozenset(step.activities.values_list("source_activity", flat=True)),
                step.repeatable,
            )
            for step in self.steps.order_by("order")
        )
        return TrajectoryDefinition(
            name=self.code,
            steps=steps,
            request=self.request_step,
            evaluation=self.evaluation_step,
            first_service=self.first_service_step,
            closure=self.closure_step,
            evaluation_target_days=self.evaluation_target_days,
            first_service_target_days=self.first_service_target_days,
            re_referral_months=self.re_referral_months,
            continuity_from=self.continuity_from_step or None,
        )


class Step(Bilingual, models.Model):
    """One step of a trajectory, in order (screening, evaluation, orientation, ...)."""

    trajectory = models.ForeignKey(
        Trajectory, verbose_name=_("trajectory"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=50)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    repeatable = models.BooleanField(
        _("may be repeated"),
        null=True,
        blank=True,
        help_text=_("Empty: services may be repeated, other steps may not (rework)."),
    )

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["trajectory", "order"]
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "code"], name="step_code_per_trajectory"),
            models.UniqueConstraint(
                fields=["trajectory", "order"], name="step_order_per_trajectory"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localised("name")


class ActivityMapping(models.Model):
    """A source system's activity name that marks a step (one activity, one step)."""

    step = models.ForeignKey(
        Step, verbose_name=_("step"), on_delete=models.CASCADE, related_name="activities"
    )
    source_activity = models.CharField(_("activity in the source system"), max_length=200)

    class Meta:
        verbose_name = _("activity mapping")
        verbose_name_plural = _("activity mappings")
        constraints = [
            models.UniqueConstraint(fields=["step", "source_activity"], name="activity_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.source_activity} → {self.step}"


class TrajectoryTeam(models.Model):
    """A team of the trajectory: the unit, and its name in the source systems' event logs."""

    trajectory = models.ForeignKey(
        Trajectory, verbose_name=_("trajectory"), on_delete=models.CASCADE, related_name="teams"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="trajectory_teams"
    )
    source_name = models.CharField(_("team in the source system"), max_length=200)

    class Meta:
        verbose_name = _("team of a trajectory")
        verbose_name_plural = _("teams of a trajectory")
        constraints = [
            models.UniqueConstraint(
                fields=["trajectory", "source_name"], name="team_source_name_per_trajectory"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name} → {self.unit}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EventImport(models.Model):
    """One event-log file imported for a trajectory: an append-only batch.

    Its events are pseudonymised and written once as a Parquet file; withdrawing the batch
    keeps the record (who, when, why) but takes its events out of every computation.
    """

    trajectory = models.ForeignKey(
        Trajectory,
        verbose_name=_("trajectory"),
        on_delete=models.PROTECT,
        related_name="imports",
    )
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("format"), max_length=10)
    column_mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    problems = models.JSONField(_("problems found"), default=list, blank=True)
    n_events = models.PositiveIntegerField(_("events"), default=0)
    n_cases = models.PositiveIntegerField(_("cases"), default=0)
    first_event_at = models.DateTimeField(_("first event"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    parquet_path = models.CharField(max_length=500, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("event-log import")
        verbose_name_plural = _("event-log imports")
        ordering = ["-created_at"]
        constraints = [
            # The same file imported twice for one trajectory changes nothing: one live batch
            # per content (a withdrawn batch may be imported again).
            models.UniqueConstraint(
                fields=["trajectory", "sha256"],
                condition=~Q(status__in=["withdrawn", "failed"]),
                name="event_import_once_per_content",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name
