"""Every figure as an open dataset (``/api/public/data/{slug}.csv|.json``): the same rows
as the page, over the default range (the last 12 months), with the small-number rule
applied: a hidden value is empty and its ``*_suppressed`` field is true."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from sunlight.portal.datasets import Dataset, Field, FieldType, register
from sunlight.runtime import Runtime
from sunlight.stats import service
from sunlight.stats.figures import SPECS, Range, Spec

PREFIX = "stats-"


def column(label: str) -> str:
    """A field name from a dimension's label: ``Incident type`` -> ``incident_type``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def fields_of(spec: Spec) -> tuple[Field, ...]:
    fields = [
        Field("date_from", "date", "First day of the range (UTC)."),
        Field("date_to", "date", "Last day of the range (UTC), inclusive."),
    ]
    fields += [Field(column(d), "string", d) for d in spec.dimensions]
    for m in spec.measures:
        kind: FieldType = "integer" if m.kind == "count" else "number"
        fields.append(Field(m.name, kind, f"{m.label}; empty when suppressed."))
        fields.append(
            Field(
                f"{m.name}_suppressed",
                "boolean",
                f"True when {m.label.lower()} is withheld by the small-number rule.",
            )
        )
    return tuple(fields)


def _rows(spec: Spec) -> Dataset:
    def rows(runtime: Runtime, now: datetime) -> Iterable[Mapping[str, object]]:
        rng = Range.default(now)
        figure = service.figure(runtime, spec.slug, rng, now)
        for labels, cells in figure.table.rows:
            row: dict[str, object] = {"date_from": rng.start, "date_to": rng.end}
            for name, value in zip(spec.dimensions, labels, strict=True):
                row[column(name)] = value
            for m in spec.measures:
                cell = cells[m.name]
                row[m.name] = cell.value
                row[f"{m.name}_suppressed"] = cell.suppressed
            yield row

    threshold_note = (
        " Counts above zero and below the stats policy's threshold are withheld, and so "
        "is the next smallest part of any total that would reveal one."
    )
    return Dataset(
        slug=PREFIX + spec.slug,
        title=spec.title,
        description=spec.explanation + threshold_note,
        fields=fields_of(spec),
        rows=rows,
    )


DATASETS = [register(_rows(spec)) for spec in SPECS]
