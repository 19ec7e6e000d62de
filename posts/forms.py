import secrets
from datetime import date, datetime, tzinfo
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone

from accounts.models import User
from core.localtime import FURTHEST_AHEAD, BadLocalTime, local_to_utc, parse_local, within_reach
from oktopost.types import FirstCommentInput
from posts import attached_media, media_rules
from posts.models import (
    NETWORKS,
    BulkAction,
    Campaign,
    Message,
    Post,
    Profile,
    SavedView,
    Submission,
    Workflow,
)
from posts.networks import CREATE_STATUSES, NETWORK_LIMITS, YOUTUBE_TITLE_LIMIT, characters_used
from posts.selectors import media_items


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    shared = forms.BooleanField(required=False, label="Share with the team")

    def __init__(self, *args, owner: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        if SavedView.objects.filter(owner=self.owner, name=name).exists():
            raise forms.ValidationError(f"You already have a view called “{name}”.")
        return name

    def clean_query(self) -> str:
        # Only a query string is kept (never a URL elsewhere), without the page cursor.
        pairs = [(k, v) for k, v in parse_qsl(self.cleaned_data["query"]) if k != "cursor"]
        query = urlencode(pairs)
        if len(query) > 2000:
            raise forms.ValidationError("This view's filters are too long to save.")
        return query


# --- creating and changing posts -----------------------------------------------------


# A hidden field the page filled in; without it the conflict check cannot run, so every
# change form requires it.
STALE_PAGE = {
    "invalid": "This page's copy of the post could not be read; reload the page and try again.",
    "required": "This page did not say which version of the post it showed; reload the page "
    "and try again.",
}


class WhenMixin:
    """The time field, read in the editor's zone and turned into UTC (DST-safe)."""

    zone: tzinfo

    def clean_when_value(self, value: str, *, allow_past: bool = False) -> datetime:
        try:
            naive = parse_local(value)
            if naive.tzinfo is not None:
                raise BadLocalTime("Give a local time without a zone.")
            moment = local_to_utc(naive, self.zone)
            within_reach(moment, now=timezone.now())
        except BadLocalTime as exc:
            raise forms.ValidationError(str(exc)) from None
        if not allow_past and moment < timezone.now():
            raise forms.ValidationError(
                f"That time is in the past ({naive:%d %b %Y %H:%M} {self.zone})."
            )
        return moment


class PostCreateForm(WhenMixin, forms.Form):
    source = forms.ChoiceField(
        choices=[("new", "Write a new message"), ("existing", "Use an existing message")],
        widget=forms.RadioSelect,
        initial="new",
    )
    message = forms.CharField(required=False, max_length=32)
    network = forms.ChoiceField(choices=[("", "—"), *((n, n) for n in NETWORKS)], required=False)
    campaign = forms.ChoiceField(required=False)
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    link_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")
    title = forms.CharField(required=False, max_length=YOUTUBE_TITLE_LIMIT, label="Video title")
    # The link card networks draw for link_url: Oktopost's linkTitle, description, imageUrl.
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
        error_messages={"invalid": "Give the image's full https:// address."},
    )
    profiles = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one profile to post to."},
    )
    when = forms.CharField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    asap = forms.BooleanField(required=False, label="As soon as possible")
    status = forms.ChoiceField(choices=list(CREATE_STATUSES.items()), initial="pending")
    # "Send for approval": the post waits in this workflow until its last step approves.
    workflow = forms.ChoiceField(required=False, label="Approval")
    # A new key each time the form is shown: the same key again is the same submission.
    submit_key = forms.CharField(
        max_length=64,
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is missing its one-time key; reload the page and try again."
        },
    )
    confirm_duplicate = forms.BooleanField(required=False, label="Create it anyway")
    # Media: Oktopost media ids (026…) ready to attach, and our own files Oktopost is
    # still processing (attachments.LocalFile keys; checked again when the form is sent).
    media = forms.MultipleChoiceField(required=False)
    upload = forms.MultipleChoiceField(required=False)
    first_comment_text = forms.CharField(
        required=False,
        max_length=media_rules.FIRST_COMMENT_LIMIT,
        label="First comment",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    first_comment_media = forms.CharField(required=False, max_length=32, label="Comment image")

    def __init__(self, *args, zone: tzinfo, user, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("submit_key", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.user = user  # whose uploads the form may attach
        self.identical: Post | None = None
        self.fields["campaign"].choices = [
            ("", "—"),
            *list(Campaign.objects.order_by("name").values_list("oktopost_id", "name")),
        ]
        # The account's default workflow first (Workflow.Meta.ordering).
        self.fields["workflow"].choices = [
            ("", "Schedule directly, no approval"),
            *((w.oktopost_id, f"Send for approval: {w.name}") for w in Workflow.objects.all()),
        ]
        self.profile_rows = list(Profile.objects.order_by("network", "name"))
        self.fields["profiles"].choices = [
            (p.oktopost_id, f"{p.network}: {p.label}") for p in self.profile_rows
        ]
        self.message_obj: Message | None = None
        # Any posted value is a choice here; clean() checks each against what we know.
        posted = self.data if self.is_bound else {}
        for name in ("media", "upload"):
            values = posted.getlist(name) if hasattr(posted, "getlist") else []
            self.fields[name].choices = [(v, v) for v in values[:50]]
        self.media_verdict: media_rules.Verdict | None = None

    def service_kwargs(self) -> dict[str, object]:
        """The valid form as posts.services.post_compose takes it (all but the user)."""
        data = self.cleaned_data
        return {
            "submit_key": data["submit_key"],
            "message": self.message_obj,
            "profile_ids": data["profiles"],
            "start_at": data["start_at"],
            "status": data["status"],
            "network": data["network"],
            "campaign_id": data["campaign"],
            "text": data["text"],
            "link_url": data["link_url"],
            "link_title": data["link_title"],
            "description": data["description"],
            "image_url": data["image_url"],
            "title": data["title"],
            "media_ids": data["media"],
            "upload_keys": data["upload"],
            "first_comment": first_comment_of(data),
            "workflow_id": data.get("workflow") or "",
        }

    def clean_media(self) -> list[str]:
        ids = list(dict.fromkeys(self.cleaned_data["media"]))
        known = {m.id for m in attached_media.preview_media(ids)}
        if set(ids) - known:
            raise forms.ValidationError(
                "One of the attached media is not known here; attach it again."
            )
        return ids

    def clean_upload(self) -> list[str]:
        """Keys of the editor's own files (attachments.LocalFile.key): another editor's
        file is refused as if it did not exist, here and again when the post is made
        (attachments.services.uploads_resolve)."""
        keys = list(dict.fromkeys(self.cleaned_data["upload"]))
        if len(attached_media.files_of(keys, user=self.user)) != len(keys):
            raise forms.ValidationError(
                "One of the attached files is no longer here; attach it again."
            )
        return keys

    def clean_first_comment_media(self) -> str:
        media_id = self.cleaned_data["first_comment_media"].strip()
        if not media_id:
            return ""
        found = attached_media.preview_media([media_id])
        if not found or found[0].kind != "image":
            raise forms.ValidationError("The first comment's picture must be an attached image.")
        return media_id

    def clean_when(self) -> str:
        return self.cleaned_data.get("when", "").strip()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("source") == "existing":
            self._clean_existing(data)
        else:
            if not data.get("network"):
                data["network"] = self._profiles_network(data)
            self._clean_new(data)
        self._clean_profiles(data)
        self._clean_time(data)
        self._clean_media(data)
        self._clean_first_comment(data)
        if not self.errors:
            self._clean_identical(data)
        return data

    def _clean_identical(self, data: dict) -> None:
        """The same message to the same profiles at the same time is almost always a
        mistake (a second tab, a resubmit): ask before making it twice."""
        if data.get("start_at") is None or data.get("confirm_duplicate"):
            return
        if Submission.objects.filter(key=data.get("submit_key", "")).exists():
            return  # this very form again (a double click): the service answers with its post
        same = Post.objects.filter(
            start_at=data["start_at"], network=data["network"], deleted_at__isnull=True
        )
        if self.message_obj is not None:
            same = same.filter(message_id=self.message_obj.oktopost_id)
        else:
            same = same.filter(message__text=data["text"])
        wanted = set(data.get("profiles") or [])
        self.identical = next((p for p in same[:50] if set(p.credential_ids) == wanted), None)
        if self.identical is not None:
            self.add_error(
                "confirm_duplicate",
                f"The {self.identical.name} already sends this message to these profiles "
                "at this time. Tick “Create it anyway” to make a second one.",
            )

    def _clean_media(self, data: dict) -> None:
        """The network's limits, before anything is sent to Oktopost."""
        media_ids, upload_keys = data.get("media") or [], data.get("upload") or []
        network = data.get("network")
        if data.get("source") == "existing":
            if media_ids or upload_keys:
                self.add_error(
                    "media",
                    "Media go with a new message; an existing message keeps its own media.",
                )
            return
        if not network or "media" in self.errors or "upload" in self.errors:
            return
        self.media_verdict = media_rules.check(
            network, media_items(media_ids, upload_keys, user=self.user)
        )
        for error in self.media_verdict.errors:
            self.add_error("media", error)

    def _clean_first_comment(self, data: dict) -> None:
        text = data.get("first_comment_text", "").strip()
        data["first_comment_text"] = text
        if not text and not data.get("first_comment_media"):
            return
        known = {p.oktopost_id: p for p in self.profile_rows}
        chosen = [known[pid] for pid in data.get("profiles") or [] if pid in known]
        if not any(p.network == "LinkedIn" for p in chosen):
            self.add_error(
                "first_comment_text",
                "A first comment can only go with a LinkedIn profile: pick one, or clear the "
                "comment.",
            )
        elif not text:
            self.add_error("first_comment_text", "Write the comment's text to go with its picture.")

    def _clean_existing(self, data: dict) -> None:
        message_id = data.get("message", "").strip()
        self.message_obj = Message.objects.filter(oktopost_id=message_id).first()
        if self.message_obj is None:
            self.add_error("message", "Pick one of the existing messages.")
            return
        data["network"] = self.message_obj.network

    def _clean_new(self, data: dict) -> None:
        network, text = data.get("network"), data.get("text", "").strip()
        data["text"] = text
        if not network:
            networks = self._profiles_network(data, every=True)
            self.add_error(
                "network",
                f"The ticked profiles are on {' and '.join(networks)}; a message is for one "
                "network: pick it, and tick only its profiles."
                if networks
                else "Pick the network this message is for, or tick a profile.",
            )
        if not data.get("campaign"):
            self.add_error(
                "campaign",
                "Pick a campaign: Oktopost files every message under one, and the stats "
                "group posts by it.",
            )
        if not text:
            self.add_error("text", "Write the message text.")
        elif network in NETWORK_LIMITS:
            used = characters_used(text, network, data.get("link_url", ""))
            if used > NETWORK_LIMITS[network]:
                self.add_error(
                    "text",
                    f"Too long for {network}: {used} characters, the limit is "
                    f"{NETWORK_LIMITS[network]}.",
                )
        if network == "YouTube" and not data.get("title", "").strip():
            self.add_error("title", "YouTube posts need a video title.")
        card = [name for name in ("link_title", "description", "image_url") if data.get(name)]
        if card and not data.get("link_url"):
            self.add_error(card[0], "A link card needs the link's address (Link URL) too.")

    def _profiles_network(self, data: dict, *, every: bool = False):
        """The network of the ticked profiles when they share one ("" otherwise); with
        `every`, all their networks, sorted."""
        known = {p.oktopost_id: p.network for p in self.profile_rows}
        networks = sorted({known[pid] for pid in data.get("profiles") or [] if pid in known})
        if every:
            return networks
        return networks[0] if len(networks) == 1 else ""

    def _clean_profiles(self, data: dict) -> None:
        chosen = data.get("profiles") or []
        known = {p.oktopost_id: p for p in self.profile_rows}
        network = data.get("network")
        for pid in chosen:
            profile = known.get(pid)
            if profile is None:
                self.add_error("profiles", "One of the profiles is not known.")
            elif not profile.is_valid:
                self.add_error(
                    "profiles", f"{profile.label} needs reconnecting in Oktopost; pick another."
                )
            elif network and profile.network != network:
                self.add_error(
                    "profiles",
                    f"{profile.label} is a {profile.network} profile; the message is for "
                    f"{network}.",
                )

    def _clean_time(self, data: dict) -> None:
        if data.get("asap"):
            data["start_at"] = None
            return
        if not data.get("when"):
            self.add_error("when", "Pick a time, or tick “As soon as possible”.")
            return
        try:
            data["start_at"] = self.clean_when_value(data["when"])
        except forms.ValidationError as exc:
            self.add_error("when", exc)


def first_comment_of(data: dict) -> FirstCommentInput | None:
    """The create form's first comment, as the service takes it (None: no comment)."""
    if not data.get("first_comment_text"):
        return None
    return FirstCommentInput(data["first_comment_text"], data.get("first_comment_media") or None)


class FirstCommentForm(forms.Form):
    """A post's LinkedIn first comment; both empty removes it."""

    text = forms.CharField(
        required=False,
        max_length=media_rules.FIRST_COMMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"A first comment is at most {media_rules.FIRST_COMMENT_LIMIT} "
            "characters."
        },
    )
    media_id = forms.CharField(required=False, max_length=32)
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)

    def clean_media_id(self) -> str:
        media_id = self.cleaned_data["media_id"].strip()
        if media_id:
            found = attached_media.preview_media([media_id])
            if not found or found[0].kind != "image":
                raise forms.ValidationError("The comment's picture must be an image.")
        return media_id

    def clean(self) -> dict:
        data = super().clean()
        if data.get("media_id") and not data.get("text", "").strip():
            self.add_error("text", "Write the comment's text to go with its picture.")
        return data


class RescheduleForm(WhenMixin, forms.Form):
    when = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)

    def __init__(self, *args, zone: tzinfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_when(self) -> datetime:
        return self.clean_when_value(self.cleaned_data["when"])


class ProfilesForm(forms.Form):
    profiles = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)

    def __init__(self, *args, post: Post, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.post = post
        rows = Profile.objects.filter(network=post.network).order_by("name")
        self.fields["profiles"].choices = [(p.oktopost_id, p.label) for p in rows]
        self.valid_ids = {p.oktopost_id for p in rows if p.is_valid}

    def clean_profiles(self) -> list[str]:
        chosen = self.cleaned_data["profiles"]
        if not set(chosen) <= self.valid_ids:
            raise forms.ValidationError("Pick only connected profiles of this network.")
        return chosen


class CancelForm(forms.Form):
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BulkAction.Kind.choices)
    minutes = forms.IntegerField(
        required=False, min_value=-60 * 24 * 365, max_value=60 * 24 * 365, label="Shift by minutes"
    )
    date = forms.DateField(required=False, label="Move to date")
    scope = forms.ChoiceField(
        choices=[
            ("selected", "Selected posts"),
            ("matching", "All unsent posts matching the filter"),
        ],
        initial="selected",
    )
    post = forms.MultipleChoiceField(required=False)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any posted id is accepted here; the view keeps only unsent posts that exist.
        self.fields["post"].choices = (
            [(v, v) for v in self.data.getlist("post")] if self.data else []
        )

    def clean_date(self) -> "date | None":
        day = self.cleaned_data.get("date")
        if day and day - timezone.localdate() > FURTHEST_AHEAD:
            raise forms.ValidationError(f"{day:%d %b %Y} is more than 5 years ahead.")
        return day

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        if action == BulkAction.Kind.SHIFT and not data.get("minutes"):
            self.add_error("minutes", "Say how many minutes to shift by (negative moves earlier).")
        if action == BulkAction.Kind.MOVE and not data.get("date"):
            self.add_error("date", "Pick the date to move the posts to.")
        if data.get("scope") == "selected" and not data.get("post"):
            raise forms.ValidationError("Select at least one post, or choose all matching posts.")
        return data
