from django.urls import include, path

urlpatterns = [
    path("", include("pilotage.rooms.board_urls")),
    path("", include("pilotage.rooms.escalation_views")),
    path("", include("pilotage.rooms.display_views")),
]
