"""A unit's series of an indicator (its own values, or rolled up from its sub-units) and the
SPC reading of it, with the words and colours every page and chart use for that reading.

`read_many()` reads a whole list of indicators for one unit in a fixed number of queries
(values, targets, rebases, and the values of the indicators that hide small counts),
whatever the number of indicators; the SPC arithmetic runs in Python on the loaded values.

Every page, chart, tile and export reads values through a `Reading`, so this is where small
counts are hidden (`disclosure.py`): a hidden point of `Reading.series` keeps its period and
why it is hidden, never its numbers, and the SPC reading (mean, limits, point types, icons)
is made from the shown points only, so that no line drawn or written gives a hidden one back.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from pilotage import spc
from pilotage.indicators import disclosure
from pilotage.indicators.disclosure import Hidden
from pilotage.indicators.models import (
    Dimension,
    Direction,
    Indicator,
    Kind,
    Rebase,
    Target,
    Value,
)
from pilotage.indicators.rollup import NotRollable, StoredValue, roll_up
from pilotage.organisation.models import Unit

_DIMENSION_ORDER = {value: i for i, value in enumerate(Dimension.values)}


def indicators_for(unit: Unit) -> list[Indicator]:
    """Indicators that apply to a unit: owned by it or by a unit above it, outcome first,
    then by dimension in the order of the design, then by name (the board's order)."""
    indicators = Indicator.objects.filter(
        owner_unit_id__in=[*unit.ancestor_ids(), unit.pk]
    ).select_related("owner_unit", "priority")
    return sorted(
        indicators, key=lambda i: (not i.is_outcome, _DIMENSION_ORDER[i.dimension], i.name)
    )


@dataclass(frozen=True)
class SeriesPoint:
    """One period's value; a hidden one (`hidden` says why) has no numbers."""

    period: datetime.date
    value: float | None
    numerator: float | None
    denominator: float | None
    hidden: Hidden | None = None


@dataclass(frozen=True)
class Series:
    indicator: Indicator
    unit: Unit
    points: list[SeriesPoint]
    rolled_up: bool = False  # made from the sub-units' values
    not_rollable: bool = False  # a median or percentile with no value of its own

    @property
    def last(self) -> SeriesPoint | None:
        return self.points[-1] if self.points else None

    @property
    def shown(self) -> list[SeriesPoint]:
        """The points whose value may be shown."""
        return [p for p in self.points if p.hidden is None]

    @property
    def hidden_count(self) -> int:
        return sum(1 for p in self.points if p.hidden is not None)


def _own_or_rolled(
    indicator: Indicator, unit: Unit, own: list[SeriesPoint], below: list[StoredValue]
) -> Series:
    if own:
        return Series(indicator, unit, own)
    if not below:
        return Series(indicator, unit, [])
    try:
        rolled = roll_up(below, indicator.kind, indicator.factor)
    except NotRollable:
        return Series(indicator, unit, [], not_rollable=True)
    points = [SeriesPoint(r.period, r.value, r.numerator, r.denominator) for r in rolled]
    return Series(indicator, unit, points, rolled_up=True)


def unit_series(indicator: Indicator, unit: Unit) -> Series:
    """The unit's own values if it has any; otherwise its sub-units' values rolled up."""
    return unit_series_many([indicator], unit)[indicator.pk]


def unit_series_many(indicators: Sequence[Indicator], unit: Unit) -> dict[int, Series]:
    """unit_series() of several indicators in two queries: the unit's own values, then the
    values below it of the indicators that have none of their own. Every value is there,
    small counts included: displays read through `read_many()`, which hides them."""
    own: dict[int, list[SeriesPoint]] = defaultdict(list)
    rows = (
        Value.objects.filter(indicator__in=indicators, unit=unit)
        .order_by("indicator_id", "period")
        .values_list("indicator_id", "period", "value", "numerator", "denominator")
    )
    for indicator_id, *point in rows:
        own[indicator_id].append(SeriesPoint(*point))
    below: dict[int, list[StoredValue]] = defaultdict(list)
    missing = [i for i in indicators if i.pk not in own]
    if missing:
        rows = (
            Value.objects.filter(indicator__in=missing, unit__path__startswith=unit.path)
            .exclude(unit=unit)
            .values_list(
                "indicator_id", "unit__path", "period", "value", "numerator", "denominator"
            )
        )
        for indicator_id, *stored in rows:
            below[indicator_id].append(StoredValue(*stored))
    return {i.pk: _own_or_rolled(i, unit, own[i.pk], below[i.pk]) for i in indicators}


#: Hidden cells of an indicator's whole tree, by the fingerprint of what they depend on (see
#: `hidden_periods`). Per process, bounded; an entry is never stale, only unused.
_HIDDEN: dict[tuple[object, ...], dict[tuple[str, datetime.date], Hidden]] = {}
_HIDDEN_ENTRIES = 512


def _fingerprints(protected: Sequence[Indicator]) -> dict[int, tuple[object, ...]]:
    """What the hidden cells of each indicator depend on, in two small queries: its kind, its
    values (how many, the newest id, the latest change: every write sets `updated_at`, a
    deletion changes the count, a deletion and a creation the newest id) and the unit tree
    (every unit's path, since lines follow the tree)."""
    tree = hash(tuple(Unit.objects.order_by("pk").values_list("pk", "path")))
    rows = (
        Value.objects.filter(indicator__in=protected)
        .values("indicator_id")
        .annotate(n=Count("id"), newest=Max("id"), changed=Max("updated_at"))
        .order_by()
    )
    stats = {row["indicator_id"]: (row["n"], row["newest"], row["changed"]) for row in rows}
    return {i.pk: (i.pk, i.kind, disclosure.THRESHOLD, tree, stats.get(i.pk)) for i in protected}


def hidden_periods(
    indicators: Sequence[Indicator], unit: Unit
) -> dict[int, dict[datetime.date, Hidden]]:
    """The unit's hidden periods per indicator, for the indicators that hide small counts.

    Which values are hidden depends on the whole tree (`disclosure.py`), so it is worked out
    from all the indicator's values, every unit's, and kept by the fingerprint of those values
    and of the tree: pages read every minute (boards, TV displays) reuse it until a value or
    the tree changes."""
    protected = [i for i in indicators if i.protects_counts]
    if not protected:
        return {}
    keys = _fingerprints(protected)
    missing = [i for i in protected if keys[i.pk] not in _HIDDEN]
    if missing:
        stored: dict[int, list[StoredValue]] = defaultdict(list)
        rows = Value.objects.filter(indicator__in=missing).values_list(
            "indicator_id", "unit__path", "period", "value", "numerator", "denominator"
        )
        for indicator_id, *value in rows:
            stored[indicator_id].append(StoredValue(*value))
        for indicator in missing:
            while len(_HIDDEN) >= _HIDDEN_ENTRIES:
                del _HIDDEN[next(iter(_HIDDEN))]
            _HIDDEN[keys[indicator.pk]] = disclosure.suppress(stored[indicator.pk], indicator.kind)
    hidden: dict[int, dict[datetime.date, Hidden]] = {}
    for indicator in protected:
        found = _HIDDEN[keys[indicator.pk]]
        hidden[indicator.pk] = {
            period: why for (path, period), why in found.items() if path == unit.path
        }
    return hidden


def disclose(series: Series, hidden: dict[datetime.date, Hidden]) -> Series:
    """The series with the numbers of its hidden periods taken out."""
    if not hidden:
        return series
    points = [
        SeriesPoint(p.period, None, None, None, hidden[p.period]) if p.period in hidden else p
        for p in series.points
    ]
    return Series(series.indicator, series.unit, points, series.rolled_up, series.not_rollable)


def applicable_targets(indicators: Sequence[Indicator], unit: Unit) -> dict[int, list[Target]]:
    """Every target that may apply to the unit (its own, its ancestors', the default ones),
    per indicator, in one query; `target_in_force()` picks the one of a given day."""
    chain = [unit.pk, *unit.ancestor_ids()]
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in (
        Target.objects.filter(indicator__in=indicators)
        .filter(Q(unit__isnull=True) | Q(unit_id__in=chain))
        .select_related("unit")
    ):
        targets[target.indicator_id].append(target)
    return targets


def target_in_force(targets: Iterable[Target], unit: Unit, on: datetime.date) -> Target | None:
    """The target in force on a day: the unit's own, else the nearest ancestor's, else the
    indicator-wide one; within one of those, the latest to have started (as
    `Indicator.target_for()`, without a query)."""
    chain = [unit.pk, *reversed(unit.ancestor_ids())]
    rank = {unit_id: i for i, unit_id in enumerate(chain)}
    started = [t for t in targets if t.effective_from <= on]
    started.sort(key=lambda t: (rank.get(t.unit_id, len(chain)), -t.effective_from.toordinal()))
    return started[0] if started else None


def rebases_of(indicators: Sequence[Indicator], unit: Unit) -> dict[int, list[Rebase]]:
    """The unit's rebases per indicator, oldest first, in one query."""
    rebases: dict[int, list[Rebase]] = defaultdict(list)
    for rebase in (
        Rebase.objects.filter(indicator__in=indicators, unit=unit)
        .select_related("decided_by__person")
        .order_by("from_period")
    ):
        rebases[rebase.indicator_id].append(rebase)
    return rebases


def _rebase_points(series: Series, dates: Iterable[datetime.date]) -> tuple[datetime.date, ...]:
    """Each rebase as the date of the first shown point on or after it: a rebase decided for
    a period with no value yet starts the new group at the next value there is. Rebases after
    the last point wait for data; one at or before the first point changes nothing."""
    periods = [p.period for p in series.shown]
    starts = set()
    for day in dates:
        first = next((p for p in periods if p >= day), None)
        if first is not None and first != periods[0]:
            starts.add(first)
    return tuple(sorted(starts))


def analyse(
    series: Series,
    target: float | None = None,
    rebase_dates: Iterable[datetime.date] | None = None,
) -> spc.SpcResult | None:
    """The SPC reading of a series' shown points with the indicator's settings and the
    unit's rebases (read from the database unless given).

    Hidden points are left out, as if the period had no value: a mean or a limit made with a
    hidden value would give it back (the mean times the number of points, less the shown
    values), and so would the point type of a hidden point against the limits drawn."""
    shown = series.shown
    if not shown:
        return None
    indicator = series.indicator
    if rebase_dates is None:
        rebase_dates = indicator.rebases.filter(unit=series.unit).values_list(
            "from_period", flat=True
        )
    fix = indicator.fix_after_n_points
    return spc.analyse(
        [p.value for p in shown],
        [p.period for p in shown],
        improvement_direction=indicator.direction,
        target=target,
        screen_outliers=indicator.screen_outliers,
        fix_after_n_points=fix if fix and fix <= len(shown) else None,
        rebase_dates=_rebase_points(series, rebase_dates),
    )


@dataclass(frozen=True)
class Reading:
    """One indicator for one unit: its series, targets, rebases and SPC result."""

    indicator: Indicator
    unit: Unit
    series: Series
    targets: list[Target]
    rebases: list[Rebase]
    target: Target | None  # in force today
    result: spc.SpcResult | None

    def target_on(self, day: datetime.date) -> Target | None:
        return target_in_force(self.targets, self.unit, day)

    @property
    def has_trial_limits(self) -> bool:
        return bool(self.result) and any(g.short_group_warning for g in self.result.summary)

    @property
    def has_ratios(self) -> bool:
        return any(p.denominator is not None for p in self.series.points)

    @property
    def variation(self) -> "Badge":
        return variation_badge(self.result.icons.variation if self.result else None)

    @property
    def assurance(self) -> "Badge":
        return assurance_badge(self.result.icons.assurance if self.result else None)

    def hidden_marks(self) -> list["HiddenMark"]:
        """The marks of this reading's hidden values, each once, for a legend."""
        found = {p.hidden for p in self.series.points if p.hidden}
        return [hidden_mark(self.indicator, why) for why in Hidden if why in found]

    def rows(self) -> list[tuple[SeriesPoint, spc.Point | None]]:
        """Each point with its SPC reading (None for a hidden point), oldest first."""
        readings = iter(self.result.points if self.result else ())
        return [(p, None if p.hidden else next(readings)) for p in self.series.points]

    def table(self) -> list["Row"]:
        """The series as the accessible table and the exports show it; a hidden period has
        no number, only why it is hidden."""
        trial = (
            {g.rebase_group for g in self.result.summary if g.short_group_warning}
            if (self.result)
            else set()
        )
        rows = []
        group = 0
        for stored, point in self.rows():
            target = getattr(self.target_on(stored.period), "value", None)
            if point is None:
                rows.append(Row(period=stored.period, hidden=stored.hidden, target=target))
                continue
            rows.append(
                Row(
                    period=stored.period,
                    value=stored.value,
                    numerator=stored.numerator,
                    denominator=stored.denominator,
                    mean=point.mean,
                    lpl=point.lpl,
                    upl=point.upl,
                    point_type=POINT_TYPES[point.point_type],
                    rule=SPECIAL_CAUSES.get(point.special_cause_type, point.special_cause_type),
                    group=point.rebase_group + 1,
                    trial=point.rebase_group in trial,
                    rebase_start=point.rebase_group != group,
                    target=target,
                )
            )
            group = point.rebase_group
        return rows


@dataclass(frozen=True)
class Row:
    """One period of a unit's series with its SPC reading, in words where it says something.
    A hidden period has its period, target and why it is hidden, nothing else."""

    period: datetime.date
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    mean: float | None = None
    lpl: float | None = None
    upl: float | None = None
    point_type: "PointType | None" = None
    rule: Promise | str = ""
    group: int | None = None  # 1 for the first set of limits, 2 after the first rebase...
    trial: bool = False  # the limits of this group are trial limits (fewer than 13 points)
    rebase_start: bool = False  # the first point after a rebase
    target: float | None = None
    hidden: Hidden | None = None


def read_many(
    indicators: Sequence[Indicator], unit: Unit, on: datetime.date | None = None
) -> list[Reading]:
    """Read several indicators for one unit in four queries, in the order given."""
    day = on or timezone.localdate()
    series = unit_series_many(indicators, unit)
    targets = applicable_targets(indicators, unit)
    rebases = rebases_of(indicators, unit)
    hidden = hidden_periods(indicators, unit)
    readings = []
    for indicator in indicators:
        shown = disclose(series[indicator.pk], hidden.get(indicator.pk, {}))
        target = target_in_force(targets[indicator.pk], unit, day)
        rebase_dates = [r.from_period for r in rebases[indicator.pk]]
        result = analyse(shown, target.value if target else None, rebase_dates=rebase_dates)
        readings.append(
            Reading(
                indicator,
                unit,
                shown,
                targets[indicator.pk],
                rebases[indicator.pk],
                target,
                result,
            )
        )
    return readings


def read(indicator: Indicator, unit: Unit, on: datetime.date | None = None) -> Reading:
    return read_many([indicator], unit, on)[0]


# --- Words and colours of the Making Data Count reading ---------------------------------

#: The reference colours of the point types (NHS England, Making Data Count).
COLOURS = {
    "common": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "target": "#de1b1b",
}


@dataclass(frozen=True)
class PointType:
    label: Promise
    tone: str  # a key of COLOURS, also the CSS modifier
    shape: str  # Vega-Lite point shape, so the type does not rest on colour alone


POINT_TYPES = {
    "common_cause": PointType(_("Common cause"), "common", "circle"),
    "special_cause_improvement": PointType(_("Improvement"), "improvement", "square"),
    "special_cause_concern": PointType(_("Concern"), "concern", "diamond"),
    "special_cause_neutral_high": PointType(_("Neutral (high)"), "neutral", "triangle-up"),
    "special_cause_neutral_low": PointType(_("Neutral (low)"), "neutral", "triangle-down"),
}

#: The special-cause rule that flagged a point, in words.
SPECIAL_CAUSES = {
    "Common Cause": _("None"),
    "Above UCL": _("Above the upper limit"),
    "Below LCL": _("Below the lower limit"),
    "7 Point Trend (Increasing)": _("7 points rising in a row"),
    "7 Point Trend (Decreasing)": _("7 points falling in a row"),
    "2 in 3 Above CL": _("2 of 3 points close to the upper limit"),
    "2 in 3 Below CL": _("2 of 3 points close to the lower limit"),
    "7 Points Above CL": _("7 points in a row above the mean"),
    "7 Points Below CL": _("7 points in a row below the mean"),
}


@dataclass(frozen=True)
class Badge:
    """One of the two Making Data Count icons, as words: a short label, a sentence saying
    what it means, a tone (colour key) and a glyph drawn in the small round icon."""

    code: str
    label: Promise
    explanation: Promise
    tone: str
    glyph: str


_VARIATION = {
    None: (_("No data"), _("There is no value yet to read."), "none", "·"),
    "common_cause": (
        _("Common cause variation"),
        _("No signal: the values vary within the limits, as this process usually does."),
        "common",
        "~",
    ),
    "improvement_high": (
        _("Improvement (high values)"),
        _(
            "A special cause: values are higher than the process usually gives, and higher is "
            "better."
        ),
        "improvement",
        "H",
    ),
    "improvement_low": (
        _("Improvement (low values)"),
        _("A special cause: values are lower than the process usually gives, and lower is better."),
        "improvement",
        "L",
    ),
    "concern_high": (
        _("Concern (high values)"),
        _(
            "A special cause: values are higher than the process usually gives, and lower is "
            "better."
        ),
        "concern",
        "H",
    ),
    "concern_low": (
        _("Concern (low values)"),
        _(
            "A special cause: values are lower than the process usually gives, and higher is "
            "better."
        ),
        "concern",
        "L",
    ),
    "neutral_high": (
        _("Special cause (high values)"),
        _("Values are higher than the process usually gives; neither direction is better."),
        "neutral",
        "H",
    ),
    "neutral_low": (
        _("Special cause (low values)"),
        _("Values are lower than the process usually gives; neither direction is better."),
        "neutral",
        "L",
    ),
}

_ASSURANCE = {
    None: (
        _("No assurance"),
        _("There is no target in force, or no better direction, so nothing to assure."),
        "none",
        "–",
    ),
    "consistent_pass": (
        _("Target consistently met"),
        _(
            "The target lies outside the limits on the good side: unless the process changes, "
            "it will meet the target nearly every time."
        ),
        "improvement",
        "P",
    ),
    "consistent_fail": (
        _("Target consistently missed"),
        _(
            "The target lies outside the limits on the bad side: unless the process changes, "
            "it will miss the target nearly every time."
        ),
        "concern",
        "F",
    ),
    "inconsistent": (
        _("Target sometimes met, sometimes missed"),
        _(
            "The target lies between the limits: the process will meet it or miss it by "
            "chance, from one period to the next."
        ),
        "common",
        "?",
    ),
}


def variation_badge(code: str | None) -> Badge:
    return Badge(code or "none", *_VARIATION[code])


def assurance_badge(code: str | None) -> Badge:
    return Badge(code or "none", *_ASSURANCE[code])


@dataclass(frozen=True)
class HiddenMark:
    """How a hidden value reads, on a page and in an export, and what it means."""

    text: str
    explanation: str


def hidden_mark(indicator: Indicator, hidden: Hidden) -> HiddenMark:
    """ "< 5" for a small count; "n < 5" for a ratio over a small count (a mean delay shown
    "< 5" would read as under 5 days); "x" for a value hidden so that a total does not give
    a small count back."""
    if hidden == Hidden.COMPLEMENT:
        return HiddenMark(
            pgettext("a hidden value", "x"),
            _("Hidden so that a total does not give back a small count hidden beside it."),
        )
    limit = {"threshold": disclosure.THRESHOLD}
    if indicator.kind == Kind.COUNT:
        return HiddenMark(
            _("< %(threshold)s") % limit,
            _("From 1 to %(last)s: so few people could be recognised.")
            % {"last": disclosure.THRESHOLD - 1},
        )
    return HiddenMark(
        _("n < %(threshold)s") % limit,
        _("Computed over fewer than %(threshold)s people or events: hidden.") % limit,
    )


def target_words(indicator: Indicator) -> Promise:
    """How a target reads: "at most" when lower is better, "at least" when higher is."""
    return {
        Direction.DECREASE: _("at most"),
        Direction.INCREASE: _("at least"),
    }.get(indicator.direction, _("about"))
