"""The local mirror of Oktopost and oktodash's own records. Pages read only these
tables; sync code writes the mirror (posts.mirror).

Every model is imported here: Django finds an app's models in `<app>.models`, and
callers keep importing them from `posts.models`.
"""

from posts.models.approvals import (
    APPROVALS_COUNT_CACHE_KEY,
    ApprovalItem,
    Workflow,
    WorkflowStep,
)
from posts.models.catalog import (
    TAG_CHOICES_CACHE_KEY,
    USER_NAMES_CACHE_KEY,
    CalendarNote,
    Campaign,
    MediaItem,
    MediaKind,
    Message,
    MessageTag,
    OktopostUser,
    Profile,
    Tag,
    media_kind_of,
    web_url,
)
from posts.models.followers import FollowerDay, FollowerRead, follower_profiles
from posts.models.links import PostLink
from posts.models.post import (
    NETWORKS,
    SENT_STATUSES,
    STATS_COVER,
    STUCK_AFTER,
    UNSENT_STATUSES,
    WAITING_STATUSES,
    Approval,
    Delivery,
    Post,
    Source,
    StatsSample,
    Status,
    SyncState,
)
from posts.models.records import Activity, BulkAction, SavedView, Submission, WriteLock

__all__ = [
    "APPROVALS_COUNT_CACHE_KEY",
    "NETWORKS",
    "SENT_STATUSES",
    "STATS_COVER",
    "STUCK_AFTER",
    "TAG_CHOICES_CACHE_KEY",
    "UNSENT_STATUSES",
    "USER_NAMES_CACHE_KEY",
    "WAITING_STATUSES",
    "Activity",
    "Approval",
    "ApprovalItem",
    "BulkAction",
    "CalendarNote",
    "Campaign",
    "Delivery",
    "FollowerDay",
    "FollowerRead",
    "MediaItem",
    "MediaKind",
    "Message",
    "MessageTag",
    "OktopostUser",
    "Post",
    "PostLink",
    "Profile",
    "SavedView",
    "Source",
    "StatsSample",
    "Status",
    "Submission",
    "SyncState",
    "Tag",
    "Workflow",
    "WorkflowStep",
    "WriteLock",
    "follower_profiles",
    "media_kind_of",
    "web_url",
]
