from django.contrib import admin

from pilotage.projects.models import (
    Milestone,
    Project,
    ProjectIndicator,
    SheetComment,
    SheetDecision,
    StatusChange,
    StatusSheet,
)


class ProjectIndicatorInline(admin.TabularInline):
    model = ProjectIndicator
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "room", "owner", "theme", "horizon", "approach", "is_active"]
    list_filter = ["theme", "horizon", "approach", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]
    inlines = [ProjectIndicatorInline, MilestoneInline]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    readonly_fields = ["dimension", "old", "new", "changed_by", "changed_at"]


class SheetDecisionInline(admin.TabularInline):
    model = SheetDecision
    extra = 0


@admin.register(StatusSheet)
class StatusSheetAdmin(admin.ModelAdmin):
    list_display = ["project", "period_end", "overall", "owner", "presenter", "published_at"]
    list_filter = ["overall"]
    filter_horizontal = ["next_steps", "blockers"]
    inlines = [StatusChangeInline, SheetDecisionInline]


admin.site.register(SheetComment)
