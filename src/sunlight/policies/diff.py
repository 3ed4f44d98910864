"""A line diff of two versions of a policy file, for people: each line is kept, added or
removed, with its line numbers in the old and new file."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Change = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class DiffLine:
    change: Change
    old_line: int | None
    new_line: int | None
    text: str


def line_diff(old: str, new: str) -> list[DiffLine]:
    """Every line of both files in order: unchanged, removed (from ``old``) or added."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(
                DiffLine("same", i + 1, j + 1, a[i])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        lines.extend(DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2))
        lines.extend(DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2))
    return lines


def counts(lines: list[DiffLine]) -> tuple[int, int]:
    """(added, removed)."""
    return (
        sum(1 for line in lines if line.change == "added"),
        sum(1 for line in lines if line.change == "removed"),
    )


@dataclass(frozen=True)
class Gap:
    """Unchanged lines left out of a compact diff."""

    lines: int


def compact(lines: list[DiffLine], context: int = 3) -> list[DiffLine | Gap]:
    """The changed lines with ``context`` unchanged lines around each; the rest as gaps."""
    changed = [i for i, line in enumerate(lines) if line.change != "same"]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    out: list[DiffLine | Gap] = []
    skipped = 0
    for i, line in enumerate(lines):
        if i in keep:
            if skipped:
                out.append(Gap(skipped))
                skipped = 0
            out.append(line)
        else:
            skipped += 1
    if skipped:
        out.append(Gap(skipped))
    return out
