from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pilotage.organisation.models import AccessGrant, Level, Membership, Unit
from pilotage.organisation.scope import get_unit_for_user, scope_paths


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The personal page: the signed-in person's units and roles, and any explicit grants."""
    person = getattr(request.user, "person", None)
    memberships = (
        Membership.objects.current()
        .filter(person__user=request.user)
        .select_related("unit", "unit__parent")
        .order_by("unit__path")
    )
    grants = AccessGrant.objects.filter(user=request.user).select_related("unit")
    return render(
        request,
        "organisation/home.html",
        {"person": person, "memberships": memberships, "grants": grants},
    )


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    """The units the user may see, as a tree, optionally narrowed to one level."""
    units = Unit.objects.visible_to(request.user).filter(is_active=True)
    level = request.GET.get("level", "")
    if level in Level.values:
        units = units.filter(level=level)
    # Indent relative to the shallowest visible unit, so a team member's tree starts at 0.
    units = list(units)
    base_depth = min((u.depth for u in units), default=0)
    for unit in units:
        unit.indent = unit.depth - base_depth
    return render(
        request,
        "organisation/unit_list.html",
        {"units": units, "levels": Level.choices, "level": level},
    )


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A unit: where it sits, its sub-units and its people with their roles."""
    unit = get_unit_for_user(request.user, code)
    paths = scope_paths(request.user)
    ancestors = [
        (a, paths is None or any(a.path.startswith(p) for p in paths)) for a in unit.ancestors()
    ]
    children = Unit.objects.visible_to(request.user).filter(parent=unit, is_active=True)
    memberships = (
        Membership.objects.current()
        .filter(unit=unit)
        .select_related("person", "person__employer")
        .order_by("role", "person__family_name", "person__given_name")
    )
    return render(
        request,
        "organisation/unit_detail.html",
        {"unit": unit, "ancestors": ancestors, "children": children, "memberships": memberships},
    )
