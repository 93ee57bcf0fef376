"""Small-count suppression for displays and exports.

A board tile saying "2 children waited more than 30 days in team X this week" can identify
those children to anyone who knows the team. Counts from 1 to 4 are therefore hidden
(*primary suppression*; threshold configurable). Zero is shown: it discloses nothing about
anyone, and hiding zeros would blank most weekly tiles of a small team.

Hiding a cell is not enough when a total is shown: total minus the visible cells gives it
back. *Complementary suppression* hides further cells until every published line (a row with
its row total, a column with its column total) has either no hidden entry or at least two, so
no hidden entry is the difference of visible ones. The complement chosen in a line is its
smallest visible non-zero cell (least information lost), then a zero cell, then the line's
total; the rule is applied until nothing changes. Totals under the threshold are hidden too.

This is the standard row-and-column heuristic used by statistical agencies for small
frequency tables. It stops exact recovery by subtraction along any line; it does not audit
the narrower intervals a linear-programming attack across many lines could derive, which would
need a dedicated tool (tau-Argus) and is out of proportion for board tiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .trajectory import COUNT_MEASURES, WeeklyMeasures

DEFAULT_THRESHOLD = 5

Position = tuple[int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A count table with its totals, None where a value is hidden."""

    cells: list[list[int | None]]
    row_totals: list[int | None] | None
    column_totals: list[int | None] | None
    grand_total: int | None
    primary: frozenset[Position]
    complementary: frozenset[Position]


def suppress_counts(
    cells: Sequence[Sequence[int]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    row_totals: bool = True,
    column_totals: bool = True,
) -> SuppressedTable:
    """Suppress counts under `threshold` in `cells` (rows x columns of non-negative counts),
    with complementary suppression against the totals that will be shown.

    Positions in `primary` and `complementary` index the full grid, where row ``len(cells)``
    holds the column totals and column ``len(cells[0])`` the row totals.
    """
    n_rows = len(cells)
    n_columns = len(cells[0]) if cells else 0
    if any(len(row) != n_columns for row in cells):
        raise ValueError("all rows must have the same length")
    if any(value < 0 for row in cells for value in row):
        raise ValueError("counts cannot be negative")

    grid: dict[Position, int] = {
        (i, j): int(cells[i][j]) for i in range(n_rows) for j in range(n_columns)
    }
    if row_totals:
        for i in range(n_rows):
            grid[(i, n_columns)] = sum(cells[i])
    if column_totals:
        for j in range(n_columns):
            grid[(n_rows, j)] = sum(cells[i][j] for i in range(n_rows))
    if row_totals and column_totals:
        grid[(n_rows, n_columns)] = sum(sum(row) for row in cells)

    lines: list[list[Position]] = []
    if row_totals:
        for i in range(n_rows + (1 if column_totals else 0)):
            lines.append([(i, j) for j in range(n_columns + 1)])
    if column_totals:
        for j in range(n_columns + (1 if row_totals else 0)):
            lines.append([(i, j) for i in range(n_rows + 1)])

    primary = {p for p, value in grid.items() if 0 < value < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for p in line if p in hidden) != 1:
                continue
            visible = [p for p in line if p not in hidden]
            hidden.add(min(visible, key=lambda p: _complement_rank(p, grid[p], n_rows, n_columns)))
            changed = True

    def shown(position: Position) -> int | None:
        return None if position in hidden else grid[position]

    return SuppressedTable(
        cells=[[shown((i, j)) for j in range(n_columns)] for i in range(n_rows)],
        row_totals=[shown((i, n_columns)) for i in range(n_rows)] if row_totals else None,
        column_totals=[shown((n_rows, j)) for j in range(n_columns)] if column_totals else None,
        grand_total=shown((n_rows, n_columns)) if row_totals and column_totals else None,
        primary=frozenset(primary),
        complementary=frozenset(hidden - primary),
    )


def _complement_rank(
    position: Position, value: int, n_rows: int, n_columns: int
) -> tuple[int, int, Position]:
    is_total = position[0] == n_rows or position[1] == n_columns
    kind = 2 if is_total else (1 if value == 0 else 0)
    return (kind, value, position)


def suppress_weekly(
    rows: Sequence[WeeklyMeasures],
    measure: str,
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[tuple[str | None, dt.date], int | None]:
    """One count measure of `weekly_measures` output, suppressed for display as a
    team x week table whose all-teams rows (team None) are the column totals.

    Events without a team make the all-teams row larger than the sum of the teams; that
    difference is an unseen row of the table, protected like any other cell.
    Returns (team, week) -> count or None when hidden, for the teams and the all-teams row.
    """
    if measure not in COUNT_MEASURES:
        raise ValueError(f"{measure!r} is not a count measure: {', '.join(COUNT_MEASURES)}")
    weeks = sorted({row.week for row in rows})
    teams = sorted({row.team for row in rows if row.team is not None})
    value = {(row.team, row.week): int(getattr(row, measure)) for row in rows}
    cells = [[value.get((team, week), 0) for week in weeks] for team in teams]
    unattributed = [
        value.get((None, week), 0) - sum(cells[i][j] for i in range(len(teams)))
        for j, week in enumerate(weeks)
    ]
    table = suppress_counts(
        [*cells, unattributed], threshold=threshold, row_totals=False, column_totals=True
    )
    result: dict[tuple[str | None, dt.date], int | None] = {}
    for i, team in enumerate(teams):
        for j, week in enumerate(weeks):
            result[(team, week)] = table.cells[i][j]
    assert table.column_totals is not None
    for j, week in enumerate(weeks):
        result[(None, week)] = table.column_totals[j]
    return result
