"""What an SPC analysis gives back: plain frozen records, no numpy, no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The reference package's labels (NHSRplotthedots ptd_special_cause_type), indexed by the
# kernel's special-cause codes.
SPECIAL_CAUSE_TYPES: tuple[str, ...] = (
    "Common Cause",
    "Above UCL",
    "Below LCL",
    "7 Point Trend (Increasing)",
    "7 Point Trend (Decreasing)",
    "2 in 3 Above CL",
    "2 in 3 Below CL",
    "7 Points Above CL",
    "7 Points Below CL",
)

# The reference package's point types (ptd_point_type), indexed by the kernel's type codes.
POINT_TYPES: tuple[str, ...] = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)

VARIATION_ICONS: tuple[str, ...] = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)

ASSURANCE_ICONS: tuple[str, ...] = ("consistent_pass", "consistent_fail", "inconsistent")

# Position in the series when no dates are given, else the period's date or datetime.
When = date | int


@dataclass(frozen=True, slots=True)
class Point:
    """One period of the chart: its value, the limits of its group and what the rules say.

    lpl and upl are None when the group has no moving range to base them on (a single
    baseline point, or a constant baseline whose moving ranges are all screened out).
    """

    date: When
    value: float
    mean: float
    lpl: float | None
    upl: float | None
    outside_limits: bool
    relative_to_mean: int
    close_to_limits: bool
    special_cause_type: str
    point_type: str
    rebase_group: int
    short_group_warning: bool
    target: float | None


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One rebase group: its limits, its size and the verdicts on its last point.

    variation_type is the point type of the group's last point, as in the reference's
    summary(); assurance_type is only given for the last group, whose limits are the
    current ones.
    """

    rebase_group: int
    first_date: When
    last_date: When
    n: int
    mean: float
    amr: float | None
    lpl: float | None
    upl: float | None
    short_group_warning: bool
    variation_type: str
    assurance_type: str | None
    common_cause: int
    special_cause_improvement: int
    special_cause_concern: int
    special_cause_neutral: int


@dataclass(frozen=True, slots=True)
class Icons:
    """The two Making Data Count icons of a series; assurance is None without a target."""

    variation: str
    assurance: str | None


@dataclass(frozen=True, slots=True)
class SpcResult:
    """The analysis of one series: its points in date order, its groups and its icons."""

    points: tuple[Point, ...]
    summary: tuple[GroupSummary, ...]
    icons: Icons
    improvement_direction: str
    target: float | None
