"""The small-count rule of the indicators (pure: no database).

Paths are those of a small tree: D (/1/) with teams A (/1/2/), B (/1/3/), C (/1/4/); and,
where a test says so, a service S (/1/5/) holding teams T1 (/1/5/6/) and T2 (/1/5/7/).
"""

import datetime
import random

import pytest

from pilotage.indicators.disclosure import (
    THRESHOLD,
    Hidden,
    count_of,
    protect,
    shown_counts,
    suppress,
)
from pilotage.indicators.rollup import StoredValue

D, A, B, C = "/1/", "/1/2/", "/1/3/", "/1/4/"
S, T1, T2 = "/1/5/", "/1/5/6/", "/1/5/7/"
WEEK = datetime.date(2024, 1, 1)
P, X = Hidden.PRIMARY, Hidden.COMPLEMENT


def test_the_threshold_is_the_analytics_engines():
    from pilotage.analytics.suppression import DEFAULT_THRESHOLD

    assert THRESHOLD == DEFAULT_THRESHOLD == 5


@pytest.mark.parametrize(
    ("count", "hidden"), [(0, False), (1, True), (4, True), (4.0, True), (5, False), (12, False)]
)
def test_counts_from_1_to_4_are_hidden_and_zero_is_shown(count, hidden):
    # Alone, without a total: only the primary rule applies.
    assert protect({A: count}) == ({A: P} if hidden else {})


def test_the_threshold_can_be_set():
    assert protect({A: 4, B: 2}, threshold=3) == {B: P}
    assert protect({A: 4, B: 2}, threshold=6) == {A: P, B: P}


def test_a_total_would_give_back_one_hidden_team_so_the_smallest_other_team_is_hidden():
    # D = A + B + C: with A alone hidden, D - B - C = A.
    assert protect({D: 25, A: 3, B: 12, C: 10}) == {A: P, C: X}


def test_a_zero_is_shown_and_never_chosen_as_the_complement():
    assert protect({D: 15, A: 3, B: 0, C: 12}) == {A: P, C: X}


def test_with_no_other_team_to_hide_the_total_is_hidden():
    # B is zero: hiding it would protect nothing, so the total goes (here D's own figure,
    # with a remainder of 17 that only another page could show).
    assert protect({D: 20, A: 3, B: 0}) == {A: P, D: X}
    # A small total is hidden for itself.
    assert protect({D: 3, A: 3, B: 0}) == {D: P, A: P}


def test_two_hidden_teams_need_no_complement():
    assert protect({D: 27, A: 3, B: 4, C: 20}) == {A: P, B: P}


def test_a_small_remainder_counts_as_hidden():
    # D's own all-teams figure is 3 more than its teams: events of an unlinked team. Shown
    # with both teams, those 3 would be D - A - B: a team is hidden with them.
    assert protect({D: 23, A: 10, B: 10}) == {A: X}
    # A remainder of 5 or more, or none, hides nothing.
    assert protect({D: 25, A: 10, B: 10}) == {}
    assert protect({D: 20, A: 10, B: 10}) == {}


def test_a_hidden_total_needs_a_second_hidden_cell_in_its_own_line():
    # S = T1 + T2 is hidden as the complement of A in D's line; shown with T1 and T2 it would
    # come back as their sum, so T1 (the smaller) goes too.
    cells = {D: 3 + 11 + 40, A: 3, S: 11, T1: 5, T2: 6, C: 40}
    assert protect(cells) == {A: P, S: X, T1: X}


def test_a_hidden_team_inside_a_service_hides_its_sibling_not_the_direction():
    cells = {D: 31, S: 11, T1: 3, T2: 8, C: 20}
    assert protect(cells) == {T1: P, T2: X}


def test_a_unit_without_a_value_this_period_is_skipped_to_the_next_one_up():
    # S has no value this week: T1 and T2 are parts of D directly.
    assert protect({D: 13, T1: 3, T2: 10}) == {T1: P, T2: X}


