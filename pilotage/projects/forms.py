"""Forms of projects and status sheets."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator, Priority
from pilotage.organisation.models import Person, Unit
from pilotage.projects.actions import (
    MANY,
    TRACKED,
    open_blocker_choices,
    open_next_step_choices,
    red_without_plan,
)
from pilotage.projects.models import RAG, Milestone, Project, ProjectIndicator, StatusSheet
from pilotage.rooms.access import room_members
from pilotage.rooms.models import Room


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "objective",
            "expected_results",
            "owner",
            "sponsor",
            "priority",
            "members",
            "theme",
            "horizon",
            "approach",
            "start",
            "end",
            "is_active",
        ]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "members": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, room: Room, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chain = [room.unit_id, *room.unit.ancestor_ids()]
        self.fields["priority"].queryset = Priority.objects.filter(unit_id__in=chain)
        self.fields["owner"].queryset = Person.objects.all()
        self.fields["sponsor"].queryset = Person.objects.all()
        self.fields["members"].queryset = Person.objects.all()


class StartSheetForm(forms.Form):
    period_end = forms.DateField(
        label=_("Status as of"), widget=forms.DateInput(attrs={"type": "date"})
    )


class SheetForm(forms.ModelForm):
    """A sheet's statuses (radio groups with words), texts, next steps among the room's open
    actions and blockers among its open problems, with the version it was opened at."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = StatusSheet
        fields = [
            "owner",
            "presenter",
            *TRACKED,
            "achievements",
            "recovery_plan",
            "decisions_requested",
            *MANY,
        ]
        widgets = {
            **{name: forms.RadioSelect for name in TRACKED},
            "next_steps": forms.CheckboxSelectMultiple,
            "blockers": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sheet = self.instance
        room = sheet.project.room
        people = room_members(room) | Person.objects.filter(
            pk__in=[sheet.owner_id, sheet.presenter_id, sheet.project.owner_id]
        )
        self.fields["owner"].queryset = people.distinct()
        self.fields["presenter"].queryset = people.distinct()
        for name in TRACKED:
            self.fields[name].choices = RAG.choices
        kept = {"next_steps": [], "blockers": []}
        if sheet.pk:
            kept = {
                "next_steps": list(sheet.next_steps.values_list("pk", flat=True)),
                "blockers": list(sheet.blockers.values_list("pk", flat=True)),
            }
        self.fields["next_steps"].queryset = (
            open_next_step_choices(room)
            | sheet.next_steps.model.objects.filter(pk__in=kept["next_steps"])
        ).distinct()
        self.fields["blockers"].queryset = (
            open_blocker_choices(room)
            | sheet.blockers.model.objects.filter(pk__in=kept["blockers"])
        ).distinct()
        if "version" not in self.initial:
            self.initial["version"] = sheet.version

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        overall = data.get("overall", "")
        if red_without_plan(overall, data.get("recovery_plan", ""), self.instance.help_needed):
            self.add_error(
                "recovery_plan",
                _("A red status needs a recovery plan, or a request for help from the room above."),
            )
        return data

    def changes(self) -> dict[str, Any]:
        """The fields to save (the many-valued ones as lists)."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            name: data[name] for name in self._meta.fields if name not in MANY
        }
        for name in MANY:
            changes[name] = list(data[name])
        return changes


class HelpForm(forms.Form):
    text = forms.CharField(label=_("What help is needed, and why"), widget=forms.Textarea)
    to_room = forms.TypedChoiceField(label=_("Ask"), coerce=int)

    def __init__(self, *args: Any, targets: list[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_room"].choices = [(room.pk, room.name) for room in targets]


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))
    decided_by = forms.ModelChoiceField(label=_("Decided by"), queryset=Person.objects.none())

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_by"].queryset = people


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ProjectIndicatorForm(forms.ModelForm):
    class Meta:
        model = ProjectIndicator
        fields = ["indicator", "unit", "baseline", "target"]

    def __init__(self, *args: Any, room: Room, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chain = [room.unit_id, *room.unit.ancestor_ids()]
        self.fields["indicator"].queryset = Indicator.objects.filter(owner_unit_id__in=chain)
        self.fields["unit"].queryset = Unit.objects.filter(path__startswith=room.unit.path)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due", "done_on"]
        widgets = {
            "due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "done_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


IndicatorFormSet = forms.inlineformset_factory(
    Project, ProjectIndicator, form=ProjectIndicatorForm, extra=1, can_delete=True
)
MilestoneFormSet = forms.inlineformset_factory(
    Project, Milestone, form=MilestoneForm, extra=2, can_delete=True
)
