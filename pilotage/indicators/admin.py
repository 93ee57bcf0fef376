from django.contrib import admin

from pilotage.indicators.models import (
    ImportBatch,
    Indicator,
    Priority,
    Rebase,
    Target,
    Value,
    ValueChange,
)


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ("code", "title_fr", "title_en", "unit", "order")
    search_fields = ("code", "title_fr", "title_en")
    autocomplete_fields = ("unit",)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "dimension", "kind", "direction", "frequency", "source")
    list_filter = ("dimension", "kind", "frequency", "source", "is_outcome", "hides_small_counts")
    search_fields = ("code", "name_fr", "name_en")
    autocomplete_fields = ("owner_unit", "priority")
    inlines = [TargetInline]


@admin.register(Rebase)
class RebaseAdmin(admin.ModelAdmin):
    list_display = ("indicator", "unit", "from_period", "decided_by", "decided_at")
    autocomplete_fields = ("indicator", "unit")


@admin.register(Value)
class ValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "unit", "period", "value", "source", "updated_by", "updated_at")
    list_filter = ("source", "indicator")
    date_hierarchy = "period"
    readonly_fields = ("updated_by", "updated_at", "batch")


@admin.register(ValueChange)
class ValueChangeAdmin(admin.ModelAdmin):
    list_display = ("value", "old_value", "new_value", "source", "changed_by", "changed_at")

    def has_change_permission(self, request, obj=None):  # the history is append-only
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("file_name", "imported_by", "imported_at", "rows", "created", "updated")
