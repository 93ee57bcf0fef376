"""Consistency checks on projects and their sheets: a "watermelon" sheet (green outside, red
inside: green while a linked indicator says otherwise), and overdue milestones."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.indicators.models import Direction
from pilotage.indicators.series import Reading, read_many
from pilotage.projects.models import RAG, Milestone, Project, ProjectIndicator, StatusSheet


@dataclass(frozen=True)
class Linked:
    """A project's indicator with its reading for the project's unit."""

    link: ProjectIndicator
    reading: Reading

    @property
    def last_value(self) -> float | None:
        last = self.reading.series.last
        return last.value if last else None

    @property
    def misses_target(self) -> bool:
        """Whether the last value misses the project's target, in the better direction."""
        value, target = self.last_value, self.link.target
        if value is None or target is None:
            return False
        direction = self.link.indicator.direction
        if direction == Direction.INCREASE:
            return value < target
        if direction == Direction.DECREASE:
            return value > target
        return False

    @property
    def last_is_concern(self) -> bool:
        result = self.reading.result
        return bool(result and result.points[-1].point_type == "special_cause_concern")

    @property
    def failing_assurance(self) -> bool:
        result = self.reading.result
        return bool(result and result.icons.assurance == "consistent_fail")


@dataclass(frozen=True)
class SheetWarning:
    indicator: Any
    reasons: list[str]

    @property
    def message(self) -> str:
        return _("%(indicator)s: %(reasons)s.") % {
            "indicator": self.indicator.name,
            "reasons": "; ".join(self.reasons),
        }


def linked_indicators(project: Project, on: datetime.date | None = None) -> list[Linked]:
    """The project's indicators read for their units, in a few queries per unit."""
    links = list(project.indicators.select_related("indicator", "unit"))
    by_unit: dict[int, list[ProjectIndicator]] = defaultdict(list)
    for link in links:
        by_unit[link.unit_id].append(link)
    readings: dict[int, Reading] = {}
    for unit_links in by_unit.values():
        unit = unit_links[0].unit
        for link, reading in zip(
            unit_links, read_many([lk.indicator for lk in unit_links], unit, on), strict=True
        ):
            readings[link.pk] = reading
    return [Linked(link, readings[link.pk]) for link in links]


def _reasons(linked: Linked) -> list[str]:
    reasons = []
    if linked.last_is_concern:
        reasons.append(_("its last value is a special cause of concern"))
    if linked.failing_assurance:
        reasons.append(_("it is consistently failing its target"))
    if linked.misses_target:
        reasons.append(
            _("its last value (%(value)s) misses the project target (%(target)s)")
            % {"value": f"{linked.last_value:g}", "target": f"{linked.link.target:g}"}
        )
    return reasons


def watermelon(sheet: StatusSheet, linked: list[Linked] | None = None) -> list[SheetWarning]:
    """Warnings for a sheet marked green overall while a linked indicator is failing: its last
    point a special cause of concern, its assurance a consistent fail, or its last value
    missing the project's target. Empty when the sheet is not green or nothing fails."""
    if sheet.overall != RAG.GREEN:
        return []
    if linked is None:
        linked = linked_indicators(sheet.project)
    warnings = []
    for item in linked:
        reasons = _reasons(item)
        if reasons:
            warnings.append(SheetWarning(item.link.indicator, reasons))
    return warnings


def overdue_milestones(project: Project, on: datetime.date | None = None) -> list[Milestone]:
    """The project's milestones not done by their due date, oldest first."""
    day = on or timezone.localdate()
    return list(project.milestones.filter(done_on__isnull=True, due__lt=day).order_by("due"))
