"""Background work of the rooms: the indicators of the management system itself."""

from django_tasks import task

from pilotage.rooms import metrics


@task()
def compute_room_indicators() -> dict[str, int]:
    """Recompute the weekly escalation indicators of every unit with a room (idempotent),
    enqueued after each step of an escalation so the values keep up by themselves."""
    return metrics.compute_room_indicators()
