"""Celery beat's schedule: what runs when, on every deployment.

Exactly one beat runs it (Procfile, docker-compose); settings.py reads it as
CELERY_BEAT_SCHEDULE. `expires` drops ticks that a busy worker could not start in time
instead of letting them pile up.
"""

from oktodash.conf.env import env_int

SCHEDULE = {
    "sync-posts": {
        "task": "posts.tasks.sync_posts",
        "schedule": env_int("SYNC_EVERY_SECONDS", 120, minimum=10),
        "options": {"expires": 110},
    },
    # Counter walks and the full reconcile run when the day's plan says they are due
    # (posts/plan.py): the counters tick walks a few pages a minute, the reconcile runs
    # in slices after incremental passes. The plan itself is recomputed every 5 minutes.
    "counters-tick": {
        "task": "posts.tasks.counters_tick",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "plan-refresh": {
        "task": "posts.tasks.plan_refresh",
        "schedule": 300,
        "options": {"expires": 290},
    },
    # Paced by the limiter: each run takes what the pace allows for up to 50 s.
    "refresh-stats": {
        "task": "posts.tasks.refresh_stats",
        "schedule": 60,
        "kwargs": {"limit": 50},
        "options": {"expires": 55},
    },
    # Follower history (posts/sync/followers.py): one call per connected profile per
    # UTC day, which the day's plan counts; asked hourly so a day missed (budget spent,
    # worker down) is caught up within the hour, while a profile read today costs nothing.
    "followers-sync": {
        "task": "posts.tasks.followers_sync",
        "schedule": 3600,
        "options": {"expires": 3000},
    },
    # The database's own planner statistics (posts/maintenance.py), where they went stale.
    # Attached files (attachments/): bytes Oktopost has had for a week, or never took in
    # a month, and thumbnails not fetched again for a month.
    "attachments-prune": {
        "task": "attachments.tasks.attachments_prune",
        "schedule": 86_400,
        "options": {"expires": 3600},
    },
    "refresh-planner-stats": {
        "task": "posts.tasks.refresh_planner_stats",
        "schedule": 3600,
        "options": {"expires": 3000},
    },
    # The stats page's hourly rollup (reports/rollup.py): recompute the hours that the
    # sync, the stats refresh and deletions made dirty. The page is exact without it
    # (dirty hours are read from the posts); it is only faster once this has run.
    "stats-rollup-refresh": {
        "task": "reports.tasks.stats_rollup_refresh",
        "schedule": 30,
        "options": {"expires": 25},
    },
    # Alerts (alerts/): what the mirror shows failed or stuck since the last look, then
    # mail and webhooks that are due (new, retried with backoff, or after quiet hours);
    # daily summaries and weekly digests at each user's hour in their zone.
    "alerts-detect": {
        "task": "alerts.tasks.alerts_detect",
        "schedule": env_int("ALERTS_DETECT_EVERY_SECONDS", 60, minimum=10),
        "options": {"expires": 55},
    },
    "alerts-send-due": {
        "task": "alerts.tasks.dispatches_send_due",
        "schedule": 60,
        "options": {"expires": 55},
    },
    # Webhook events stored but not yet applied (queue down, worker down, a crash).
    "webhook-events-sweep": {
        "task": "inbox.tasks.events_sweep",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "alerts-summaries": {
        "task": "alerts.tasks.summaries_send",
        "schedule": 300,
        "options": {"expires": 290},
    },
    # Scheduled reports (alerts/services/reports.py): each recipient whose local hour
    # has come gets one message; moving its next hour on is the claim.
    "alerts-reports": {
        "task": "alerts.tasks.reports_send_due",
        "schedule": 60,
        "options": {"expires": 55},
    },
}
