from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from pilotage.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Preferences and single sign-on"), {"fields": ("language", "external_id")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "language", "is_staff")
