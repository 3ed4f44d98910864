"""Server-drawn bar charts: the geometry only. The portal's template writes the SVG (with
``<title>``, ``<desc>`` and translated text) from this layout; every bar carries its label
and value as text, and each measure its own fill pattern, so nothing is told by colour
alone. No script and no style attributes (the portal's CSP forbids inline style)."""

from __future__ import annotations

from dataclasses import dataclass

from sunlight.stats.figures import Figure
from sunlight.stats.suppress import Cell

WIDTH = 640
ROW_HEIGHT = 44
BAR_HEIGHT = 18
LABEL_GAP = 20
MARGIN = 8
#: room at the right of the longest bar for its value
VALUE_ROOM = 190
LEGEND_HEIGHT = 28
#: fill patterns, one per measure (ids are made unique per chart by the template)
PATTERNS = ("solid", "hatch", "dots")


@dataclass(frozen=True)
class Bar:
    labels: tuple[str, ...]  # the row's labels (translated when shown)
    measure: str  # the measure's label
    pattern: str
    cell: Cell
    x: int
    y: int  # top of the label line
    bar_y: int
    width: int  # 0 when hidden or zero
    value_x: int


@dataclass(frozen=True)
class Chart:
    id: str
    width: int
    height: int
    bars: list[Bar]
    legend: list[tuple[str, str, int]]  # (pattern, measure label, x)
    legend_y: int
    bar_height: int = BAR_HEIGHT


def layout(figure: Figure) -> Chart:
    spec = figure.spec
    names = spec.chart_measures or tuple(m.name for m in spec.measures if m.kind == "count")
    measures = [m for m in spec.measures if m.name in names]
    shown = [
        cells[m.name].value
        for _, cells in figure.table.rows
        for m in measures
        if isinstance(cells[m.name].value, int | float)
    ]
    top = max([float(v) for v in shown if v is not None] + [0.0])
    room = WIDTH - 2 * MARGIN - VALUE_ROOM
    legend = [
        (PATTERNS[i % len(PATTERNS)], m.label, MARGIN + i * 200) for i, m in enumerate(measures)
    ]
    bars: list[Bar] = []
    y = MARGIN + (LEGEND_HEIGHT if len(measures) > 1 else 0)
    for labels, cells in figure.table.rows:
        for i, m in enumerate(measures):
            cell = cells[m.name]
            value = float(cell.value) if isinstance(cell.value, int | float) else 0.0
            width = round(room * value / top) if top > 0 and not cell.suppressed else 0
            width = max(width, 2) if value > 0 and not cell.suppressed else width
            bars.append(
                Bar(
                    labels=labels,
                    measure=m.label,
                    pattern=PATTERNS[i % len(PATTERNS)],
                    cell=cell,
                    x=MARGIN,
                    y=y,
                    bar_y=y + LABEL_GAP,
                    width=width,
                    value_x=MARGIN + width + 6,
                )
            )
            y += ROW_HEIGHT
    return Chart(
        id=f"chart-{spec.slug}",
        width=WIDTH,
        height=y + MARGIN,
        bars=bars,
        legend=legend,
        legend_y=MARGIN,
    )
