"""The rooms list, boards and their cards (included by rooms/urls.py under /rooms/)."""

from django.urls import path

from pilotage.rooms import views

urlpatterns = [
    path("", views.room_list, name="room_list"),
    path("new/", views.room_create, name="room_create"),
    path("<slug:code>/", views.room_board, name="room_board"),
    path("<slug:code>/zones/<slug:zone>/", views.zone_full, name="zone_full"),
    path("<slug:code>/problems/new/", views.problem_create, name="problem_create"),
    path("<slug:code>/problems/<int:pk>/", views.problem_edit, name="problem_edit"),
    path("<slug:code>/problems/<int:pk>/move/", views.problem_move, name="problem_move"),
    path(
        "<slug:code>/indicators/<slug:indicator_code>/raise/",
        views.problem_from_signal,
        name="problem_from_signal",
    ),
    path(
        "<slug:code>/indicators/<slug:indicator_code>/sparkline.svg",
        views.room_sparkline,
        name="room_sparkline",
    ),
    path("<slug:code>/actions/new/", views.action_create, name="action_create"),
    path("<slug:code>/actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("<slug:code>/actions/<int:pk>/move/", views.action_move, name="action_move"),
    path("<slug:code>/recognition/new/", views.recognition_create, name="recognition_create"),
    path("<slug:code>/kata/new/", views.kata_create, name="kata_create"),
    path("<slug:code>/kata/<int:pk>/", views.kata_edit, name="kata_edit"),
    path(
        "<slug:code>/kata/<int:pk>/experiments/new/",
        views.experiment_create,
        name="experiment_create",
    ),
    path("<slug:code>/experiments/<int:pk>/", views.experiment_edit, name="experiment_edit"),
]
