"""Alerts: what went wrong once (Alert), who was told (Notification, the bell), and each
grouped message sent by mail or webhook (Dispatch) with its attempts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    FAILED = "failed", "Post failed"
    PARTIAL = "partial", "Post partly failed"
    STUCK = "stuck", "Post stuck"
    APPROVAL = "approval", "Approval overdue or changes requested"
    INSTALLATION = "installation", "Installation problem"


class Kind(models.TextChoices):
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partly failed"
    STUCK = "stuck", "Stuck"
    APPROVAL_OVERDUE = "approval_overdue", "Approval overdue"
    APPROVAL_REJECTED = "approval_rejected", "Changes requested"
    BLOCKED = "blocked", "Oktopost blocked the key"
    SYNC_FAILING = "sync_failing", "Syncs failing"
    BUDGET_SPENT = "budget_spent", "Day's budget spent"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook disabled"


POST_KINDS = (Kind.FAILED, Kind.PARTIAL, Kind.STUCK)
# Alerts addressed to people (Alert.addressed), not chosen by their preferences.
APPROVAL_KINDS = (Kind.APPROVAL_OVERDUE, Kind.APPROVAL_REJECTED)


def event_of(kind: str) -> str:
    if kind in APPROVAL_KINDS:
        return Event.APPROVAL
    return kind if kind in POST_KINDS else Event.INSTALLATION


class Alert(models.Model):
    """One event, once: `key` ("failed:004…", "blocked:<until>") is unique, so a post
    fails, partly fails or gets stuck at most once each in alerts, ever."""

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    title = models.CharField(max_length=300)
    # Per-profile outcome lines ("LinkedIn · Acme: Token expired") and other details.
    lines = models.JSONField(default=list, blank=True)
    path = models.CharField(max_length=300)  # the page it links to (site-relative)
    post_oktopost_id = models.CharField(max_length=32, blank=True, db_index=True)
    campaign_id = models.CharField(max_length=32, blank=True)
    network = models.CharField(max_length=32, blank=True)
    created_by = models.CharField(max_length=32, blank=True)  # the post's Oktopost creator
    # Oktopost user ids (00A…) an approval alert is for: the step's approvers and the
    # creators. They get it whatever their preferences choose; the post's creator in
    # oktodash (the audit trail) too. Empty for every other alert.
    addressed = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def event(self) -> str:
        return event_of(self.kind)

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.path


class Notification(models.Model):
    """An alert in one user's bell."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_notifications"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "alert"], name="notification_user_alert")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read")]

    def __str__(self) -> str:
        return f"{self.alert} for {self.user}"


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "At once (many at once come as one message)"
    DAILY = "daily", "A daily summary"
    OFF = "off", "Only in the bell"


class Scope(models.TextChoices):
    MINE = "mine", "Posts I created"
    ALL = "all", "All posts"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday")]
WEEKDAYS += [(4, "Friday"), (5, "Saturday"), (6, "Sunday")]


