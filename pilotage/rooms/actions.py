"""Operations on boards that touch several rows: one function each, used by views, the API,
commands and the demo alike. Each runs in one transaction."""

from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.organisation.models import Unit
from pilotage.rooms.models import (
    Action,
    ActionStatus,
    DecisionKind,
    Escalation,
    EscalationState,
    Problem,
    ProblemStatus,
    Room,
    RoomKind,
    RoomTemplate,
)


class StaleEdit(Exception):
    """Someone else saved this card since it was opened; `current` is what is stored now."""

    def __init__(self, current: Model) -> None:
        super().__init__(_("Someone else changed this card while you were editing it."))
        self.current = current


class NotAllowed(Exception):
    """The step is not possible in the escalation's present state, or not from this room."""


def do_update_card(card: Model, version: int, changes: dict[str, Any], *, user: object) -> Model:
    """Save changes to a problem, action or kata edited from `version`.

    Two people editing one card: the second save carries the version the person started
    from; if the card moved on meanwhile, nothing is written and StaleEdit carries the
    current state, so nobody's change is silently overwritten.
    """
    model = type(card)
    with transaction.atomic():
        # The conditional UPDATE is atomic in the database: of two saves from the same version,
        # exactly one matches.
        updated = model.objects.filter(pk=card.pk, version=version).update(
            **changes, version=F("version") + 1, updated_at=timezone.now()
        )
        if not updated:
            raise StaleEdit(model.objects.get(pk=card.pk))
    card.refresh_from_db()
    if isinstance(card, Action) and "status" in changes:
        _stamp_action(card)
    if isinstance(card, Problem) and "status" in changes:
        _stamp_problem(card)
    return card


def _stamp_action(action: Action) -> None:
    done_at = timezone.now() if action.status == ActionStatus.DONE else None
    Action.objects.filter(pk=action.pk).update(done_at=done_at)
    action.done_at = done_at


def _stamp_problem(problem: Problem) -> None:
    solved_at = timezone.now() if problem.status == ProblemStatus.SOLVED else None
    Problem.objects.filter(pk=problem.pk).update(solved_at=solved_at)
    problem.solved_at = solved_at


def escalation_targets(room: Room) -> list[Room]:
    """Where a room can escalate: its parent room, and the trajectory rooms it takes part in
    (for a matter between teams)."""
    targets = []
    parent = room.parent_room()
    if parent is not None:
        targets.append(parent)
    ids = [room.unit_id, *room.unit.ancestor_ids()]
    targets.extend(
        Room.objects.filter(kind=RoomKind.TRAJECTORY, member_units__in=ids)
        .exclude(pk=room.pk)
        .exclude(pk__in=[t.pk for t in targets])
        .distinct()
    )
    return targets


def do_create_room(unit: Unit, template: RoomTemplate, *, user: object) -> Room:
    """Open the control room of a unit from a template: its zones, limits, cadence and time
    box are copied, so later changes to the template do not move existing boards."""
    with transaction.atomic():
        # Two leaders opening the unit's room at once: the unique constraint keeps one; the
        # second gets a clear message instead of an integrity error.
        if Room.objects.select_for_update().filter(kind=RoomKind.UNIT, unit=unit).exists():
            raise NotAllowed(_("This unit already has its control room."))
        code, n = f"salle-{unit.code}"[:50], 1
        while Room.objects.filter(code=code).exists():
            n += 1
            code = f"salle-{unit.code}"[:45] + f"-{n}"
        return Room.objects.create(
            kind=RoomKind.UNIT,
            code=code,
            unit=unit,
            template=template,
            name_fr=f"Salle de pilotage — {unit.name_fr}"[:200],
            name_en=f"Control room — {unit.name_en}"[:200],
            zones=template.zones,
            cadence=template.cadence,
            time_box_minutes=template.time_box_minutes,
        )


def why_not_escalable(subject: Problem | Action) -> str | None:
    """Why this problem or action cannot be escalated now, if it cannot."""
    if isinstance(subject, Problem) and subject.status == ProblemStatus.SOLVED:
        return _("This problem is solved.")
    if isinstance(subject, Action) and subject.status not in {
        ActionStatus.TODO,
        ActionStatus.DOING,
    }:
        return _("This action is no longer open.")
    field = "problem" if isinstance(subject, Problem) else "action"
    if Escalation.objects.open().filter(parent__isnull=True, **{field: subject}).exists():
        return _("This is already escalated and awaits its answer.")
    return None


