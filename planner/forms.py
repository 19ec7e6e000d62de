"""The calendar's one form: move a post to a day (and an hour, or a time)."""

from django import forms

from posts.forms import STALE_PAGE


class MoveForm(forms.Form):
    date = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    hour = forms.IntegerField(required=False, min_value=0, max_value=23)
    time = forms.TimeField(
        required=False, label="Time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)
    back = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_date(self) -> date:
        value = self.cleaned_data["date"]
        if not 1970 <= value.year < 2200:
            raise forms.ValidationError("Pick a date between 1970 and 2199.")
        return value


class ScheduleForm(forms.Form):
    """Schedule a draft from the tray: a day and a time, both required."""

    date = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}))
    expected_modified = forms.DateTimeField(widget=forms.HiddenInput, error_messages=STALE_PAGE)
    back = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    clean_date = MoveForm.clean_date
