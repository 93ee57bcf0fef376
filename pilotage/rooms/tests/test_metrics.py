"""Measures of the escalation loop, on hand-made escalations with fixed timestamps, and the
weekly indicator values computed from them."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from pilotage.indicators.models import Indicator, Source, Value, ValueChange
from pilotage.rooms import metrics
from pilotage.rooms.models import DecisionKind, Escalation, EscalationState, Problem
from pilotage.rooms.tasks import compute_room_indicators

NOW = timezone.make_aware(datetime.datetime(2024, 6, 1, 12, 0))


def at(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def days_ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def problem(rooms):
    return Problem.objects.create(room=rooms["screening"], title="Reports wait")


@pytest.fixture
def make(rooms, problem):
    """An escalation from screening to youth (or as told), with the given fields."""

    def escalation(**fields):
        fields.setdefault("from_room", rooms["screening"])
        fields.setdefault("to_room", rooms["youth"])
        if fields.get("acknowledged_at"):
            fields.setdefault("state", EscalationState.CLOSED)
        return Escalation.objects.create(
            problem=problem, title="Reports wait", reason="Help", **fields
        )

    return escalation


def test_round_trip_median_over_the_last_90_days(make):
    for sent, trip in [(10, 2), (20, 4), (30, 10), (150, 50)]:
        make(sent_at=days_ago(sent), acknowledged_at=days_ago(sent) + datetime.timedelta(days=trip))
    make(sent_at=days_ago(3))  # open: no round trip yet
    received = Escalation.objects.all()
    # The one closed 100 days ago is out of the window: the median of 2, 4 and 10 days.
    assert metrics.round_trip_median(received, now=NOW) == datetime.timedelta(days=4)
    make(sent_at=days_ago(40), acknowledged_at=days_ago(34))  # 6 days
    assert metrics.round_trip_median(received, now=NOW) == datetime.timedelta(days=5)
    assert metrics.round_trip_median(received.none(), now=NOW) is None


def test_open_escalations_by_age_band(make):
    for age in [0, 6.9, 7, 30, 30.9, 31, 45]:
        make(sent_at=days_ago(age))
    make(sent_at=days_ago(60), decided_at=days_ago(50), state=EscalationState.DECIDED)
    make(sent_at=days_ago(60), acknowledged_at=days_ago(1))  # closed: not counted
    bands = metrics.open_by_age(Escalation.objects.all(), now=NOW)
    # Whole days, rounded down: 0-6, 7-30, 31 and more.
    assert bands == metrics.AgeBands(under_7=2, from_7_to_30=3, over_30=3)
    assert bands.total == 8


def test_escalations_left_without_decision_after_n_meetings(make):
    assert metrics.N_MEETINGS == 2
    make(sent_at=days_ago(20), meetings_without_decision=2)  # counted
    make(sent_at=days_ago(20), meetings_without_decision=5)  # counted
    make(sent_at=days_ago(20), meetings_without_decision=1)  # not yet
    make(  # decided: answered
        sent_at=days_ago(20),
        meetings_without_decision=3,
        state=EscalationState.DECIDED,
        decision=DecisionKind.ANALYSIS,
        decided_at=days_ago(1),
    )
    make(  # sent further up: the room acted, the room above owes the answer
        sent_at=days_ago(20), meetings_without_decision=3, decision=DecisionKind.ESCALATED
    )
    assert metrics.waiting_after_meetings(Escalation.objects.all()) == 2


def test_room_measures_are_those_of_the_receiving_room(make, rooms):
    make(sent_at=days_ago(10), acknowledged_at=days_ago(7))
    make(sent_at=days_ago(40), meetings_without_decision=2)
    make(from_room=rooms["youth"], to_room=rooms["exec"], sent_at=days_ago(1))
    youth = metrics.room_measures(rooms["youth"], now=NOW)
    assert youth.round_trip_days == pytest.approx(3)
    assert youth.open_by_age == metrics.AgeBands(over_30=1)
    assert youth.waiting_after_meetings == 1
    exec_ = metrics.room_measures(rooms["exec"], now=NOW)
    assert (exec_.round_trip_median, exec_.open_by_age.under_7) == (None, 1)
    screening = metrics.room_measures(rooms["screening"], now=NOW)
    assert screening.open_by_age.total == 0


def test_week_figures():
    start, end = at(2024, 1, 8), at(2024, 1, 15)
    trip = metrics.Trip
    trips = [
        trip(at(2024, 1, 2), at(2024, 1, 9), at(2024, 1, 10), 0, 7),  # closed in the week
        trip(at(2024, 1, 1), None, None, 2, 7),  # open, waiting after 2 meetings by Jan 15
        trip(at(2024, 1, 2), None, None, 2, 7),  # open, its 2nd meeting is due after Jan 15
        trip(at(2024, 1, 1), at(2024, 1, 3), at(2024, 1, 15), 3, 7),  # closed on the end: open
        trip(at(2024, 1, 15), None, None, 0, 7),  # sent after the week
    ]
    figures = metrics.week_figures(trips, start, end)
    assert figures == metrics.WeekFigures(
        round_trip_days_total=8.0, closed=1, open_at_end=3, waiting_at_end=1
    )


@pytest.fixture
def history(make, rooms):
    """Escalations of January 2024 (weeks of 1, 8, 15, 22 and 29 January), weekly rooms."""
    make(sent_at=at(2024, 1, 2, 10), decided_at=at(2024, 1, 4), acknowledged_at=at(2024, 1, 5, 10))
    make(sent_at=at(2024, 1, 3, 10), decided_at=at(2024, 1, 9), acknowledged_at=at(2024, 1, 11, 10))
    make(sent_at=at(2024, 1, 4, 10), meetings_without_decision=2)  # never answered
    make(  # decided after two meetings, acknowledged on 1 February
        sent_at=at(2024, 1, 8, 9),
        meetings_without_decision=2,
        decided_at=at(2024, 1, 30),
        acknowledged_at=at(2024, 2, 1, 8),
    )
    forwarded = make(
        sent_at=at(2024, 1, 9), meetings_without_decision=2, decision=DecisionKind.ESCALATED
    )
    make(from_room=rooms["youth"], to_room=rooms["exec"], parent=forwarded, sent_at=at(2024, 1, 10))


def _series(code, unit):
    values = Value.objects.filter(indicator__code=code, unit=unit).order_by("period")
    return {v.period.isoformat(): (v.value, v.numerator, v.denominator) for v in values}


def test_the_weekly_indicator_values(history, org):
    counts = metrics.compute_room_indicators(today=datetime.date(2024, 2, 1))
    indicators = Indicator.objects.filter(
        code__in=[metrics.ROUND_TRIP_CODE, metrics.OPEN_CODE, metrics.WAITING_CODE]
    )
    assert {i.owner_unit for i in indicators} == {org["exec"]}  # the strategic room's unit
    assert {(i.source, i.frequency, i.dimension) for i in indicators} == {
        ("computed", "weekly", "other")
    }
    assert {i.code: i.kind for i in indicators} == {
        metrics.ROUND_TRIP_CODE: "mean",
        metrics.OPEN_CODE: "count",
        metrics.WAITING_CODE: "count",
    }
    assert all(i.name_fr and i.name_en and i.definition_fr and i.definition_en for i in indicators)

    weeks = ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
    youth = org["youth"]
    assert _series(metrics.OPEN_CODE, youth) == {
        w: (n, None, None) for w, n in zip(weeks, [2.0, 3.0, 3.0, 3.0, 2.0], strict=True)
    }
    # The never-answered one counts from the week its 2nd weekly meeting is due (18 Jan);
    # the one sent on 8 January from the week of 22 January until its decision on the 30th.
    assert _series(metrics.WAITING_CODE, youth) == {
        w: (n, None, None) for w, n in zip(weeks, [0.0, 0.0, 1.0, 2.0, 1.0], strict=True)
    }
    trip = (
        datetime.datetime(2024, 2, 1, 8) - datetime.datetime(2024, 1, 8, 9)
    ) / datetime.timedelta(days=1)
    assert _series(metrics.ROUND_TRIP_CODE, youth) == {
        "2024-01-01": (3.0, 3.0, 1.0),
        "2024-01-08": (8.0, 8.0, 1.0),
        "2024-01-29": (pytest.approx(trip), pytest.approx(trip), 1.0),
    }
    # The strategic room received the one sent further up; the teams received nothing.
    assert _series(metrics.OPEN_CODE, org["exec"]) == {
        w: (n, None, None) for w, n in zip(weeks, [0.0, 1.0, 1.0, 1.0, 1.0], strict=True)
    }
    assert set(_series(metrics.OPEN_CODE, org["screening"]).values()) == {(0.0, None, None)}
    assert set(Value.objects.values_list("source", flat=True)) == {Source.COMPUTED}
    assert counts["created"] == Value.objects.count()


def test_computing_twice_changes_nothing(history):
    metrics.compute_room_indicators(today=datetime.date(2024, 2, 1))
    stored = list(Value.objects.order_by("pk").values())
    changes = ValueChange.objects.count()
    counts = metrics.compute_room_indicators(today=datetime.date(2024, 2, 1))
    assert (counts["created"], counts["updated"]) == (0, 0)
    assert list(Value.objects.order_by("pk").values()) == stored
    assert ValueChange.objects.count() == changes
    assert Indicator.objects.count() == 3


def test_a_new_step_updates_only_what_it_changes(history, org):
    metrics.compute_room_indicators(today=datetime.date(2024, 2, 1))
    Escalation.objects.filter(meetings_without_decision=2, decided_at__isnull=True).exclude(
        decision=DecisionKind.ESCALATED
    ).update(
        state=EscalationState.CLOSED,
        decided_at=at(2024, 1, 31),
        acknowledged_at=at(2024, 1, 31, 12),
    )
    counts = metrics.compute_room_indicators(today=datetime.date(2024, 2, 1))
    # Week of 29 January: one more closed (round trip), one fewer open, one fewer waiting.
    assert (counts["created"], counts["updated"]) == (0, 3)
    assert _series(metrics.OPEN_CODE, org["youth"])["2024-01-29"][0] == 1.0


def test_nothing_to_compute_without_escalations(rooms):
    assert metrics.compute_room_indicators() == {"created": 0, "updated": 0, "unchanged": 0}
    assert not Value.objects.exists()


def test_the_command_and_the_task(make):
    make(sent_at=timezone.now() - datetime.timedelta(days=10))
    call_command("compute_room_indicators", stdout=io.StringIO())
    assert Value.objects.exists()
    before = Value.objects.count()
    result = compute_room_indicators.call()
    assert result["created"] == 0 and Value.objects.count() == before
