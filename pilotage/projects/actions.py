"""Operations on projects' status sheets that touch several rows: one function each, used by
views, the API, commands and the demo alike. Each runs in one transaction."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.organisation.models import Person
from pilotage.projects.models import (
    DIMENSIONS,
    RAG,
    SheetComment,
    SheetDecision,
    StatusChange,
    StatusSheet,
)
from pilotage.rooms.actions import NotAllowed, StaleEdit, do_escalate, escalation_targets
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    EscalationState,
    Problem,
    ProblemStatus,
    Room,
)

__all__ = ["NotAllowed", "StaleEdit"]

#: The statuses whose changes are kept in a sheet's history.
TRACKED = ("overall", *DIMENSIONS)
#: Fields of a sheet that hold many rows (next steps among the board's actions, blockers
#: among its problems).
MANY = ("next_steps", "blockers")
OPEN_ACTIONS = (ActionStatus.TODO, ActionStatus.DOING)


def _user_or_none(user: object) -> Any:
    return user if getattr(user, "pk", None) else None


def red_without_plan(overall: str, recovery_plan: str, help_needed: str) -> bool:
    """A red sheet must carry a recovery plan or a request for help."""
    return overall == RAG.RED and not recovery_plan.strip() and not help_needed.strip()


def red_error() -> ValidationError:
    return ValidationError(
        {
            "recovery_plan": _(
                "A red status needs a recovery plan, or a request for help from the room above."
            )
        }
    )


def do_start_sheet(project: Any, period_end: datetime.date, user: object) -> StatusSheet:
    """Start the sheet of a period from the previous one: its statuses, recovery plan, help
    needed, decisions requested, owner and presenter, and the next steps and blockers that are
    still open. Achievements start empty: they are those since the last sheet."""
    if project.sheets.filter(period_end=period_end).exists():
        raise NotAllowed(_("This project already has a sheet for that date."))
    previous = project.sheets.filter(period_end__lt=period_end).order_by("-period_end").first()
    with transaction.atomic():
        sheet = StatusSheet(
            project=project,
            period_end=period_end,
            owner=project.owner,
            created_by=_user_or_none(user),
        )
        if previous is not None:
            for name in (*TRACKED, "owner_id", "presenter_id", "recovery_plan"):
                setattr(sheet, name, getattr(previous, name))
            sheet.decisions_requested = previous.decisions_requested
            sheet.help_needed = previous.help_needed
            escalation = previous.help_escalation
            if escalation is not None and escalation.state != EscalationState.CLOSED:
                sheet.help_escalation = escalation  # still awaiting its answer
        try:
            with transaction.atomic():
                sheet.save()
        except IntegrityError:
            # Two people starting the same period at once: the first sheet stands.
            raise NotAllowed(_("This project already has a sheet for that date.")) from None
        if previous is not None:
            sheet.next_steps.set(previous.next_steps.filter(status__in=OPEN_ACTIONS))
            sheet.blockers.set(previous.blockers.exclude(status=ProblemStatus.SOLVED))
    return sheet


def do_save_sheet(
    sheet: StatusSheet, version: int, changes: dict[str, Any], user: object
) -> StatusSheet:
    """Save changes to a sheet edited from `version`, keeping one StatusChange per status that
    moved. A red overall status without a recovery plan or help needed is refused with a field
    error, and nothing is written. Two people editing one sheet: the second save, from a
    version that is no longer the stored one, raises StaleEdit with the current sheet."""
    scalar = {k: v for k, v in changes.items() if k not in MANY}
    with transaction.atomic():
        # Two people saving the same sheet at once: the lock makes the version check and the
        # write one step, so exactly one of two saves from the same version goes through.
        locked = StatusSheet.objects.select_for_update().get(pk=sheet.pk)
        if locked.version != version:
            raise StaleEdit(locked)
        if locked.is_published:
            raise NotAllowed(_("This sheet is published; start the next one instead."))
        after = {name: scalar.get(name, getattr(locked, name)) for name in TRACKED}
        plan = scalar.get("recovery_plan", locked.recovery_plan)
        help_needed = scalar.get("help_needed", locked.help_needed)
        if red_without_plan(after["overall"], plan, help_needed):
            raise red_error()
        now = timezone.now()
        StatusChange.objects.bulk_create(
            StatusChange(
                sheet=locked,
                dimension=name,
                old=getattr(locked, name),
                new=after[name],
                changed_by=_user_or_none(user),
                changed_at=now,
            )
            for name in TRACKED
            if after[name] != getattr(locked, name)
        )
        StatusSheet.objects.filter(pk=locked.pk).update(**scalar, version=F("version") + 1)
        for name in MANY:
            if name in changes:
                getattr(locked, name).set(changes[name])
    sheet.refresh_from_db()
    return sheet


def do_request_help(
    sheet: StatusSheet, text: str, user: object, to_room: Room | None = None
) -> StatusSheet:
    """Ask the room above for help: a problem "Help needed: <project>" on the project's room
    board, linked to the sheet as a blocker and escalated to the parent room (or the chosen
    escalation target), where it lands on the next agenda."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Say what help is needed.")})
    room = sheet.project.room
    targets = escalation_targets(room)
    if to_room is None:
        to_room = targets[0] if targets else None
    if to_room is None or to_room.pk not in {t.pk for t in targets}:
        raise NotAllowed(_("This room has no room above to ask for help."))
    with transaction.atomic():
        problem = Problem.objects.create(
            room=room,
            priority=sheet.project.priority,
            title=(_("Help needed: %(project)s") % {"project": sheet.project.name})[:200],
            description=text,
            created_by=_user_or_none(user),
        )
        sheet.blockers.add(problem)
        escalation = do_escalate(problem, to_room, text, user=user)
        help_needed = f"{sheet.help_needed}\n\n{text}".strip() if sheet.help_needed else text
        StatusSheet.objects.filter(pk=sheet.pk).update(
            help_needed=help_needed, help_escalation=escalation, version=F("version") + 1
        )
    sheet.refresh_from_db()
    return sheet