def do_escalate(
    subject: Problem | Action,
    to_room: Room,
    reason: str,
    *,
    user: object,
    parent: Escalation | None = None,
) -> Escalation:
    """Send a problem or an action to another room, which must be one of the room's
    escalation targets. The item shows as escalated on the originating board."""
    from_room = parent.to_room if parent else subject.room
    if to_room.pk not in {r.pk for r in escalation_targets(from_room)}:
        raise NotAllowed(_("This room cannot escalate to that room."))
    with transaction.atomic():
        escalation = Escalation.objects.create(
            from_room=from_room,
            to_room=to_room,
            parent=parent,
            title=subject.title,
            reason=reason,
            sent_by=user if getattr(user, "pk", None) else None,
            problem=subject if isinstance(subject, Problem) else None,
            action=subject if isinstance(subject, Action) else None,
        )
        if parent is None and isinstance(subject, Problem):
            Problem.objects.filter(pk=subject.pk).update(
                status=ProblemStatus.ESCALATED, version=F("version") + 1
            )
        if parent is not None:
            # Escalated further: the lower room is told, and waits for the decision from above.
            Escalation.objects.filter(pk=parent.pk).update(
                decision=DecisionKind.ESCALATED,
                decision_text=_("Escalated to %(room)s: %(reason)s")
                % {"room": to_room.name, "reason": reason},
            )
    return escalation


def do_decide(
    escalation: Escalation,
    decision: str,
    text: str,
    *,
    user: object,
    redirect_to: Room | None = None,
) -> Escalation:
    """Record the receiving room's decision; it appears on the originating board, which must
    acknowledge it. A redirection re-sends the matter to the named room."""
    if decision == DecisionKind.ESCALATED:
        raise NotAllowed(_("Use escalate to send the matter further up."))
    if decision in {DecisionKind.REFUSED, DecisionKind.REDIRECTED} and not text.strip():
        raise NotAllowed(_("Give the reason for this decision."))
    with transaction.atomic():
        # Two members of the receiving room deciding at once: the first decision stands.
        locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if locked.state != EscalationState.SENT:
            raise NotAllowed(_("A decision has already been recorded."))
        if locked.escalated_further.open().exists():
            raise NotAllowed(_("The room above has not answered yet."))
        locked.decision, locked.decision_text = decision, text
        locked.decided_by = user if getattr(user, "pk", None) else None
        locked.decided_at = timezone.now()
        locked.state = EscalationState.DECIDED
        if decision == DecisionKind.REDIRECTED:
            if redirect_to is None or redirect_to.pk in {locked.to_room_id, locked.from_room_id}:
                raise NotAllowed(_("Choose the room the matter is redirected to."))
            locked.redirected_to = redirect_to
            Escalation.objects.create(
                from_room=locked.to_room,
                to_room=redirect_to,
                parent=locked,
                problem=locked.problem,
                action=locked.action,
                title=locked.title,
                reason=text,
                sent_by=locked.decided_by,
            )
        locked.save()
    return locked


def do_acknowledge(escalation: Escalation, *, user: object) -> Escalation:
    """The originating room acknowledges the decision: the escalation closes, and when it was
    itself an escalation further up, the decision is relayed to the room below."""
    with transaction.atomic():
        locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if locked.state != EscalationState.DECIDED:
            raise NotAllowed(_("There is no decision to acknowledge yet."))
        locked.state = EscalationState.CLOSED
        locked.acknowledged_by = user if getattr(user, "pk", None) else None
        locked.acknowledged_at = timezone.now()
        locked.save()
        parent = locked.parent
        if parent is not None and parent.state == EscalationState.SENT:
            parent.decision = locked.decision
            parent.decision_text = locked.decision_text
            parent.decided_by, parent.decided_at = locked.decided_by, locked.decided_at
            parent.state = EscalationState.DECIDED
            parent.save()
        if locked.parent is None and locked.problem_id and locked.decision == DecisionKind.SOLVED:
            Problem.objects.filter(pk=locked.problem_id).update(
                status=ProblemStatus.SOLVED, solved_at=timezone.now(), version=F("version") + 1
            )
        elif locked.parent is None and locked.problem_id:
            Problem.objects.filter(pk=locked.problem_id, status=ProblemStatus.ESCALATED).update(
                status=ProblemStatus.ANALYSING, version=F("version") + 1
            )
    return locked
