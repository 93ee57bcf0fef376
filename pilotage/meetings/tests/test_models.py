"""The consensus rule of the caucus: at least 75% agree and 100% can live with it."""

import pytest

from pilotage.meetings.models import MeetingDecision


@pytest.mark.parametrize(
    ("agree", "can_live_with", "cannot_live_with", "reached"),
    [
        (75, 25, 0, True),  # exactly 75% agree, nobody against: reached
        (3, 1, 0, True),
        (74, 26, 0, False),  # 74%: not reached
        (2, 1, 0, False),  # 67%
        (99, 0, 1, False),  # 99% agree but one cannot live with it
        (10, 0, 1, False),
        (5, 0, 0, True),  # unanimous
        (0, 0, 0, False),  # no check made
    ],
)
def test_consensus_edges(agree, can_live_with, cannot_live_with, reached):
    decision = MeetingDecision(
        text="x", agree=agree, can_live_with=can_live_with, cannot_live_with=cannot_live_with
    )
    assert decision.reached is reached


def test_all_agree_but_one_cannot_live_with_it():
    """Every other person agrees (100% of those who agree), one cannot live with it."""
    decision = MeetingDecision(text="x", agree=8, can_live_with=0, cannot_live_with=1)
    assert decision.agree_percent == 89 and not decision.reached


def test_a_decision_without_a_check_says_so():
    decision = MeetingDecision(text="x")
    assert not decision.checked and decision.agree_percent is None and not decision.reached
