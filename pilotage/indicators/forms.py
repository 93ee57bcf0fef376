"""Forms of the indicator pages: a value entered by hand, a rebase decided by a leader.

Numbers are read in the user's locale (a French user types 12,5). The rules of what makes a
value valid live in `actions.resolve()`, not here: the view shows its InvalidValue on the
field it names, so the hand-entry form and the imports refuse the same things in the same
words.
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.models import Indicator, Rebase
from pilotage.indicators.periods import is_period_start, period_start


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


# Numbers are typed as text so a decimal comma is accepted; phones still show a number pad.
_number = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class ValueForm(forms.Form):
    period = forms.DateField(
        label=_("Period"),
        widget=DateInput(),
        help_text=_(
            "The first day of the period: a Monday, or the first day of a month or quarter."
        ),
    )
    value = forms.FloatField(label=_("Value"), required=False, localize=True, widget=_number)
    numerator = forms.FloatField(
        label=_("Numerator"), required=False, localize=True, widget=_number
    )
    denominator = forms.FloatField(
        label=_("Denominator"), required=False, localize=True, widget=_number
    )

    def __init__(self, *args: object, indicator: Indicator, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.indicator = indicator
        if indicator.needs_ratio:
            self.fields["value"].help_text = _("Computed from the numerator and denominator.")

    def clean_period(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["period"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("This period has not started yet."))
        return day


class RebaseForm(forms.Form):
    from_period = forms.DateField(
        label=_("New limits from"),
        widget=DateInput(),
        help_text=_("The first period of the changed process."),
    )
    reason = forms.CharField(
        label=_("Why the process changed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args: object, indicator: Indicator, unit: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.indicator, self.unit = indicator, unit

    def clean_from_period(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["from_period"]
        frequency = self.indicator.frequency
        if not is_period_start(day, frequency):
            raise forms.ValidationError(
                _("%(date)s does not start a period; the period starts on %(start)s."),
                params={"date": day.isoformat(), "start": period_start(day, frequency).isoformat()},
            )
        if Rebase.objects.filter(
            indicator=self.indicator, unit=self.unit, from_period=day
        ).exists():
            raise forms.ValidationError(_("There is already a rebase from this period."))
        return day
