"""Indicators: definitions, targets, values per unit and period, rebases, and their history.

An indicator is defined once (owned by a unit) and measured for many units; its values are
stored per unit and period, entered by hand, imported from a file or computed from the event
log. Rates and means keep their numerator and denominator so they roll up correctly to parent
units (`rollup.py`); medians and percentiles do not roll up unless recomputed from source data.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilotage.organisation.models import Bilingual, Unit
from pilotage.organisation.scope import ids_on_paths, scope_paths, unit_scope_q


class Priority(Bilingual, models.Model):
    """A strategic priority ("true north") of a unit, to which indicators and actions contribute.

    Every indicator should serve a priority; one that serves none is shown as such (boards
    that become reporting rituals start with indicators nobody links to a purpose).
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="priorities"
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("strategic priority")
        verbose_name_plural = _("strategic priorities")
        ordering = ["unit__path", "order"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.localised("title")


class Dimension(models.TextChoices):
    ACCESSIBILITY = "accessibility", _("Accessibility")
    CONTINUITY = "continuity", _("Continuity")
    WELL_BEING = "well_being", _("Well-being at work")
    QUALITY = "quality", _("Quality")
    RESOURCES = "resources", _("Resources")
    OTHER = "other", _("Other")


class Kind(models.TextChoices):
    """How a value is made, which decides how it rolls up to parent units."""

    COUNT = "count", _("Count")
    RATE = "rate", _("Rate (numerator / denominator × factor)")
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")
    PERCENTILE = "percentile", _("Percentile")
    DURATION = "duration", _("Duration (mean)")


#: Kinds whose values are a sum over a denominator: they roll up by summing both.
RATIO_KINDS = frozenset({Kind.RATE, Kind.MEAN, Kind.DURATION})
#: Kinds that cannot be rolled up from the values of sub-units.
ORDER_STATISTIC_KINDS = frozenset({Kind.MEDIAN, Kind.PERCENTILE})


class Direction(models.TextChoices):
    INCREASE = "increase", _("Higher is better")
    DECREASE = "decrease", _("Lower is better")
    NEUTRAL = "neutral", _("Neither")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Source(models.TextChoices):
    ENTERED = "entered", _("Entered by hand")
    IMPORTED = "imported", _("Imported from a file")
    COMPUTED = "computed", _("Computed from the event log")


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def visible_to(self, user: object) -> "IndicatorQuerySet":
        """Indicators the user may see: those owned by a unit of their sub-trees, and those
        owned by a unit above them (a direction's indicators apply to its teams)."""
        paths = scope_paths(user)
        if paths is None:
            return self.all()
        above = ids_on_paths(paths, include_roots=False)
        return self.filter(unit_scope_q(user, "owner_unit") | Q(owner_unit_id__in=above))


class Indicator(Bilingual, models.Model):
    """What is measured, how, and which way is better.

    Owned by one unit, measured for any unit below it (and rolled up). Its SPC settings
    (outlier screening, fixed baseline) apply to every unit's series; rebases are recorded
    per unit, each as a decision with who, when and why.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    definition_fr = models.TextField(_("definition (French)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    measure_unit_fr = models.CharField(_("unit of measure (French)"), max_length=40, blank=True)
    measure_unit_en = models.CharField(_("unit of measure (English)"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    factor = models.FloatField(
        _("factor"), default=1, help_text=_("Rates: numerator / denominator × factor (100 for %).")
    )
    percentile = models.PositiveSmallIntegerField(_("percentile"), null=True, blank=True)
    direction = models.CharField(
        _("improvement direction"), max_length=10, choices=Direction.choices
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="indicators"
    )
    source = models.CharField(_("data source"), max_length=10, choices=Source.choices)
    priority = models.ForeignKey(
        Priority,
        verbose_name=_("strategic priority"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
    )
    is_outcome = models.BooleanField(
        _("outcome indicator"),
        default=False,
        help_text=_("Outcome indicators are shown above process indicators."),
    )
    decimals = models.PositiveSmallIntegerField(_("decimals shown"), default=1)
    hides_small_counts = models.BooleanField(
        _("hide small counts"),
        default=False,
        help_text=_(
            "Counts of people or events from 1 to 4 (a count's value, a ratio's denominator) "
            "are shown as “< 5” on every page and export, with further values hidden so that "
            "no total gives one back. Set on the indicators computed from event logs."
        ),
    )
    screen_outliers = models.BooleanField(_("screen outliers from the limits"), default=True)
    fix_after_n_points = models.PositiveSmallIntegerField(
        _("fix the limits after this many points"),
        null=True,
        blank=True,
        validators=[MinValueValidator(12)],
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["-is_outcome", "dimension", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fix_after_n_points__isnull=True) | Q(fix_after_n_points__gte=12),
                name="indicator_baseline_at_least_12",
            ),
            models.CheckConstraint(
                condition=Q(percentile__isnull=True) | Q(percentile__gte=1, percentile__lte=99),
                name="indicator_percentile_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self) -> None:
        if self.kind == Kind.PERCENTILE and self.percentile is None:
            raise ValidationError({"percentile": _("Say which percentile (for example 90).")})

    @property
    def name(self) -> str:
        return self.localised("name")

    @property
    def definition(self) -> str:
        return self.localised("definition")

    @property
    def measure_unit(self) -> str:
        return self.localised("measure_unit")

    @property
    def needs_ratio(self) -> bool:
        """Whether each value must come with its numerator and denominator."""
        return self.kind == Kind.RATE

    @property
    def rolls_up(self) -> bool:
        return self.kind not in ORDER_STATISTIC_KINDS

    @property
    def protects_counts(self) -> bool:
        """Whether small counts are hidden wherever this indicator is shown: it is flagged,
        and its values carry a count (a median or percentile has none to hide)."""
        return self.hides_small_counts and self.rolls_up

    def target_for(self, unit: Unit, on: datetime.date) -> "Target | None":
        """The target in force on a day for a unit: its own, else the nearest ancestor's, else
        the indicator-wide one (no unit)."""
        chain = [unit.pk, *reversed(unit.ancestor_ids())]
        targets = list(
            self.targets.filter(effective_from__lte=on)
            .filter(Q(unit__isnull=True) | Q(unit_id__in=chain))
            .order_by("-effective_from")
        )
        rank = {unit_id: i for i, unit_id in enumerate(chain)}
        targets.sort(key=lambda t: (rank.get(t.unit_id, len(chain)), -t.effective_from.toordinal()))
        return targets[0] if targets else None


class Target(models.Model):
    """The value an indicator should reach, from a date, for a unit (and the units below it
    that have none of their own) or, with no unit, for everyone."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
    )
    value = models.FloatField(_("target"))
    effective_from = models.DateField(_("in force from"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "unit", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "effective_from"], name="target_unique_start"
            ),
            models.UniqueConstraint(
                fields=["indicator", "effective_from"],
                condition=Q(unit__isnull=True),
                name="target_unique_start_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} ≥/≤ {self.value} ({self.effective_from})"


class Rebase(models.Model):
    """A decision to recalculate an indicator's control limits from a date for one unit:
    the process changed (a reorganisation, a new way of working). Who decided and why are
    kept, because a rebase changes what counts as a signal."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="rebases"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="rebases"
    )
    from_period = models.DateField(_("new limits from"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rebase")
        verbose_name_plural = _("rebases")
        ordering = ["indicator", "unit", "from_period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "from_period"], name="rebase_unique_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.unit} · {self.from_period}"


class ImportBatch(models.Model):
    """One file of values imported by someone: what it held and what it changed."""

    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("values created"), default=0)
    updated = models.PositiveIntegerField(_("values changed"), default=0)
    unchanged = models.PositiveIntegerField(_("values unchanged"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name


class ValueQuerySet(models.QuerySet["Value"]):
    def visible_to(self, user: object) -> "ValueQuerySet":
        """Values of units the user may see."""
        return self.filter(unit_scope_q(user, "unit"))

    def series(self, indicator: Indicator, unit: Unit) -> "ValueQuerySet":
        """One unit's values of one indicator, oldest first."""
        return self.filter(indicator=indicator, unit=unit).order_by("period")


class Value(models.Model):
    """The value of an indicator for a unit and a period (the period's first day: the
    Monday of a week, the first of a month or quarter), with where it came from."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="indicator_values"
    )
    period = models.DateField(_("period"))
    value = models.FloatField(_("value"))
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="values",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = ValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        ordering = ["indicator", "unit", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period"], name="value_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="value_denominator_positive",
            ),
        ]
        # The unique constraint's index (indicator, unit, period) serves series().

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.unit} · {self.period}: {self.value}"


class ValueChange(models.Model):
    """One change to a value: who, when, from what to what, by which means."""

    value = models.ForeignKey(
        Value, verbose_name=_("value"), on_delete=models.CASCADE, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    old_value = models.FloatField(_("old value"), null=True)
    new_value = models.FloatField(_("new value"))
    old_numerator = models.FloatField(null=True)
    new_numerator = models.FloatField(null=True)
    old_denominator = models.FloatField(null=True)
    new_denominator = models.FloatField(null=True)

    class Meta:
        verbose_name = _("change of value")
        verbose_name_plural = _("changes of values")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.value}: {self.old_value} → {self.new_value}"