def test_the_rule_is_the_same_whichever_order_the_units_come_in():
    cells = {D: 3 + 11 + 40, A: 3, S: 11, T1: 5, T2: 6, C: 40}
    backwards = dict(reversed(list(cells.items())))
    assert protect(backwards) == protect(cells)


def test_ties_are_broken_by_path():
    assert protect({D: 23, A: 3, B: 10, C: 10}) == {A: P, B: X}


def test_no_line_is_left_with_exactly_one_hidden_cell():
    cells = {D: 60, A: 2, B: 9, C: 7, S: 42, T1: 1, T2: 41}
    hidden = protect(cells)
    lines = [(D, [A, B, C, S]), (S, [T1, T2])]
    for total, parts in lines:
        remainder = cells[total] - sum(cells[p] for p in parts)
        n = (total in hidden) + sum(p in hidden for p in parts) + (0 < remainder < THRESHOLD)
        assert n != 1, (total, hidden)


# --- Counts of the stored values -------------------------------------------------------------


def value(path, count, week=WEEK, numerator=None, denominator=None):
    return StoredValue(path, week, count, numerator, denominator)


def test_a_ratio_discloses_its_denominator_and_a_median_nothing():
    assert count_of("count", 3, None) == 3
    assert count_of("rate", 50.0, 4) == 4
    assert count_of("mean", 12.5, 2) == 2
    assert count_of("duration", 12.5, 6) == 6
    assert count_of("median", 12, None) is None


def test_units_without_own_values_show_their_sub_units_rolled_up():
    counts = shown_counts([value(A, 3), value(T1, 5), value(T2, 6)], "count")
    assert counts == {WEEK: {A: 3, T1: 5, T2: 6, S: 11, D: 14}}


def test_own_values_are_kept_and_a_ratio_is_counted_by_its_denominator():
    values = [
        value(D, 50.0, numerator=10, denominator=20),
        value(A, 25.0, numerator=1, denominator=4),
        value(B, 56.25, numerator=9, denominator=16),
    ]
    assert shown_counts(values, "rate") == {WEEK: {D: 20, A: 4, B: 16}}


def test_suppress_works_period_by_period_over_the_whole_tree():
    later = WEEK + datetime.timedelta(weeks=1)
    values = [
        value(D, 25),
        value(A, 3),
        value(B, 12),
        value(C, 10),
        value(D, 30, later),
        value(A, 10, later),
        value(B, 12, later),
        value(C, 8, later),
    ]
    assert suppress(values, "count") == {(A, WEEK): P, (C, WEEK): X}


def test_a_mean_over_few_items_is_hidden_with_a_complement():
    values = [
        value(D, 10.0, numerator=200, denominator=20),
        value(A, 9.0, numerator=27, denominator=3),
        value(B, 10.0, numerator=80, denominator=8),
        value(C, 10.0, numerator=90, denominator=9),
    ]
    assert suppress(values, "mean") == {(A, WEEK): P, (B, WEEK): X}


def test_a_median_hides_nothing():
    assert suppress([value(D, 3), value(A, 2)], "median") == {}


def test_on_random_trees_every_small_count_is_hidden_and_no_line_gives_one_back():
    rng = random.Random(6)
    teams = [A, B, C, T1, T2]
    for _ in range(1000):
        cells = {team: rng.choice([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 15]) for team in teams}
        cells[S] = cells[T1] + cells[T2]
        cells[D] = sum(cells[t] for t in (A, B, C, S)) + rng.choice([0, 0, 2, 7])
        hidden = protect(cells)
        assert {p for p, v in cells.items() if 0 < v < THRESHOLD} <= set(hidden)
        assert all(cells[p] > 0 for p in hidden)
        for total, parts in ((D, [A, B, C, S]), (S, [T1, T2])):
            remainder = cells[total] - sum(cells[p] for p in parts)
            n = (total in hidden) + sum(p in hidden for p in parts) + (0 < remainder < THRESHOLD)
            # One hidden cell is left only when nothing else in the line can be hidden.
            stuck = total in hidden and all(cells[p] == 0 for p in parts if p not in hidden)
            assert n != 1 or stuck, (cells, hidden)
