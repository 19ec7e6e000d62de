import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from core.roles import APPROVER, EDITOR, VIEWER, role_names


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Theme(models.TextChoices):
    # "auto" follows the browser's prefers-color-scheme.
    AUTO = "auto", "Automatic (as the device)"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class Clock(models.TextChoices):
    # "auto" follows the browser's language (Accept-Language).
    AUTO = "auto", "As my browser's language"
    H24 = "24", "24-hour (18:25)"
    H12 = "12", "12-hour (6:25 PM)"


class DateOrder(models.TextChoices):
    AUTO = "auto", "As my browser's language"
    DMY = "dmy", "Day first (6 Dec 2026, 06/12/2026)"
    MDY = "mdy", "Month first (Dec 6, 2026, 12/06/2026)"


class User(AbstractUser):
    """A dashboard user; roles are the groups *editor* and *viewer*."""

    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.AUTO)
    clock = models.CharField("Times", max_length=4, choices=Clock.choices, default=Clock.AUTO)
    date_order = models.CharField(
        "Dates", max_length=4, choices=DateOrder.choices, default=DateOrder.AUTO
    )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def has_role(self, role: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        # From the cache shared by every request (core.roles.role_names), read once a
        # request.
        if not hasattr(self, "_role_names"):
            self._role_names = role_names(self.pk)
        return role in self._role_names

    @property
    def is_editor(self) -> bool:
        return self.has_role(EDITOR)

    @property
    def can_approve(self) -> bool:
        return self.has_role(EDITOR) or self.has_role(APPROVER)

    @property
    def role_label(self) -> str:
        if self.is_editor:
            return "Editor"
        if self.has_role(APPROVER):
            return "Approver"
        return "Viewer" if self.has_role(VIEWER) else "No role"
