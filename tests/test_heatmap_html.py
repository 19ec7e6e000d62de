"""The heatmap's rows written in Python (`{% heat_rows %}`, reports/templatetags/
stats_tags.py) are what the template's loop wrote, byte for byte: cells with many posts
and with too few, one post and several, medians with decimals and in thousands, and
empty ones.

tests/heatmap_rows_reference.html is templates/stats/section_heatmap.html's row loop as
it was before it moved to Python (issue 31): change the markup in both places together."""

from datetime import datetime, timedelta
from pathlib import Path

from django.template import engines

from tests import factories as f
from tests.test_stats_page import part

REFERENCE = (Path(__file__).parent / "heatmap_rows_reference.html").read_text().rstrip("\n")


def test_every_cell_is_the_templates(viewer_client, viewer, db) -> None:
    monday_9 = datetime(2026, 11, 16, 9, 15, tzinfo=viewer.zone)
    # 09:00 Monday: three posts (enough to trust), an odd median; 10:00 one post;
    # 21:00 Tuesday two, a median in thousands with a half; Sunday 23:00 <b>-free text.
    for likes in (1, 5, 100):
        f.post(status="complete", start_at=monday_9, likes=likes)
    f.post(status="complete", start_at=monday_9 + timedelta(hours=1), comments=7)
    for likes in (2_400, 2_501):
        f.post(status="complete", start_at=monday_9 + timedelta(days=1, hours=12), likes=likes)
    f.post(status="complete", start_at=monday_9 + timedelta(days=6, hours=14), shares=1_250_000)
    response = part(viewer_client, "heatmap", "from=2026-11-16&to=2026-11-22")
    context = {name: response.context[name] for name in ("heat_rows", "heat_halves")}
    django = engines["django"]
    loop = "{% load stats_tags %}{% for caption, part, hours in heat_halves %}"
    reference = django.from_string(loop + REFERENCE + "{% endfor %}")
    ours = django.from_string(loop + "{% heat_rows heat_rows part %}{% endfor %}")
    written = ours.render(context)
    assert written == reference.render(context)
    for mark in ("heat-thin", "over 3 posts", "over 1 post<", "2.5k", "1.2M", "no data", "·"):
        assert mark in written, mark
    assert written.count("<tr>") == 14
