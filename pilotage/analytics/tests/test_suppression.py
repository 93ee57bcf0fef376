"""Small-count suppression: no count from 1 to 4 shown or recoverable from a total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pilotage.analytics import suppress_counts
from pilotage.analytics.suppression import SuppressedTable


def hidden_per_line(table: SuppressedTable) -> list[int]:
    """How many entries each published line (row + total, column + total) hides."""
    rows = [*table.cells]
    if table.column_totals is not None:
        rows.append(table.column_totals)
    counts = []
    if table.row_totals is not None:
        totals = [*table.row_totals]
        if table.column_totals is not None:
            totals.append(table.grand_total)
        counts += [
            sum(v is None for v in [*row, total]) for row, total in zip(rows, totals, strict=True)
        ]
    if table.column_totals is not None:
        columns = [list(c) for c in zip(*rows, strict=True)]
        if table.row_totals is not None:
            columns.append([*table.row_totals, table.grand_total])
        counts += [sum(v is None for v in column) for column in columns]
    return counts


def test_worked_example() -> None:
    """Hand-traced: 3 and 2 are hidden; complements chase them round the table."""
    table = suppress_counts([[10, 3, 8], [12, 7, 9], [6, 15, 2]])
    assert table.primary == {(0, 1), (2, 2)}
    # Row 0 hides its smallest other cell (8), row 2 its 6, column 0 then needs the 10,
    # column 1 the 7, and row 1 finally the 9.
    assert table.complementary == {(0, 2), (2, 0), (0, 0), (1, 1), (1, 2)}
    assert table.cells == [[None, None, None], [12, None, None], [None, 15, None]]
    assert table.row_totals == [21, 28, 23]
    assert table.column_totals == [28, 25, 19]
    assert table.grand_total == 72


def test_zero_is_shown_and_small_totals_hidden() -> None:
    table = suppress_counts([[0, 7], [3, 9]], row_totals=False)
    # Column 0 holds the 3 and its total 3: both hidden, so the line hides two entries.
    assert table.cells == [[0, 7], [None, 9]]
    assert table.column_totals == [None, 16]
    assert table.row_totals is None
    assert table.complementary == frozenset()


def test_nothing_to_hide() -> None:
    table = suppress_counts([[5, 0], [9, 12]])
    assert table.cells == [[5, 0], [9, 12]]
    assert table.primary == table.complementary == frozenset()


def test_single_small_cell_in_a_line_takes_the_total_when_alone() -> None:
    # One team, one week: the cell equals its totals; all are hidden together.
    table = suppress_counts([[2]])
    assert table.cells == [[None]]
    assert table.row_totals == [None] and table.column_totals == [None]
    assert table.grand_total is None


@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 12), min_size=width, max_size=width), min_size=1, max_size=5
        )
    ),
    st.booleans(),
    st.booleans(),
)
def test_no_small_count_shown_or_recoverable(
    cells: list[list[int]], row_totals: bool, column_totals: bool
) -> None:
    table = suppress_counts(cells, row_totals=row_totals, column_totals=column_totals)
    shown = [v for row in table.cells for v in row]
    shown += table.row_totals or []
    shown += table.column_totals or []
    shown.append(table.grand_total)
    assert not any(v is not None and 0 < v < 5 for v in shown)
    assert all(count != 1 for count in hidden_per_line(table))
    for i, row in enumerate(table.cells):
        for j, value in enumerate(row):
            assert value is None or value == cells[i][j]
