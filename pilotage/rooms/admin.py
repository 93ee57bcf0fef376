from django.contrib import admin

from pilotage.rooms.models import (
    Action,
    DisplayToken,
    Escalation,
    Experiment,
    Kata,
    Problem,
    Recognition,
    Room,
    RoomTemplate,
)


@admin.register(RoomTemplate)
class RoomTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "name_en", "level", "cadence", "time_box_minutes")
    list_filter = ("level", "cadence")
    search_fields = ("code", "name_fr", "name_en")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "kind", "unit", "template", "cadence")
    list_filter = ("kind", "cadence", "template")
    search_fields = ("code", "name_fr", "name_en")
    autocomplete_fields = ("unit", "member_units")


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("title", "room", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = ("version",)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("title", "room", "owner", "due", "status")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = ("version",)


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """Read-only: escalations change only through the loop (escalate, decide, acknowledge)."""

    list_display = ("title", "from_room", "to_room", "state", "decision", "sent_at")
    list_filter = ("state", "decision")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    list_display = ("text", "room", "given_at")


class ExperimentInline(admin.TabularInline):
    model = Experiment
    extra = 0


@admin.register(Kata)
class KataAdmin(admin.ModelAdmin):
    list_display = ("target_state", "room")
    inlines = [ExperimentInline]


@admin.register(DisplayToken)
class DisplayTokenAdmin(admin.ModelAdmin):
    """Links are made and revoked from the room's page (the token is shown once there)."""

    list_display = ("label", "room", "created_by", "created_at", "revoked_at", "last_used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
