"""The mirror in Django's admin: for looking things up, never for editing.

Mirror rows are written only through posts/mirror/ from Oktopost's answers; an edit
here would be overwritten at the next sync and never reach Oktopost, so the mirror's
admins are read-only. PostAdmin is also the yardstick of `python -m bench.queue`: it is
configured as a Django engineer would for this table (filters, search, a select_related
for the campaign column), so the queue is compared with a fair changelist.
"""

from django.contrib import admin
from django.http import HttpRequest

from posts.models import Campaign, Message, Post, Profile, SavedView


class MirrorAdmin(admin.ModelAdmin):
    """View-only: superusers and staff with the view permission can look, nobody writes."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(MirrorAdmin):
    list_display = (
        "oktopost_id",
        "start_at",
        "status",
        "network",
        "campaign",
        "source",
        "clicks",
        "likes",
    )
    list_filter = ("status", "network", "campaign", "source")
    search_fields = ("message__text",)
    ordering = ("-start_at",)
    # The campaign column shows the campaign's name: one join instead of a query per row.
    list_select_related = ("campaign",)
    list_per_page = 50


@admin.register(Campaign)
class CampaignAdmin(MirrorAdmin):
    list_display = ("name", "oktopost_id", "status", "modified")
    list_filter = ("status",)
    search_fields = ("name", "oktopost_id")


@admin.register(Profile)
class ProfileAdmin(MirrorAdmin):
    list_display = ("label", "network", "network_username", "status", "oktopost_id")
    list_filter = ("network", "status")
    search_fields = ("name", "display_name", "network_username")


@admin.register(Message)
class MessageAdmin(MirrorAdmin):
    list_display = ("oktopost_id", "network", "campaign", "__str__", "modified")
    list_filter = ("network",)
    search_fields = ("text", "oktopost_id")
    list_select_related = ("campaign",)
    list_per_page = 50


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    # Saved views are our own data, not Oktopost's: editable here.
    list_display = ("name", "owner", "shared", "created")
    list_filter = ("shared",)
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