def do_publish_sheet(sheet: StatusSheet, user: object) -> StatusSheet:
    """Publish the sheet for its status-sheet meeting; it is no longer edited afterwards."""
    with transaction.atomic():
        # Two people publishing at once: the first publication stands.
        locked = StatusSheet.objects.select_for_update().get(pk=sheet.pk)
        if locked.is_published:
            raise NotAllowed(_("This sheet is already published."))
        if red_without_plan(locked.overall, locked.recovery_plan, locked.help_needed):
            raise red_error()
        StatusSheet.objects.filter(pk=locked.pk).update(
            published_at=timezone.now(), version=F("version") + 1
        )
    sheet.refresh_from_db()
    return sheet


def do_record_decision(
    sheet: StatusSheet, text: str, decided_by: Person | None, user: object
) -> SheetDecision:
    """Record a decision taken on the sheet: what, who decided, when."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the decision.")})
    return SheetDecision.objects.create(sheet=sheet, text=text, decided_by=decided_by)


def do_comment(
    sheet: StatusSheet, text: str, user: object, parent: SheetComment | None = None
) -> SheetComment:
    """Add a comment to the sheet's dialogue, or a reply within a thread."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    if parent is not None and parent.sheet_id != sheet.pk:
        raise NotAllowed(_("That comment belongs to another sheet."))
    return SheetComment.objects.create(
        sheet=sheet, parent=parent, author=_user_or_none(user), text=text
    )


def open_next_step_choices(room: Room) -> Any:
    """The room's open actions, among which a sheet's next steps are chosen."""
    return Action.objects.filter(room=room, status__in=OPEN_ACTIONS)


def open_blocker_choices(room: Room) -> Any:
    """The room's open problems, among which a sheet's blockers are chosen."""
    return Problem.objects.filter(room=room).exclude(status=ProblemStatus.SOLVED)
