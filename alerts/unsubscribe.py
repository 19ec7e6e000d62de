"""The unsubscribe link in a report mailed to an address outside the accounts: signed
(django.core.signing), without expiry, since an old mail's link must still work. It
names the recipient row and its address, so it stops nothing else."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from alerts.models import ReportRecipient

SALT = "alerts.report-unsubscribe"


def unsubscribe_token(recipient: ReportRecipient) -> str:
    return signing.dumps({"r": recipient.id, "a": recipient.address}, salt=SALT)


def unsubscribe_url(recipient: ReportRecipient) -> str:
    return settings.SITE_URL + reverse("alerts:unsubscribe", args=[unsubscribe_token(recipient)])


def recipient_of_token(token: str) -> ReportRecipient | None:
    """The recipient a link names, or None when it was not made here or is gone."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    return (
        ReportRecipient.objects.select_related("subscription")
        .filter(id=data["r"], address=str(data.get("a", "")), user__isnull=True)
        .exclude(address="")
        .first()
    )
