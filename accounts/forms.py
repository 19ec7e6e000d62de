import zoneinfo

from django import forms

from accounts.models import Clock, DateOrder, User


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.ModelForm):
    """The zone, and how dates and times are written (left as they are when not sent)."""

    time_zone = forms.ChoiceField(choices=_zone_choices, label="Your time zone")
    clock = forms.ChoiceField(choices=Clock.choices, required=False, label="Times")
    date_order = forms.ChoiceField(choices=DateOrder.choices, required=False, label="Dates")

    class Meta:
        model = User
        fields = ["time_zone", "clock", "date_order"]

    def clean_clock(self) -> str:
        return self.cleaned_data.get("clock") or self.instance.clock

    def clean_date_order(self) -> str:
        return self.cleaned_data.get("date_order") or self.instance.date_order


class ThemeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["theme"]
