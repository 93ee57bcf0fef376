from django.contrib import admin

from pilotage.meetings.models import AgendaItem, Attendance, Meeting, MeetingAction, MeetingDecision


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["person"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["order", "kind", "title", "allotted_seconds", "if_time_allows"]
    fields += ["started_at", "ended_at", "outcome"]


class DecisionInline(admin.TabularInline):
    model = MeetingDecision
    extra = 0
    fields = ["text", "item", "agree", "can_live_with", "cannot_live_with", "decided_by"]
    raw_id_fields = ["item", "decided_by"]


class ActionInline(admin.TabularInline):
    model = MeetingAction
    extra = 0
    raw_id_fields = ["action", "item"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["room", "kind", "started_at", "ended_at"]
    list_filter = ["kind"]
    date_hierarchy = "started_at"
    raw_id_fields = ["room", "started_by", "facilitator", "secretary", "timekeeper"]
    inlines = [AttendanceInline, AgendaItemInline, DecisionInline, ActionInline]
