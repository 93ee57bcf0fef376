"""The permission layer: what a user may see, as a filter every app applies in its queries.

A user sees the sub-trees of the units they are a current member of, plus those explicitly
granted to them; superusers see everything. Apps scope their own querysets with
`unit_scope_q(user, field="unit")` (the path of the object's unit must start with one of the
user's root paths), and views answer 404 for anything outside, so that the existence of an
object in another unit is not revealed.
"""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from pilotage.organisation.models import LEADING_ROLES, AccessGrant, Membership, Role, Unit

_CACHE_ATTRIBUTE = "_pilotage_scope_paths"


def scope_paths(user: object) -> list[str] | None:
    """Root paths of the user's visible sub-trees; None means everything (superuser).

    Computed once per user object (so once per request) and reduced so that no path lies
    inside another.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if getattr(user, "is_superuser", False):
        return None
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    paths = set(
        Membership.objects.current(today)
        .filter(person__user=user)
        .values_list("unit__path", flat=True)
    )
    paths.update(
        AccessGrant.objects.filter(user=user, start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .values_list("unit__path", flat=True)
    )
    roots = sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths))
    setattr(user, _CACHE_ATTRIBUTE, roots)
    return roots


def subtrees_q(paths: list[str], field: str | None = "unit") -> Q:
    """A filter keeping rows whose unit (reached through `field`; None: units themselves) lies
    in one of the sub-trees rooted at `paths`; no path gives a filter matching nothing."""
    lookup = "path__startswith" if field is None else f"{field}__path__startswith"
    return reduce(or_, (Q(**{lookup: path}) for path in paths), Q(pk__in=[]))


def ids_on_paths(paths: list[str], *, include_roots: bool = True) -> set[int]:
    """The ids of the units from the root down to each path's unit (or to its parent)."""
    ids = set()
    for path in paths:
        parts = [int(part) for part in path.strip("/").split("/") if part]
        ids.update(parts if include_roots else parts[:-1])
    return ids


def unit_scope_q(user: object, field: str | None = "unit") -> Q:
    """A filter keeping rows whose unit (reached through `field`) the user may see.

    `field=None` filters units themselves. An empty scope gives a filter matching nothing.
    """
    paths = scope_paths(user)
    if paths is None:
        return Q()
    return subtrees_q(paths, field)


def get_unit_for_user(user: object, code: str) -> Unit:
    """The unit with this code if the user may see it, else 404 (never 403: see module doc)."""
    try:
        return Unit.objects.visible_to(user).get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None


def can_lead(user: object, unit: Unit) -> bool:
    """Whether the user holds a leading role in this unit or one above it (or is a superuser)."""
    if getattr(user, "is_superuser", False):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        Membership.objects.current()
        .filter(person__user=user, role__in=LEADING_ROLES)
        .filter(unit_id__in=[*unit.ancestor_ids(), unit.pk])
        .exists()
    )


def can_enter_values(user: object, unit: Unit) -> bool:
    """Whether the user may enter the unit's own figures: its leaders, and its members other
    than researchers (who observe, they do not report)."""
    if can_lead(user, unit):
        return True
    return (
        getattr(user, "is_authenticated", False)
        and Membership.objects.current()
        .filter(person__user=user, unit=unit)
        .exclude(role=Role.RESEARCHER)
        .exists()
    )
