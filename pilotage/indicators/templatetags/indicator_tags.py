"""Template helpers of the indicator pages: numbers with the indicator's decimals and unit of
measure in the user's locale, hidden values as their mark ("< 5"), and the Making Data Count
icons as badges with words."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pilotage.indicators.models import Indicator, Target
from pilotage.indicators.series import Badge, Row, SeriesPoint, hidden_mark, target_words

register = template.Library()


@register.filter
def number(value: float | None, indicator: Indicator) -> str:
    """A number with the indicator's decimals, in the active locale ("" for none)."""
    if value is None:
        return ""
    return floatformat(value, indicator.decimals)


@register.filter
def measure(value: float | None, indicator: Indicator) -> str:
    """A number with the indicator's decimals and unit of measure ("12,5 jours")."""
    if value is None:
        return ""
    unit = indicator.measure_unit
    text = floatformat(value, indicator.decimals)
    return f"{text}\N{NO-BREAK SPACE}{unit}" if unit else text


def _hidden(point: SeriesPoint | Row, indicator: Indicator) -> SafeString:
    assert point.hidden is not None
    mark = hidden_mark(indicator, point.hidden)
    html = '<abbr class="hidden-value" title="{}">{}</abbr>'
    return format_html(html, mark.explanation, mark.text)


@register.filter
def shown_number(point: SeriesPoint | Row | None, indicator: Indicator) -> str:
    """A point's or table row's value as `number`, or its mark when it is hidden."""
    if point is None:
        return ""
    if point.hidden:
        return _hidden(point, indicator)
    return number(point.value, indicator)


@register.filter
def shown_measure(point: SeriesPoint | Row | None, indicator: Indicator) -> str:
    """A point's or table row's value as `measure`, or its mark when it is hidden."""
    if point is None:
        return ""
    if point.hidden:
        return _hidden(point, indicator)
    return measure(point.value, indicator)


@register.filter
def target_text(target: Target | None, indicator: Indicator) -> str:
    """A target as it reads: "at most 12,0 days" when lower is better."""
    if target is None:
        return ""
    return f"{target_words(indicator)} {measure(target.value, indicator)}"


@register.filter
def who(user: object) -> str:
    """A person's name as the organisation knows it, else the account's ("—" for nobody)."""
    if user is None:
        return "—"
    person = getattr(user, "person", None)  # None when the account has no person
    if person is not None:
        return person.full_name
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


@register.inclusion_tag("indicators/_badge.html")
def spc_badge(badge: Badge, heading: str) -> dict[str, object]:
    """One icon (variation or assurance): a small round glyph and its meaning in words."""
    return {"badge": badge, "heading": heading}
