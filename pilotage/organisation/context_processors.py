from django.http import HttpRequest

from pilotage.organisation.models import Membership, Unit


def navigation(request: HttpRequest) -> dict[str, object]:
    """The units shown in the navigation: those the person is currently a member of."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A queryset is lazy: only templates that render the navigation run it.
    current = Membership.objects.current().filter(person__user=user)
    units = Unit.objects.filter(memberships__in=current, is_active=True).distinct().order_by("path")
    return {"nav_units": units}
