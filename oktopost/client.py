"""HTTP client for the Oktopost REST API v2 (the subset oktodash uses): one method per
endpoint, answers parsed into ``oktopost.types``.

The calls live by resource in ``oktopost.calls`` (and ``oktopost.webhooks``), each a mixin
over the transport; this class puts them together. Base URLs, Basic auth, the envelope,
error mapping, retries (see the policy there) and the shared rate budget live in the
transport underneath (``oktopost.transport``). It knows nothing about Django or the
database.
"""

from __future__ import annotations

from oktopost.calls.analytics import AnalyticsCalls
from oktopost.calls.calendar import CalendarCalls
from oktopost.calls.catalog import CatalogCalls
from oktopost.calls.media import MediaCalls
from oktopost.calls.messages import MessageCalls
from oktopost.calls.posts import PostCalls
from oktopost.calls.workflows import WorkflowCalls
from oktopost.transport import Transport
from oktopost.webhooks import WebhookCalls


class OktopostClient(
    PostCalls,
    MessageCalls,
    MediaCalls,
    CatalogCalls,
    CalendarCalls,
    AnalyticsCalls,
    WorkflowCalls,
    WebhookCalls,
    Transport,
):
    """The endpoints oktodash uses, over the transport (auth, retries, the rate budget)."""
