from urllib.parse import parse_qsl, urlencode

from django import forms

from accounts.models import User
from posts.models import SavedView


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "query", "shared"]
        widgets = {"query": forms.HiddenInput}
        labels = {"shared": "Share with the team"}

    def __init__(self, *args, owner: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        if self.owner and SavedView.objects.filter(owner=self.owner, name=name).exists():
            raise forms.ValidationError(f"You already have a view called “{name}”.")
        return name

    def clean_query(self) -> str:
        # Only a query string is kept (never a URL elsewhere), without the page cursor.
        pairs = [(k, v) for k, v in parse_qsl(self.cleaned_data["query"]) if k != "cursor"]
        return urlencode(pairs)[:2000]

    def save(self, commit: bool = True) -> SavedView:
        view = super().save(commit=False)
        view.owner = self.owner
        if commit:
            view.save()
        return view
