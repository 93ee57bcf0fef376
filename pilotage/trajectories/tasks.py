"""Background work of the trajectories: importing an event log, recomputing indicators.

Both run in `pilotage worker`, enqueued when the transaction that asked for them commits
(`pilotage.tasks.enqueue_on_commit`). They are thin: the work is in `actions.do_run_import`
and `computed.recompute`, which the `eventlog` command also calls directly.
"""

from django_tasks import task


@task()
def run_import(import_id: int) -> None:
    """Read, validate, pseudonymise and store one queued event-log import."""
    from pilotage.trajectories.actions import do_run_import

    do_run_import(import_id)


@task()
def recompute_trajectory(trajectory_id: int) -> None:
    """Turn the trajectory's live events into its weekly indicator values (source computed)."""
    from pilotage.trajectories.computed import recompute
    from pilotage.trajectories.models import Trajectory

    trajectory = Trajectory.objects.filter(pk=trajectory_id).first()
    if trajectory is not None:
        recompute(trajectory)
