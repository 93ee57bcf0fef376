from django.urls import URLPattern, URLResolver, include, path

from pilotage.projects import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("pilotage.projects.output_views")),
    path("rooms/<slug:room_code>/", views.project_list, name="project_list"),
    path("rooms/<slug:room_code>/new/", views.project_create, name="project_create"),
    path("leadership/<slug:unit_code>/", views.leadership_signals, name="leadership_signals"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/edit/", views.sheet_edit, name="sheet_edit"),
    path("sheets/<int:pk>/publish/", views.sheet_publish, name="sheet_publish"),
    path("sheets/<int:pk>/help/", views.sheet_help, name="sheet_help"),
    path("sheets/<int:pk>/decision/", views.sheet_decision, name="sheet_decision"),
    path("sheets/<int:pk>/comment/", views.sheet_comment, name="sheet_comment"),
    path("<slug:code>/", views.project_detail, name="project_detail"),
    path("<slug:code>/edit/", views.project_edit, name="project_edit"),
    path("<slug:code>/sheets/new/", views.sheet_start, name="sheet_start"),
]
