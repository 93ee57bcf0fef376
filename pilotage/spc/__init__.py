"""Making Data Count SPC engine: XmR limits, special-cause rules and icons, no Django.

The rules are shared/spc/README.md; the reference is the R package NHSRplotthedots, followed
exactly unless this list says otherwise (docs/decisions/0010-spc-engine.md gives the reasons).
Where the README and the reference can be read two ways:

- Labels and point types are the reference's strings: "Above UCL", "Below LCL",
  "7 Point Trend (Increasing|Decreasing)", "2 in 3 Above|Below CL", "7 Points Above|Below CL",
  "Common Cause"; "special_cause_neutral_high|low" for a neutral direction.
- A trend point takes the direction of the run it belongs to (README). The reference reads the
  move to the next point whenever that point is in any trend, so a run ending where another
  starts (after a tie or a drop) gets its last point labelled the wrong way. A peak shared by a
  rise and a fall takes the fall, as in the reference.
- Means are R's mean() to the bit: long double, summed in order, one refining pass.
- NaN, None and infinities are refused with their position (the reference lets NA through and
  then flags wrong points, its issue #156).
- A constant baseline keeps the reference's outcome: every moving range is 0, 0 < 3.267 x 0 is
  false, screening drops them all and the group has no limits (None): all points common cause,
  assurance "inconsistent". Without screening the limits sit on the mean. A one-point group
  has no limits either.
- A rebase date must be one of the points' dates (the reference silently ignores others); a
  rebase on the first date changes nothing; groups are numbered 0, 1, ... in every case.
- Without dates the points are positions 0..n-1 and rebases are positions. Dates and datetimes
  may be mixed, a date standing for its midnight (the reference converts all to datetimes);
  duplicates and aware/naive mixes are refused.
- fix_after_n_points is a whole number >= 12, applied inside each rebase group; a group
  shorter than it uses all its points. Trial limits: fewer than 13 points in the group.
- Assurance comes from the last group's limits; a target on a limit, or missing limits, is
  "inconsistent". The summary gives it for the last group only, and its variation_type is
  the point type of the group's last point, as the reference's summary() does.
- two_in_three="nhse_2023" lets points beyond the limits count as near: they keep their
  "Above UCL"/"Below LCL" label, and the near points of such a window are labelled 2 in 3.
- Facets are not an option: a facet is a series of its own, and analyse_many takes many.
"""

from .engine import Series, SpcBatch, analyse, analyse_many, assurance_type, variation_icon
from .results import (
    ASSURANCE_ICONS,
    POINT_TYPES,
    SPECIAL_CAUSE_TYPES,
    VARIATION_ICONS,
    GroupSummary,
    Icons,
    Point,
    SpcResult,
)

__all__ = [
    "ASSURANCE_ICONS",
    "POINT_TYPES",
    "SPECIAL_CAUSE_TYPES",
    "VARIATION_ICONS",
    "GroupSummary",
    "Icons",
    "Point",
    "Series",
    "SpcBatch",
    "SpcResult",
    "analyse",
    "analyse_many",
    "assurance_type",
    "variation_icon",
]
