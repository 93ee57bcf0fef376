"""Fixtures of the trajectory tests: private event-log storage, the published logs, and two
trajectories (a hand-made "jimmy" one and one over the published receipt log)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
EVENTLOGS = SHARED / "data" / "eventlogs"


@pytest.fixture
def eventlogs() -> Path:
    for name in ("receipt.csv", "interval_event_log.xes", "running-example.xes"):
        assert (EVENTLOGS / name).is_file(), f"missing test data: {EVENTLOGS / name}"
    return EVENTLOGS


@pytest.fixture
def storage_dirs(settings, tmp_path: Path) -> dict[str, Path]:
    """Event logs, the key and uploads under the test's own directory: tests never share
    files, nor touch the data directory of a running Pilotage."""
    dirs = {
        "data": tmp_path / "data",
        "eventlogs": tmp_path / "eventlogs",
        "key": tmp_path / "secrets" / "pseudonym.key",
    }
    dirs["data"].mkdir()
    settings.DATA_DIR = dirs["data"]
    settings.EVENT_LOG_DIR = dirs["eventlogs"]
    settings.PSEUDONYM_KEY_FILE = dirs["key"]
    return dirs


def make_trajectory(code: str, unit, steps, teams, **fields):
    """A trajectory with its steps ((code, activities), in order) and teams (name -> unit)."""
    from pilotage.trajectories.models import ActivityMapping, Step, Trajectory, TrajectoryTeam

    trajectory = Trajectory.objects.create(
        code=code,
        name_en=code.title(),
        name_fr=code.title(),
        unit=unit,
        request_step=steps[0][0],
        evaluation_step=fields.pop("evaluation_step"),
        first_service_step=fields.pop("first_service_step"),
        closure_step=steps[-1][0],
        **fields,
    )
    for order, (step_code, activities) in enumerate(steps, start=1):
        step = Step.objects.create(
            trajectory=trajectory, order=order, code=step_code, name_en=step_code, name_fr=step_code
        )
        for activity in activities:
            ActivityMapping.objects.create(step=step, source_activity=activity)
    for name, team_unit in teams.items():
        TrajectoryTeam.objects.create(trajectory=trajectory, unit=team_unit, source_name=name)
    return trajectory


@pytest.fixture
def jimmy(org):
    """Youth protection's trajectory: teams A (screening) and B (evaluation); C is unlinked."""
    return make_trajectory(
        "jimmy",
        org["youth"],
        [
            ("request", ["Signalement"]),
            ("evaluation", ["Évaluation"]),
            ("services", ["Suivi"]),
            ("closure", ["Fermeture"]),
        ],
        {"A": org["screening"], "B": org["evaluation"]},
        evaluation_step="evaluation",
        first_service_step="services",
        evaluation_target_days=12,
    )


@pytest.fixture
def receipt_trajectory(org):
    """A trajectory over the published receipt log (a Dutch municipality's applications)."""
    return make_trajectory(
        "receipt",
        org["youth"],
        [
            ("request", ["Confirmation of receipt"]),
            ("evaluation", ["T02 Check confirmation of receipt"]),
            (
                "services",
                [
                    "T04 Determine confirmation of receipt",
                    "T05 Print and send confirmation of receipt",
                ],
            ),
            ("closure", ["T10 Determine necessity to stop indication"]),
        ],
        {"Group 1": org["screening"], "Group 4": org["evaluation"]},
        evaluation_step="evaluation",
        first_service_step="services",
        evaluation_target_days=12,
    )


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """These tests read the English texts; French is checked where a test asks for it."""
    settings.LANGUAGE_CODE = "en"
