"""Forms of the board's cards. Each takes the room, so its choices stay within it: the
priorities and indicators of the room's unit and the units above it, the room's own problems
and actions, and its members as owners and people to thank.

Cards that several people edit carry the version they were opened at (a hidden field); the
view hands it to `actions.do_update_card`, which refuses a save based on an old copy.
"""

import datetime
import hashlib
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator, Priority
from pilotage.rooms.access import room_members
from pilotage.rooms.models import (
    Action,
    Experiment,
    Kata,
    Problem,
    ProblemStatus,
    Recognition,
    Room,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class RoomForm(forms.ModelForm):
    """A form bound to a room: the choices of its related fields are the room's."""

    def __init__(self, *args: Any, room: Room, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.room = room
        chain = [*room.unit.ancestor_ids(), room.unit_id]
        if "priority" in self.fields:
            field = self.fields["priority"]
            field.queryset = Priority.objects.filter(unit_id__in=chain).select_related("unit")
            field.empty_label = _("No priority")
        if "indicator" in self.fields:
            field = self.fields["indicator"]
            field.queryset = Indicator.objects.filter(owner_unit_id__in=chain)
            field.label_from_instance = lambda indicator: indicator.name
            field.empty_label = _("No indicator")


class CardForm(RoomForm):
    """A problem, action or kata: saved through `do_update_card` with its version."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def changes(self) -> dict[str, Any]:
        """The card's fields as typed (the version apart)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class ProblemForm(CardForm):
    class Meta:
        model = Problem
        fields = ["title", "description", "status", "priority", "indicator"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A problem becomes "escalated" by escalating it, never by picking the column.
        if self.instance.status != ProblemStatus.ESCALATED:
            self.fields["status"].choices = [
                c for c in ProblemStatus.choices if c[0] != ProblemStatus.ESCALATED
            ]


class ActionForm(CardForm):
    class Meta:
        model = Action
        fields = ["title", "owner", "due", "status", "problem", "indicator", "priority"]
        widgets = {"due": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        members = Q(pk__in=room_members(self.room).values("pk"))
        if self.instance.owner_id:  # a former member keeps the actions they own
            members |= Q(pk=self.instance.owner_id)
        owner.queryset = owner.queryset.model.objects.filter(members).order_by(
            "family_name", "given_name"
        )
        owner.empty_label = _("Nobody yet")
        problem = self.fields["problem"]
        problem.queryset = Problem.objects.filter(room=self.room).order_by("-created_at")
        problem.empty_label = _("No problem")


class KataForm(CardForm):
    class Meta:
        model = Kata
        fields = ["target_state", "current_condition", "next_target", "obstacles", "priority"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["target_state", "current_condition", "next_target", "obstacles"]
        }


class RecognitionForm(RoomForm):
    class Meta:
        model = Recognition
        fields = ["text", "people", "action", "indicator"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "people": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = room_members(self.room)
        action = self.fields["action"]
        action.queryset = Action.objects.filter(room=self.room).order_by("-created_at")
        action.empty_label = _("No action")


class ExperimentForm(forms.ModelForm):
    """One experiment of the kata. Experiments carry no version: the form carries the state
    it was opened from (`opened`), and a save over a changed experiment is refused."""

    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Experiment
        fields = ["date", "step", "expected", "result", "learning"]
        widgets = {
            "date": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in ["step", "expected", "result", "learning"]
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["opened"] = fingerprint(self.instance)

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


def fingerprint(experiment: Experiment) -> str:
    """A short digest of an experiment's stored fields: changes when anyone saves it."""
    text = "\x1f".join(str(getattr(experiment, name)) for name in ExperimentForm._meta.fields)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def shown(form: forms.ModelForm, name: str, value: Any) -> str:
    """A field's value as a person reads it (a choice's label, a related object's name, a
    date in the locale), for the side-by-side view of an edit conflict."""
    if value in (None, ""):
        return "—"
    field = form.fields[name]
    if isinstance(field, forms.ModelChoiceField):
        if not isinstance(value, field.queryset.model):
            value = field.queryset.model._default_manager.filter(pk=value).first()
        if value is None:
            return "—"
        return str(field.label_from_instance(value))
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def conflict_rows(
    form: forms.ModelForm, current: Any, attempted: dict[str, Any]
) -> list[tuple[str, str, str, bool]]:
    """(label, stored now, your version, differs) for each field of the card."""
    rows = []
    for name in form._meta.fields or ():
        stored = shown(form, name, getattr(current, name))
        yours = shown(form, name, attempted.get(name))
        rows.append((str(form.fields[name].label), stored, yours, stored != yours))
    return rows
