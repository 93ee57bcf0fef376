"""The huddle's forms: roles, attendance, next item, decision with its consensus check, and
a new action. People are chosen among those on the meeting's attendance list."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pilotage.meetings.models import Meeting
from pilotage.organisation.models import Person
from pilotage.rooms.models import DecisionKind


def _people(meeting: Meeting) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=meeting.attendances.values("person_id")).order_by(
        "family_name", "given_name"
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.full_name


class RolesForm(forms.Form):
    facilitator = PersonChoiceField(
        queryset=Person.objects.none(), required=False, label=_("Facilitator")
    )
    secretary = PersonChoiceField(
        queryset=Person.objects.none(), required=False, label=_("Secretary")
    )
    timekeeper = PersonChoiceField(
        queryset=Person.objects.none(), required=False, label=_("Time-keeper")
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "facilitator": meeting.facilitator_id,
                "secretary": meeting.secretary_id,
                "timekeeper": meeting.timekeeper_id,
            },
        )
        super().__init__(*args, **kwargs)
        people = _people(meeting)
        for name in ("facilitator", "secretary", "timekeeper"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]
            self.fields[name].empty_label = _("Nobody yet")  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    """Two tick boxes per person (present, excused); neither means absent."""

    present = forms.TypedMultipleChoiceField(coerce=int, required=False)
    excused = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (str(pk), str(pk)) for pk in meeting.attendances.values_list("person_id", flat=True)
        ]
        self.fields["present"].choices = choices  # type: ignore[attr-defined]
        self.fields["excused"].choices = choices  # type: ignore[attr-defined]


class NextItemForm(forms.Form):
    current = forms.IntegerField(required=False, widget=forms.HiddenInput)
    outcome = forms.CharField(
        label=_("Outcome of this item (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


#: What a huddle may decide on an escalation it received (a redirection or a further
#: escalation needs the room to go to: the board's escalation form does those).
ESCALATION_DECISIONS = [
    ("", _("No decision on the escalation")),
    (DecisionKind.SOLVED, DecisionKind.SOLVED.label),
    (DecisionKind.REFUSED, DecisionKind.REFUSED.label),
    (DecisionKind.ANALYSIS, DecisionKind.ANALYSIS.label),
]


CONSENSUS_FIELDS = ("agree", "can_live_with", "cannot_live_with")


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("Decision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    agree = forms.IntegerField(label=_("Agree"), min_value=0, max_value=999, initial=0)
    can_live_with = forms.IntegerField(
        label=_("Can live with it"), min_value=0, max_value=999, initial=0
    )
    cannot_live_with = forms.IntegerField(
        label=_("Cannot live with it"), min_value=0, max_value=999, initial=0
    )
    escalation_decision = forms.ChoiceField(
        label=_("Decision on the escalation received"),
        choices=ESCALATION_DECISIONS,
        required=False,
        help_text=_("It goes back to the room that sent the escalation."),
    )

    def __init__(self, *args: Any, decides_escalation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not decides_escalation:
            del self.fields["escalation_decision"]
        for name in CONSENSUS_FIELDS:
            self.fields[name].widget.attrs["aria-describedby"] = "consensus-rule"

    def consensus_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CONSENSUS_FIELDS]


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = PersonChoiceField(queryset=Person.objects.none(), label=_("Owner"))
    due = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(meeting)  # type: ignore[attr-defined]
        self.fields["owner"].empty_label = _("Choose the owner")  # type: ignore[attr-defined]
