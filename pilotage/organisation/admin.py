from django.contrib import admin

from pilotage.organisation.models import (
    AccessGrant,
    AuditEntry,
    Employer,
    Membership,
    Person,
    Unit,
)


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "name_en", "kind")
    search_fields = ("code", "name_fr", "name_en")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("person",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "name_en", "level", "parent", "is_active")
    list_filter = ("level", "is_active", "employer")
    search_fields = ("code", "name_fr", "name_en")
    autocomplete_fields = ("parent",)
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "employer", "job_title_fr", "user")
    list_filter = ("employer",)
    search_fields = ("family_name", "given_name", "email")
    autocomplete_fields = ("user",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "unit", "role", "start", "end")
    list_filter = ("role",)
    autocomplete_fields = ("person", "unit")


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "reason", "start", "end", "granted_by")
    autocomplete_fields = ("user", "unit")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "object_type", "object_id", "unit")
    list_filter = ("action", "object_type")
    date_hierarchy = "at"

    def has_add_permission(self, request):  # append-only: written by the application
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
