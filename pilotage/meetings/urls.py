from django.urls import path

from pilotage.meetings import views

urlpatterns = [
    path("rooms/<slug:code>/huddle/", views.start_huddle, name="meeting_start"),
    path("rooms/<slug:code>/measures/", views.room_meeting_measures, name="room_meeting_measures"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/attendance/", views.record_attendance, name="meeting_attendance"),
    path("<int:pk>/roles/", views.set_roles, name="meeting_roles"),
    path("<int:pk>/next/", views.next_item, name="meeting_next_item"),
    path("<int:pk>/items/<int:item_pk>/start/", views.start_item, name="meeting_start_item"),
    path(
        "<int:pk>/items/<int:item_pk>/presenter/",
        views.set_presenter,
        name="meeting_item_presenter",
    ),
    path("<int:pk>/decisions/", views.record_decision, name="meeting_decision"),
    path("<int:pk>/actions/", views.capture_action, name="meeting_action"),
    path("<int:pk>/end/", views.end_meeting, name="meeting_end"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:pk>/minutes.pdf", views.meeting_minutes_pdf, name="meeting_minutes_pdf"),
]
