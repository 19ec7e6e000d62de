"""Writes and orchestration for alerts: detection and fan-out (detect), composing
messages (compose), sending with retries (send), summaries and digests (digest),
preferences and webhooks (preferences)."""
