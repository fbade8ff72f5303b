"""The /progress chart: reps per session against the protocol's target (a line), soreness scores in a
second panel, holds marked. Readable on a phone: 800x600 pixels, large fonts, two colours.

Pure and slow (about 0.1 s), so adapters call `render` off their event loop. It uses matplotlib's
object API with the Agg canvas (no pyplot, no display, no global figure state), so two chats' charts
can render at the same time.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH, HEIGHT, DPI = 8, 6, 100  # inches at 100 dpi: 800x600 pixels
DATA = "#1f4e79"  # dark blue: what the user did
PLAN = "#e07b00"  # orange: the plan, and holds
FONT = 16


@dataclass(frozen=True)
class Point:
    when: datetime
    reps: int
    target: int
    hold: bool = False  # the session stopped for a red flag


@dataclass(frozen=True)
class Score:
    when: datetime
    score: int
    hold: bool = False  # a red flag reported with it


@dataclass(frozen=True)
class ChartData:
    sessions: tuple[Point, ...]
    soreness: tuple[Score, ...]
    labels: dict[str, str]  # title, reps, target, soreness, hold: from the feature's texts


def warm() -> None:
    """Import matplotlib and load its font cache (1-3 s) before the first /progress needs them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1), dpi=10)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, "0")
    figure.savefig(io.BytesIO(), format="png")


def render(data: ChartData) -> bytes:
    """The PNG bytes of the chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)  # fixed margins: a layout engine doubles the time
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=(2, 1))  # not sharex: ticks are most of the time
    figure.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.08, hspace=0.12)
    _reps_panel(top, data)
    _soreness_panel(bottom, data)
    ticks = _ticks(data)
    bottom.xaxis.set_major_locator(FixedLocator(_x(ticks)))  # fixed: date locators cost a third
    short = (ticks[-1] - ticks[0]).days < 120
    bottom.xaxis.set_major_formatter(
        FixedFormatter([t.strftime("%d %b" if short else "%b %Y") for t in ticks])
    )
    top.set_xlim(bottom.get_xlim())
    top.set_xticks([])
    top.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    for axis in (top, bottom):
        axis.tick_params(labelsize=FONT - 2)
        axis.grid(axis="y", alpha=0.3)
        axis.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _ticks(data: ChartData) -> list[datetime]:
    """Four or five evenly spaced dates across the chart."""
    times = [p.when for p in data.sessions] + [s.when for s in data.soreness]
    first, last = min(times), max(times)
    if last - first < timedelta(days=2):
        return [first]
    count = 4
    return [first + (last - first) * i / count for i in range(count + 1)]


def _x(when: Iterable[datetime]) -> Any:
    """Dates as matplotlib's day numbers (typed as the arrays plot() accepts)."""
    from matplotlib.dates import date2num

    return date2num(list(when))


def _reps_panel(ax: Axes, data: ChartData) -> None:
    points = data.sessions
    when = _x(p.when for p in points)
    ax.plot(
        when,
        [p.target for p in points],
        color=PLAN,
        linewidth=3,
        drawstyle="steps-post",
        label=data.labels["target"],
    )
    ax.plot(
        when,
        [p.reps for p in points],
        color=DATA,
        linewidth=2,
        marker="o",
        markersize=7,
        label=data.labels["reps"],
    )
    held = [p for p in points if p.hold]
    _holds(ax, [p.when for p in held], [p.reps for p in held], data.labels["hold"])
    ax.set_title(data.labels["title"], fontsize=FONT + 2)
    ax.set_ylabel(data.labels["reps_axis"], fontsize=FONT)
    ax.set_ylim(
        0, max([p.reps for p in points] + [p.target for p in points] + [1]) * 1.5
    )  # room for the legend
    ax.legend(fontsize=FONT - 3, loc="upper left", frameon=False)


def _holds(ax: Axes, when: list[datetime], values: list[int], label: str | None = None) -> None:
    """Holds (a red flag) as large crosses in the plan's colour, on either panel."""
    if when:
        ax.scatter(_x(when), values, color=PLAN, marker="X", s=160, zorder=3, label=label)


def _soreness_panel(ax: Axes, data: ChartData) -> None:
    scores = data.soreness
    if scores:
        ax.plot(
            _x(s.when for s in scores),
            [s.score for s in scores],
            color=DATA,
            linestyle="none",
            marker="s",
            markersize=7,
        )
        flagged = [s for s in scores if s.hold]
        _holds(ax, [s.when for s in flagged], [s.score for s in flagged])
    ax.set_ylim(0, 10.5)
    ax.set_yticks([0, 5, 10])
    ax.set_ylabel(data.labels["soreness"], fontsize=FONT)
