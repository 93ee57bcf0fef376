"""The analysis pages of a trajectory (see views.py)."""

from django.urls import path

from pilotage.trajectories import views

urlpatterns = [
    path("", views.trajectory_list, name="trajectory_list"),
    # First, so that no trajectory code can shadow it (indicator codes start with "traj-").
    path(
        "indicators/<slug:indicator>/analysis/",
        views.indicator_lookup,
        name="trajectory_indicator_lookup",
    ),
    path("<slug:code>/", views.trajectory_map, name="trajectory_map"),
    path("<slug:code>/bottlenecks/", views.trajectory_bottlenecks, name="trajectory_bottlenecks"),
    path("<slug:code>/variants/", views.trajectory_variants, name="trajectory_variants"),
    path("<slug:code>/flows.csv", views.flows_csv, name="trajectory_flows_csv"),
    path("<slug:code>/variants.csv", views.variants_csv, name="trajectory_variants_csv"),
    path(
        "<slug:code>/indicator/<slug:indicator>/",
        views.indicator_analysis,
        name="trajectory_indicator",
    ),
]
