"""The calendar's status icons are characters every page font draws: an icon shown as an
empty box says nothing. Before, "awaiting approval" was ⏳, which DejaVu Sans (the
fallback font of Debian and many Linux desktops) does not have: a box in the calendar
and in its legend."""

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from planner.chips import STATUS_ICONS

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LEGEND = Path(__file__).resolve().parent.parent / "templates" / "calendar" / "calendar.html"


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")
def test_every_status_icon_has_a_glyph_in_dejavu_sans() -> None:
    covered = TTFont(DEJAVU).getBestCmap()
    missing = {status: icon for status, icon in STATUS_ICONS.items() if ord(icon) not in covered}
    assert missing == {}


def test_the_legend_shows_the_same_icons_as_the_chips() -> None:
    legend = LEGEND.read_text()
    for icon in set(STATUS_ICONS.values()):
        assert f"<span>{icon} " in legend, icon
