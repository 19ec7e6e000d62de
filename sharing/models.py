"""Read-only share links: a view of the stats or the queue for someone without an account."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import EDITOR, VIEWER
from core.roles import ALSO_ALLOWED


class ShareLink(models.Model):
    """Only the token's SHA-256 is stored: the database alone cannot open a link.

    The scope (`page` and its `query`) is fixed at creation; the share page parses it
    and takes nothing but display choices from the visitor's URL."""

    class Page(models.TextChoices):
        STATS = "stats", "Stats"
        QUEUE = "queue", "Queue"

    class MadeAs(models.TextChoices):
        """The role that allowed the link: it lives only while its creator holds it."""

        EDITOR = EDITOR, "An editor, on a page or the share page"
        # A viewer's or approver's own link ("Share this view"), or the weekly digest's.
        VIEWER = VIEWER, "Anyone with a role, on a page or in the weekly digest"
        OPERATOR = "operator", "An operator, with manage.py share_link"

    token_hash = models.CharField(max_length=64, unique=True)
    page = models.CharField(max_length=8, choices=Page.choices)
    query = models.CharField(max_length=2000, blank=True)
    label = models.CharField(max_length=120)
    # Times on the share page are in the zone of whoever made the link.
    time_zone = models.CharField(max_length=64, default="UTC")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_as = models.CharField(max_length=8, choices=MadeAs.choices, default=MadeAs.EDITOR)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def creator_allows(self) -> bool:
        """The link's creator still has an active account and the role that made it (an
        editor's link dies with the editor role, a digest's with every role). A link of
        the command has no creator: only revoking or expiry ends it."""
        if self.made_as == self.MadeAs.OPERATOR:
            return True
        user = self.created_by
        if user is None or not user.is_active:
            return False
        return any(user.has_role(r) for r in (self.made_as, *ALSO_ALLOWED.get(self.made_as, ())))

    def is_active(self, now=None) -> bool:
        return not self.is_revoked and not self.is_expired(now) and self.creator_allows

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active" if self.creator_allows else "stopped"


class SharingPolicy(models.Model):
    """The site's one row of sharing settings, changed by admins on /share/.

    Read through `selectors.sharing_policy`, which makes the row on first use."""

    viewers_may_share = models.BooleanField(
        default=True,
        help_text="Viewers and approvers may make share links of what they can see.",
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "sharing policy"
        verbose_name_plural = "sharing policy"

    def __str__(self) -> str:
        return "Viewers may share" if self.viewers_may_share else "Only editors may share"
