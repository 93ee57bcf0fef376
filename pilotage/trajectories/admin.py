from django.contrib import admin

from pilotage.trajectories.models import (
    ActivityMapping,
    EventImport,
    Step,
    Trajectory,
    TrajectoryTeam,
)


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


class TeamInline(admin.TabularInline):
    model = TrajectoryTeam
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(Trajectory)
class TrajectoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "unit", "evaluation_target_days")
    search_fields = ("code", "name_fr", "name_en")
    autocomplete_fields = ("unit",)
    inlines = [StepInline, TeamInline]


class ActivityInline(admin.TabularInline):
    model = ActivityMapping
    extra = 0


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ("trajectory", "order", "code", "name_fr", "repeatable")
    list_filter = ("trajectory",)
    inlines = [ActivityInline]


@admin.register(EventImport)
class EventImportAdmin(admin.ModelAdmin):
    """Read-only: batches are imported and withdrawn from the trajectory's import page."""

    list_display = ("file_name", "trajectory", "status", "n_events", "n_cases", "created_at")
    list_filter = ("status", "trajectory")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