class Preference(models.Model):
    """What one user wants to hear about, how, and when (alerts/defaults in services)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    events = models.JSONField(default=list)  # Event values
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.ALL)
    # "Posts I created": in oktodash (the audit trail) or in Oktopost as this user.
    oktopost_user_id = models.CharField(max_length=32, blank=True)
    campaigns = models.JSONField(default=list, blank=True)  # Oktopost ids; empty: all
    networks = models.JSONField(default=list, blank=True)  # empty: all
    email = models.EmailField(blank=True)  # empty: the account's address
    # Mail goes to `email` only once it is verified (alerts.selectors.mail_recipient):
    # its owner opened the link mailed to it (`email_confirmed` holds the address they
    # confirmed) and, outside ALERTS_MAIL_DOMAINS, an admin allowed it too.
    email_confirmed = models.EmailField(blank=True)
    email_allowed = models.EmailField(blank=True)
    email_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quiet_start = models.TimeField(null=True, blank=True)  # in the user's zone
    quiet_end = models.TimeField(null=True, blank=True)
    summary_hour = models.PositiveSmallIntegerField(default=8)  # daily summary, local
    digest_weekday = models.PositiveSmallIntegerField(null=True, blank=True, choices=WEEKDAYS)
    digest_hour = models.PositiveSmallIntegerField(default=8)
    last_summary_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"alerts of {self.user}"


class Webhook(models.Model):
    """A Slack-compatible incoming webhook (Teams and Mattermost take the same JSON).
    The URL is the secret: pages show only its host."""

    name = models.CharField(max_length=80)
    url = models.URLField(max_length=1000)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    client_errors = models.PositiveSmallIntegerField(default=0)  # 4xx answers in a row
    disabled_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or "?"


class Dispatch(models.Model):
    """One message (mail to one user, or one webhook post) listing one or more alerts,
    or a summary/digest; sent by a worker, retried with backoff up to a bound.

    Neither SMTP nor a webhook can say whether a message that got no answer arrived, so
    a try is tracked in steps (`step`): claimed, then handed over (the mail's data or
    the webhook's request went out), then answered. A try that ends between handing over
    and the answer, by a timeout or because its worker died, is "maybe sent"; such a
    message goes out once more at most (alerts/services/send.py)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        MAYBE = "maybe", "Maybe sent"
        FAILED = "failed", "Failed, kept"

    class Step(models.TextChoices):
        IDLE = "", "No try under way"
        TRYING = "trying", "Being tried, nothing handed over yet"
        HANDED = "handed", "Handed over, no answer yet"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.CASCADE)
    # alerts, summary, digest, confirm, report
    kind = models.CharField(max_length=10, default="alerts")
    # Only a "confirm" message and a report to an outside recipient name an address.
    # Every other message goes to the user's verified address, looked up when it is sent.
    to_address = models.EmailField(blank=True)
    alerts = models.ManyToManyField(Alert, blank=True, related_name="dispatches")
    subject = models.CharField(max_length=300)
    body = models.TextField()  # plain text; the webhook's "text"
    html = models.TextField(blank=True)
    # The same on every try: the webhook's Idempotency-Key (and "idempotency_key" in its
    # JSON), the mail's Message-ID. A receiver that keeps them can drop a second copy.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now, db_index=True)  # quiet hours, backoff
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)  # the sender holding the claim
    step = models.CharField(max_length=8, choices=Step.choices, default=Step.IDLE, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    maybe_sent = models.PositiveSmallIntegerField(default=0)  # tries that ended "maybe sent"
    last_error = models.CharField(max_length=500, blank=True)  # the reason shown, or a note
    sent_at = models.DateTimeField(null=True, blank=True)
    # A scheduled report: its recipient and the sending hour it is for. One message per
    # pair, ever (the constraint), whatever beat and the workers do.
    report_recipient = models.ForeignKey(
        "ReportRecipient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_slot = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["state", "due_at"], name="dispatch_state_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["report_recipient", "report_slot"],
                condition=models.Q(report_recipient__isnull=False),
                name="dispatch_report_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.subject} ({self.state})"


class Attempt(models.Model):
    """One try at sending a dispatch: sent, maybe sent (handed over, never confirmed), or
    failed with the reason (no secrets)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    maybe = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        outcome = "sent" if self.ok else ("maybe sent: " if self.maybe else "") + self.error
        return f"{self.at:%Y-%m-%d %H:%M}: {outcome}"


# --- Scheduled reports (issue 30) --------------------------------------------------------


class ReportSubscription(models.Model):
    """A stats scope (the stats page's filters, without a range) mailed to its recipients
    every week or month, at `hour` on `weekday` or `day` in each recipient's own zone.
    The range is the period just ended: the 7 days before the sending day, or the
    calendar month before it."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    name = models.CharField(max_length=120)
    # The filters in canonical form (reports' own parser), parsed again before each send:
    # a filter that no longer parses (a campaign gone) stops the report, never widens it.
    query = models.CharField(max_length=2000, blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(default=0, choices=WEEKDAYS)
    day = models.PositiveSmallIntegerField(default=1)  # of the month, 1-28
    hour = models.PositiveSmallIntegerField(default=8)
    # The zone of recipients without an account; users get it in their own zone.
    time_zone = models.CharField(max_length=64, default="UTC")
    paused = models.BooleanField(default=False)
    problem = models.CharField(max_length=300, blank=True)  # why the last send was skipped
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ReportRecipient(models.Model):
    """One recipient of a report: a user, or an address outside the accounts. `next_at`
    is the next local sending hour in the recipient's zone, stored in UTC; beat picks
    the due ones, and moving it on is the claim (a conditional UPDATE)."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="recipients"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_receipts",
    )
    address = models.EmailField(blank=True)
    next_at = models.DateTimeField(db_index=True)
    last_slot_at = models.DateTimeField(null=True, blank=True)  # the send last made
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "user"],
                condition=models.Q(user__isnull=False),
                name="report_recipient_user",
            ),
            models.UniqueConstraint(
                fields=["subscription", "address"],
                condition=~models.Q(address=""),
                name="report_recipient_address",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True, address__gt="")
                | models.Q(user__isnull=False, address=""),
                name="report_recipient_user_or_address",
            ),
        ]

    def __str__(self) -> str:
        return self.address or str(self.user)


class ReportPolicy(models.Model):
    """The admins' setting: may reports go to addresses outside ALERTS_MAIL_DOMAINS that
    belong to no account? One row (id 1); no row means no."""

    outside_allowed = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "outside addresses allowed" if self.outside_allowed else "outside addresses refused"


class DispatchFile(models.Model):
    """A file a mail carries: the chart image shown inline (`content_id`), the PDF."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    content_id = models.CharField(max_length=120, blank=True)
    data = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
