"""Operations on indicator values that touch several rows, used by views, imports and tasks."""

import datetime
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.indicators.models import ImportBatch, Indicator, Kind, Source, Value, ValueChange
from pilotage.indicators.periods import is_period_start
from pilotage.organisation.models import Unit


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class InvalidValue(ValueError):
    """A value that cannot be stored; the message says why, in the user's language, and
    `field` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Measurement:
    """A value as given: either `value`, or `numerator` and `denominator`, or all three."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


def resolve(indicator: Indicator, period: datetime.date, m: Measurement) -> Measurement:
    """Check a measurement against its indicator and complete it (a rate's value from its
    numerator and denominator). Raises InvalidValue naming the field at fault."""
    if not is_period_start(period, indicator.frequency):
        raise InvalidValue(
            "period",
            _("%(date)s does not start a %(frequency)s period.")
            % {"date": period.isoformat(), "frequency": indicator.get_frequency_display().lower()},
        )
    for field in ("value", "numerator", "denominator"):
        number = getattr(m, field)
        if number is not None and not math.isfinite(number):
            raise InvalidValue(field, _("This is not a number."))
    if (m.numerator is None) != (m.denominator is None):
        raise InvalidValue(
            "denominator" if m.denominator is None else "numerator",
            _("Give both the numerator and the denominator, or neither."),
        )
    if m.denominator is not None and m.denominator <= 0:
        raise InvalidValue("denominator", _("The denominator must be greater than zero."))
    if indicator.kind == Kind.RATE and m.denominator is None:
        raise InvalidValue("numerator", _("A rate needs its numerator and denominator."))
    if m.numerator is not None and m.denominator is not None:
        scale = indicator.factor if indicator.kind == Kind.RATE else 1.0
        computed = m.numerator / m.denominator * scale
        if m.value is not None and not math.isclose(m.value, computed, rel_tol=1e-6, abs_tol=1e-9):
            raise InvalidValue(
                "value",
                _("The value %(value)s does not match numerator / denominator (%(computed)s).")
                % {"value": m.value, "computed": round(computed, 6)},
            )
        return Measurement(computed, m.numerator, m.denominator)
    if m.value is None:
        raise InvalidValue("value", _("A value is required."))
    if indicator.kind == Kind.COUNT and m.value < 0:
        raise InvalidValue("value", _("A count cannot be negative."))
    return m


def do_set_value(
    indicator: Indicator,
    unit: Unit,
    period: datetime.date,
    measurement: Measurement,
    *,
    user: object | None,
    source: str = Source.ENTERED,
    batch: ImportBatch | None = None,
) -> Outcome:
    """Store one value (creating or changing it) and record the change; an identical value
    changes nothing and records nothing, so re-importing a file is harmless."""
    m = resolve(indicator, period, measurement)
    with transaction.atomic():
        # Two people saving the same period at once: lock the row so one change follows the
        # other and each is recorded against the right old value.
        current = (
            Value.objects.select_for_update()
            .filter(indicator=indicator, unit=unit, period=period)
            .order_by()  # the default ordering would join the indicator and unit tables
            .first()
        )
        if current is not None and (current.value, current.numerator, current.denominator) == (
            m.value,
            m.numerator,
            m.denominator,
        ):
            return Outcome.UNCHANGED
        old = (
            (None, None, None)
            if current is None
            else (current.value, current.numerator, current.denominator)
        )
        if current is None:
            current = Value(indicator=indicator, unit=unit, period=period)
        current.value, current.numerator, current.denominator = m.value, m.numerator, m.denominator
        current.source, current.batch = source, batch
        current.updated_by = user if getattr(user, "pk", None) else None
        current.save()
        ValueChange.objects.create(
            value=current,
            changed_by=current.updated_by,
            source=source,
            batch=batch,
            old_value=old[0],
            new_value=m.value,
            old_numerator=old[1],
            new_numerator=m.numerator,
            old_denominator=old[2],
            new_denominator=m.denominator,
        )
    return Outcome.CREATED if old[0] is None else Outcome.UPDATED


def do_set_values(
    items: Iterable[tuple[Indicator, Unit, datetime.date, Measurement]],
    *,
    user: object | None,
    source: str = Source.ENTERED,
    batch: ImportBatch | None = None,
) -> Counter[Outcome]:
    """`do_set_value` for many values at once (imports, recomputation): the same checks, the
    same history and the same "identical changes nothing" rule, in a few statements instead of
    a few per value. Raises InvalidValue on the first invalid item, before writing anything."""
    resolved = [(i, u, p, resolve(i, p, m)) for i, u, p, m in items]
    counts: Counter[Outcome] = Counter()
    if not resolved:
        return counts
    who = user if getattr(user, "pk", None) else None
    now = timezone.now()
    with transaction.atomic():
        # Two writers touching the same values at once: lock the stored rows first, so each
        # change is recorded against the value it replaced.
        stored = {
            (v.indicator_id, v.unit_id, v.period): v
            for v in Value.objects.select_for_update()
            .filter(
                indicator_id__in={i.pk for i, _, _, _ in resolved},
                unit_id__in={u.pk for _, u, _, _ in resolved},
                period__gte=min(p for _, _, p, _ in resolved),
                period__lte=max(p for _, _, p, _ in resolved),
            )
            .order_by()
        }
        created: list[Value] = []
        updated: list[tuple[Value, tuple[float | None, float | None, float | None]]] = []
        for indicator, unit, period, m in resolved:
            current = stored.get((indicator.pk, unit.pk, period))
            new = (m.value, m.numerator, m.denominator)
            old = current and (current.value, current.numerator, current.denominator)
            if old == new:
                counts[Outcome.UNCHANGED] += 1
                continue
            if current is None:
                current = Value(indicator=indicator, unit=unit, period=period)
                stored[(indicator.pk, unit.pk, period)] = current
                created.append(current)
            else:
                updated.append((current, old))  # type: ignore[arg-type]
            current.value, current.numerator, current.denominator = new
            current.source, current.batch, current.updated_by, current.updated_at = (
                source,
                batch,
                who,
                now,
            )
        Value.objects.bulk_create(created, batch_size=500)
        Value.objects.bulk_update(
            [v for v, _ in updated],
            ["value", "numerator", "denominator", "source", "batch", "updated_by", "updated_at"],
            batch_size=500,
        )
        ValueChange.objects.bulk_create(
            [
                ValueChange(
                    value=v,
                    changed_by=who,
                    source=source,
                    batch=batch,
                    old_value=old[0],
                    new_value=v.value,
                    old_numerator=old[1],
                    new_numerator=v.numerator,
                    old_denominator=old[2],
                    new_denominator=v.denominator,
                )
                for v, old in [*((v, (None, None, None)) for v in created), *updated]
            ],
            batch_size=500,
        )
    counts.update({Outcome.CREATED: len(created), Outcome.UPDATED: len(updated)})
    return +counts  # without zero counts
