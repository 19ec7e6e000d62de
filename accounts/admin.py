from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


@admin.register(User)
class OktodashUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Preferences", {"fields": ("time_zone",)}))
    list_display = ("username", "email", "is_staff", "time_zone")
