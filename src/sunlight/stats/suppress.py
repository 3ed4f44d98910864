"""The small-number rule, as pure functions over a figure's raw table.

Primary suppression: a count above zero and below the threshold is not shown ("fewer than
5"). A derived value (a median, a rate, hours) is not shown when the count it is computed
over is below the threshold or is itself hidden.

Complementary suppression: where hidden cells are parts of a total that is shown (the
rows of one group within a column, or a row's part-measures), a single hidden part could
be recomputed by subtraction; so whenever exactly one part of such a set is hidden, the
next smallest part above zero is hidden too, and this repeats until no set has exactly one.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["count", "derived"]


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    kind: Kind = "count"
    #: for a derived value: the count measure (same row) it is computed over
    basis: str | None = None
    #: other counts (same row) it would give away: hidden whenever one of them is
    reveals: tuple[str, ...] = ()


@dataclass
class RawRow:
    labels: tuple[str, ...]
    values: dict[str, float | int | None]
    #: rows with the same group (not None) are parts of a shown total, column by column
    group: Hashable | None = None
    #: every cell of the row is withheld (e.g. "officers": it would describe too few)
    hidden: str | None = None


@dataclass(frozen=True)
class Cell:
    value: float | int | None  # None: suppressed, or not defined (a median over nothing)
    suppressed: bool
    #: why hidden: "small" (below the threshold) or "complementary"; None when shown
    why: str | None = None
    #: a median, rate or total over items (hidden when they are fewer than the threshold)
    derived: bool = False

    def display(self, threshold: int) -> str:
        """English text for the cell (the portal's template translates its own)."""
        if self.why == "small" and self.derived:
            return f"not shown: over fewer than {threshold}"
        if self.why == "small":
            return f"fewer than {threshold}"
        if self.suppressed:
            return "withheld (protects a small number)"
        if self.value is None:
            return "—"
        if isinstance(self.value, float):
            return f"{self.value:,.1f}"
        return f"{self.value:,}"


@dataclass
class Table:
    measures: tuple[Measure, ...]
    rows: list[tuple[tuple[str, ...], dict[str, Cell]]] = field(default_factory=list)


def apply(
    measures: Sequence[Measure],
    rows: Sequence[RawRow],
    threshold: int,
    *,
    row_parts: Sequence[str] = (),
) -> Table:
    """The table as it may be published. ``row_parts`` are count measures that add up to
    something published for the row (with and without footage: the row's incidents)."""
    hidden: dict[tuple[int, str], str] = {}
    counts = [m.name for m in measures if m.kind == "count"]
    for i, row in enumerate(rows):
        if row.hidden is not None:
            for m in measures:
                hidden[(i, m.name)] = row.hidden
        for name in counts:
            if (i, name) in hidden:
                continue
            value = row.values.get(name)
            if value is not None and 0 < value < threshold:
                hidden[(i, name)] = "small"

    def complement(cells: list[tuple[int, str]]) -> bool:
        inside = [c for c in cells if c in hidden]
        if len(inside) != 1:
            return False
        candidates = [
            c for c in cells if c not in hidden and (rows[c[0]].values.get(c[1]) or 0) > 0
        ]
        if not candidates:
            return False
        smallest = min(candidates, key=lambda c: (rows[c[0]].values.get(c[1]) or 0, c))
        hidden[smallest] = "complementary"
        return True

    groups: dict[Hashable, list[int]] = {}
    for i, row in enumerate(rows):
        if row.group is not None:
            groups.setdefault(row.group, []).append(i)
    changed = True
    while changed:
        changed = False
        for members in groups.values():
            for name in counts:
                changed |= complement([(i, name) for i in members])
        if len(row_parts) > 1:
            for i in range(len(rows)):
                changed |= complement([(i, name) for name in row_parts])

    table = Table(tuple(measures))
    for i, row in enumerate(rows):
        cells: dict[str, Cell] = {}
        for m in measures:
            value = row.values.get(m.name)
            why = hidden.get((i, m.name))
            if m.kind == "derived" and m.basis is not None and why is None:
                basis = row.values.get(m.basis) or 0
                if 0 < basis < threshold:
                    why = "small"
                elif (i, m.basis) in hidden or any((i, r) in hidden for r in m.reveals):
                    why = "complementary"
            derived = m.kind == "derived"
            cells[m.name] = (
                Cell(None, True, why, derived) if why else Cell(value, False, None, derived)
            )
        table.rows.append((row.labels, cells))
    return table
