"""The alert settings page's forms: they only validate."""

from urllib.parse import urlsplit
from zoneinfo import available_timezones

from django import forms
from django.core.validators import validate_email

from accounts.models import User
from alerts.models import WEEKDAYS, Event, Mode, Preference, ReportSubscription, Scope
from alerts.webhooks import webhook_policy
from core import outbound
from posts.models import NETWORKS, SavedView

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


class PreferenceForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    mode = forms.ChoiceField(choices=Mode.choices, widget=forms.RadioSelect, label="Email")
    scope = forms.ChoiceField(choices=Scope.choices, widget=forms.RadioSelect, label="Posts")
    campaigns = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    networks = forms.MultipleChoiceField(
        choices=[(n, n) for n in NETWORKS], required=False, widget=forms.CheckboxSelectMultiple
    )
    summary_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, label="Daily summary at")
    digest_weekday = forms.TypedChoiceField(
        choices=[("", "No weekly digest"), *WEEKDAYS],
        coerce=int,
        empty_value=None,
        required=False,
        label="Weekly digest on",
    )
    digest_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, label="at")

    class Meta:
        model = Preference
        fields = [
            "events",
            "mode",
            "scope",
            "oktopost_user_id",
            "campaigns",
            "networks",
            "email",
            "quiet_start",
            "quiet_end",
            "summary_hour",
            "digest_weekday",
            "digest_hour",
        ]
        labels = {
            "oktopost_user_id": "Your Oktopost user id (00A…)",
            "email": "Send mail to",
            "quiet_start": "Quiet from",
            "quiet_end": "until",
        }
        help_texts = {
            "email": (
                "Empty: your account's address. Another address gets a link to confirm it "
                "first; one outside your organisation also needs an admin's approval."
            ),
            "oktopost_user_id": "With it, “Posts I created” includes posts you made in Oktopost.",
        }
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: object, campaigns: list[tuple[str, str]] = (), **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["campaigns"].choices = list(campaigns)
        self.fields["campaigns"].help_text = "None chosen: every campaign."
        self.fields["email"].error_messages["invalid"] = (
            "That is not an email address we can send to (like name@example.com)."
        )

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            raise forms.ValidationError("Quiet hours need both a start and an end.")
        return data


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=80)
    url = forms.URLField(
        max_length=1000,
        label="Incoming webhook URL",
        help_text="Slack, Microsoft Teams or Mattermost. Kept secret: pages show only its host.",
        widget=forms.PasswordInput(render_value=False),
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Event.FAILED, Event.PARTIAL, Event.STUCK, Event.INSTALLATION],
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise forms.ValidationError("The webhook URL must start with https:// (or http://).")
        # Addresses only; a name is resolved (and checked again) when the message is sent.
        try:
            outbound.check_url(url, webhook_policy())
        except outbound.Refused as exc:
            raise forms.ValidationError(
                f"{exc} Ask whoever runs oktodash to add the host to WEBHOOK_ALLOW_HOSTS "
                "if it really is an internal chat server."
            ) from None
        return url


class ReportForm(forms.Form):
    """A new scheduled report. Who may see what is the service's to decide; the saved
    views offered are only those the user can see."""

    name = forms.CharField(max_length=120, label="Name", help_text="The mail's subject.")
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    saved_view = forms.ModelChoiceField(
        queryset=SavedView.objects.none(),
        required=False,
        label="Or a saved view",
        empty_label="No: the filters above",
    )
    frequency = forms.ChoiceField(
        choices=ReportSubscription.Frequency.choices,
        widget=forms.RadioSelect,
        initial=ReportSubscription.Frequency.WEEKLY,
        label="How often",
    )
    weekday = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, initial=0, label="Weekly on", required=False
    )
    day = forms.TypedChoiceField(
        choices=[(d, str(d)) for d in range(1, 29)],
        coerce=int,
        initial=1,
        label="Monthly on day",
        required=False,
    )
    hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8, label="At")
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="People with an account",
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Each gets it at that hour in their own time zone.",
    )
    addresses = forms.CharField(
        required=False,
        label="Other addresses",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line. Each mail carries a link to stop it.",
    )
    time_zone = forms.ChoiceField(choices=[], label="Their time zone")

    def __init__(
        self,
        *args: object,
        views: list[SavedView] = (),
        users: list[User] = (),
        zone: str = "UTC",
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)
        self.fields["saved_view"].queryset = SavedView.objects.filter(id__in=[v.id for v in views])
        self.fields["saved_view"].label_from_instance = lambda v: v.name
        self.fields["users"].queryset = User.objects.filter(id__in=[u.id for u in users])
        self.fields["users"].label_from_instance = lambda u: u.get_username()
        self.fields["time_zone"].choices = [(z, z) for z in sorted(available_timezones())]
        self.fields["time_zone"].initial = zone

    def clean_addresses(self) -> list[str]:
        raw = self.cleaned_data.get("addresses") or ""
        found = [a.strip() for a in raw.replace(",", "\n").splitlines() if a.strip()]
        bad = []
        for address in found:
            try:
                validate_email(address)
            except forms.ValidationError:
                bad.append(address[:80])
        if bad:
            raise forms.ValidationError(
                f"Not an address we can send to: {', '.join(bad)} (like name@example.com)."
            )
        return found
