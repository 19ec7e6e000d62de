"""Every write and every orchestration step: the only place that changes Oktopost.

Views call these; they never call Oktopost, the sync or the tasks themselves. Writes go
to Oktopost first, then to the mirror (posts.mirror) and the audit trail in one
transaction; background work is enqueued with transaction.on_commit.
"""

from core.services import ServiceError
from posts.services.bulk import bulk_request, bulk_run, bulk_start
from posts.services.common import BeingChecked, ChangedMeanwhile
from posts.services.create import message_create, post_compose, post_create
from posts.services.posts import (
    post_cancel,
    post_profiles_change,
    post_reschedule,
    post_stats_refresh_now,
    post_update,
)
from posts.services.saved_views import saved_view_create, saved_view_delete

__all__ = [
    "BeingChecked",
    "ChangedMeanwhile",
    "ServiceError",
    "bulk_request",
    "bulk_run",
    "bulk_start",
    "message_create",
    "post_cancel",
    "post_compose",
    "post_create",
    "post_profiles_change",
    "post_reschedule",
    "post_stats_refresh_now",
    "post_update",
    "saved_view_create",
    "saved_view_delete",
]
