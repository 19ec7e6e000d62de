"""Forms of fixing what failed and changing what is scheduled: retry the failed profiles,
edit an unsent post's text, link card and media (docs/ARCHITECTURE.md, "Fixing what
failed"). They only validate; posts.services.retry and posts.services.edit act."""

import secrets
from datetime import tzinfo

from django import forms
from django.core.validators import URLValidator

from posts.forms import STALE_PAGE, WhenMixin
from posts.networks import NETWORK_LIMITS, characters_used


class RetryForm(WhenMixin, forms.Form):
    # "now": Oktopost's own default, a minute after it receives the post.
    at = forms.ChoiceField(
        choices=[("now", "Now (in a minute)"), ("later", "At a time I pick")],
        widget=forms.RadioSelect,
        initial="now",
    )
    when = forms.CharField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    submit_key = forms.CharField(
        max_length=40,
        widget=forms.HiddenInput,
        error_messages={"required": "This form is missing its one-time key; reload the page."},
    )

    def __init__(self, *args, zone: tzinfo, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("submit_key", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict:
        data = super().clean()
        data["start_at"] = None
        if data.get("at") == "later":
            if not data.get("when"):
                self.add_error("when", "Pick the time to send it, or choose “Now”.")
            else:
                try:
                    data["start_at"] = self.clean_when_value(data["when"])
                except forms.ValidationError as exc:
                    self.add_error("when", exc)
        return data


class EditForm(forms.Form):
    """An unsent post's message: its text, link card and media (Oktopost's
    UpdateMessageParams), and which posts the change is for."""

    SCOPES = [
        ("post", "This post only (a new message; the other posts keep the current one)"),
        ("all", "Every unsent post of this message"),
    ]
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    link_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")
    link_title = forms.CharField(required=False, max_length=500, label="Link title")
    description = forms.CharField(
        required=False,
        max_length=1000,
        label="Link description",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    image_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        label="Link image address",
        validators=[URLValidator(schemes=["https"])],
    )
    media = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    scope = forms.ChoiceField(choices=SCOPES, widget=forms.RadioSelect, required=False)
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)

    def __init__(
        self, *args, network: str, media_choices: list[tuple[str, str]], shared: bool, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        self.shared = shared
        self.fields["media"].choices = media_choices
        self.fields["scope"].required = shared

    def clean(self) -> dict:
        data = super().clean()
        text, link = data.get("text", ""), data.get("link_url", "")
        limit = NETWORK_LIMITS.get(self.network)
        if text and limit:
            used = characters_used(text, self.network, link)
            if used > limit:
                self.add_error(
                    "text",
                    f"The text is too long for {self.network}: {used:,} of {limit:,} characters.",
                )
        if self.network == "Instagram" and link:
            self.add_error("link_url", "Instagram posts cannot carry a link.")
        if not self.shared:
            data["scope"] = "post"
        return data
