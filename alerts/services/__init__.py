"""Writes and orchestration for alerts: detection and fan-out (detect), composing
messages (compose), claiming and retrying dispatches (send) over the mail and webhook
channels (channels), summaries and digests (digest), preferences and webhooks
(preferences)."""
