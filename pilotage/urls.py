from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("pilotage.organisation.urls")),
    path("", include("pilotage.accounts.urls")),
    path("indicators/", include("pilotage.indicators.urls")),
    path("rooms/", include("pilotage.rooms.urls")),
    path("meetings/", include("pilotage.meetings.urls")),
    path("trajectories/", include("pilotage.trajectories.urls")),
    path("projects/", include("pilotage.projects.urls")),
    path("health/", include("pilotage.health")),
    path("admin/", admin.site.urls),
]
