from django.urls import include, path

urlpatterns = [
    path("", include("pilotage.trajectories.import_views")),
    path("", include("pilotage.trajectories.analysis_urls")),
]
