"""Geometry for the stats page's SVG charts (server-rendered: no script, no inline style).

Only coordinates are computed here; colours come from classes in static/css/stats.css,
which use Pico's variables so that light, dark and print all read well. Every chart has
the same numbers in a table next to it for screen readers and for print.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 10, 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    current: str  # polyline points
    previous: str
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    baseline: float
    left: int
    right: float


def _nice_top(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value`: an axis top people read."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _label(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return str(value)


def line_chart(
    current: list[int],
    previous: list[int],
    labels: list[str],
    titles: list[str],
    *,
    height: int = HEIGHT,
) -> LineChart:
    """One value per day: this period as a line, the previous one as a faint line, and
    this period's values also as bars (each with its own title for hover)."""
    n = max(len(current), 1)
    top = _nice_top(max([*current, *previous, 0]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    step = plot_w / n
    base = TOP + plot_h

    def y(value: int) -> float:
        return base - value / top * plot_h

    def x(index: int) -> float:
        return LEFT + step * index + step / 2

    def points(values: list[int]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))

    bar_w = max(step * 0.7, 0.5)
    bars = [
        Bar(x(i) - bar_w / 2, y(v), bar_w, base - y(v), titles[i] if i < len(titles) else "")
        for i, v in enumerate(current)
    ]
    y_ticks = [Tick(LEFT - 6, y(v), _label(v)) for v in (0, top // 2, top)]
    every = max(1, round(n / 6))
    x_ticks = [Tick(x(i), height - 6, labels[i]) for i in range(0, len(labels), every)]
    return LineChart(
        WIDTH,
        height,
        points(current),
        points(previous),
        bars,
        y_ticks,
        x_ticks,
        base,
        LEFT,
        WIDTH - RIGHT,
    )


def bar_percent(value: int, top: int) -> float:
    """A breakdown bar's length, in percent of the largest row's."""
    return 0.0 if top <= 0 else round(value / top * 100, 1)


def heat_level(value: float | None, top: float) -> int:
    """0 (no data) to 5 (the best cell), for the heatmap's classes."""
    if value is None:
        return 0
    if top <= 0:
        return 1
    return 1 + min(4, int(value / top * 4.999))


# --- follower growth -------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthChart:
    """Followers gained since the range began, per day: a line and a bar per day, with a
    zero line (a day can lose followers, so values may be below it)."""

    width: int
    height: int
    line: str  # polyline points
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    zero: float
    left: int
    right: float


def growth_chart(
    values: list[int], labels: list[str], titles: list[str], *, height: int = HEIGHT
) -> GrowthChart:
    """One value per day, which may be negative: bars go up or down from zero."""
    n = max(len(values), 1)
    top = _nice_top(max([*values, 0]))
    bottom = -_nice_top(-min([*values, 0])) if min([*values, 0]) < 0 else 0
    span = max(top - bottom, 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    step = plot_w / n

    def y(value: int) -> float:
        return TOP + (top - value) / span * plot_h

    def x(index: int) -> float:
        return LEFT + step * index + step / 2

    zero = y(0)
    bar_w = max(step * 0.7, 0.5)
    bars = [
        Bar(
            x(i) - bar_w / 2,
            min(y(v), zero),
            bar_w,
            abs(zero - y(v)),
            titles[i] if i < len(titles) else "",
        )
        for i, v in enumerate(values)
    ]
    marks = sorted({bottom, 0, top} | ({top // 2} if bottom == 0 else set()))
    y_ticks = [Tick(LEFT - 6, y(v), ("+" if v > 0 else "") + _signed(v)) for v in marks]
    every = max(1, round(n / 6))
    x_ticks = [Tick(x(i), height - 6, labels[i]) for i in range(0, len(labels), every)]
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    return GrowthChart(WIDTH, height, line, bars, y_ticks, x_ticks, zero, LEFT, WIDTH - RIGHT)


def _signed(value: int) -> str:
    return "-" + _label(-value) if value < 0 else _label(value)


@dataclass(frozen=True)
class Spark:
    """A small line of one profile's followers per day, inside a 100 x 20 box."""

    points: str
    width: int = 100
    height: int = 20


def sparkline(values: list[int]) -> Spark:
    """The line fills the box: its lowest value at the bottom, its highest at the top."""
    if not values:
        return Spark("")
    lo, hi = min(values), max(values)
    span = hi - lo or 1
    step = 100 / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{18 - (v - lo) / span * 16:.1f}" for i, v in enumerate(values)
    )
    return Spark(points)
