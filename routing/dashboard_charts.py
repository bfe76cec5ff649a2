"""The dashboard's two charts as SVG geometry, drawn by the template without JavaScript.

Plain SVG attributes (no inline style: the Content-Security-Policy forbids it). Sizes are
in SVG units; the charts are laid out so that text stays at least ~10 px on a 360 px
phone: the weekly chart scrolls sideways when a year of weeks does not fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from routing.dashboard import Counts, GroupRow, WeekRow, date_span
from routing.handling import HANDLING_PARTS, Handling

# Bottom to top in each bar: the finished first, then what is still open.
STACK_ORDER = (
    Handling.ON_TIME,
    Handling.LATE,
    Handling.OVERDUE,
    Handling.IN_TIME,
    Handling.NO_DEADLINE,
)
assert set(STACK_ORDER) == set(HANDLING_PARTS)


@dataclass
class Segment:
    bucket: str
    label: str
    count: int
    y: float
    height: float
    href: str


@dataclass
class Bar:
    x: float
    width: float
    label: str
    show_label: bool
    total: int
    segments: list[Segment]
    title: str


NARROW_WIDTH = 420


@dataclass
class WeeklyChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]
    legend: list[tuple[str, str]]

    @property
    def is_wide(self) -> bool:
        return self.width > NARROW_WIDTH

    @property
    def is_empty(self) -> bool:
        return not any(bar.total for bar in self.bars)


def _ticks(maximum: int) -> list[int]:
    """Three or four round values from 0 to at least ``maximum``."""
    if maximum <= 0:
        return [0]
    step = 1
    while maximum / step > 4:
        for factor in (2, 5, 10):
            if maximum / (step * factor) <= 4:
                step *= factor
                break
        else:
            step *= 10
    top = -(-maximum // step) * step
    return list(range(0, top + 1, step))


def weekly_chart(weeks: list[WeekRow], link: Callable[[Counts, str], str]) -> WeeklyChart:
    """Stacked bars, one per week, split by how the received documents stand.

    ``link(counts, bucket)`` gives the list behind a segment.
    """
    left, top, plot_height, bottom_margin = 36, 12, 180, 34
    # Up to a quarter fits a phone's width; a year's weeks scroll sideways.
    slot = max(28, (NARROW_WIDTH - left - 8) // max(len(weeks), 1)) if len(weeks) <= 13 else 18
    width = max(NARROW_WIDTH, left + 8 + slot * len(weeks))
    ticks = _ticks(max((w.counts.received for w in weeks), default=0))
    scale = plot_height / ticks[-1] if ticks[-1] else 0
    every = 1 if len(weeks) <= 13 else 4
    bars = []
    for index, week in enumerate(weeks):
        x = left + index * slot + slot * 0.15
        y: float = top + plot_height
        segments = []
        for bucket in STACK_ORDER:
            count = week.counts.value(bucket)
            if not count:
                continue
            height = count * scale
            y -= height
            segments.append(
                Segment(
                    bucket=str(bucket),
                    label=str(Handling(bucket).label),
                    count=count,
                    y=round(y, 2),
                    height=round(height, 2),
                    href=link(week.counts, bucket),
                )
            )
        span = date_span(week.start, week.end)
        bars.append(
            Bar(
                x=round(x, 2),
                width=round(slot * 0.7, 2),
                label=week.start.strftime("%d/%m"),
                show_label=index % every == 0,
                total=week.counts.received,
                segments=segments,
                title=span,
            )
        )
    return WeeklyChart(
        width=width,
        height=top + plot_height + bottom_margin,
        plot_top=top,
        plot_bottom=top + plot_height,
        left=left,
        bars=bars,
        ticks=[(round(top + plot_height - t * scale, 2), t) for t in ticks],
        legend=[(str(b), str(Handling(b).label)) for b in STACK_ORDER],
    )


@dataclass
class ShareRow:
    name: str
    href: str
    share: float
    on_time: int
    decided: int
    y: float
    bar_width: float


@dataclass
class ShareChart:
    width: int
    height: int
    bar_left: int
    bar_max: int
    rows: list[ShareRow]


def share_chart(groups: list[GroupRow], link: Callable[[Counts], str]) -> ShareChart:
    """Horizontal bars of the on-time share per department, best first; a department with
    nothing decided yet (no document completed or past its deadline) has no bar."""
    width, bar_left, row_height = 360, 4, 44
    bar_max = width - 60
    decided = [g for g in groups if g.counts.on_time_share is not None]
    decided.sort(key=lambda g: (-(g.counts.on_time_share or 0), g.name.casefold()))
    rows = [
        ShareRow(
            name=group.name,
            href=link(group.counts),
            share=group.counts.on_time_share or 0,
            on_time=group.counts.on_time,
            decided=group.counts.decided,
            y=index * row_height,
            bar_width=round(bar_max * (group.counts.on_time_share or 0), 2),
        )
        for index, group in enumerate(decided)
    ]
    return ShareChart(
        width=width,
        height=max(row_height, row_height * len(rows)),
        bar_left=bar_left,
        bar_max=bar_max,
        rows=rows,
    )
