"""Enqueueing background work (Django's tasks API, database backend, `pilotage worker`)."""

from typing import Any

from django.db import transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` once the current transaction commits, and never if it rolls back.

    The worker must not pick up work about rows it cannot see yet, nor work for a request
    that failed; outside a transaction the task is enqueued at once.
    """
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
