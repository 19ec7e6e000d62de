import zoneinfo

from django import forms

from accounts.models import User


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=_zone_choices, label="Your time zone")

    class Meta:
        model = User
        fields = ["time_zone"]


class ThemeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["theme"]
