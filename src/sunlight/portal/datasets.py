"""The open-data catalogue: every public figure and list, described field by field, so the
portal's ``/public/data`` page, its CSV/JSON downloads and the data dictionary come from one
place. Domains' public modules ``register()`` their datasets when imported; the web app
imports them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sunlight.runtime import Runtime

FieldType = Literal["string", "integer", "number", "date", "datetime", "boolean"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str


@dataclass(frozen=True)
class Dataset:
    #: Stable URL part: ``/api/public/data/{slug}.csv`` and ``.json``.
    slug: str
    title: str
    #: Plain language: what each row is, where it comes from, what is suppressed and why.
    description: str
    fields: tuple[Field, ...]
    #: The rows, as of ``now``; every value is one of ``FieldType``'s Python types or None.
    rows: Callable[[Runtime, datetime], Iterable[Mapping[str, object]]]


_REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    """Add a dataset to the catalogue; one slug names one dataset."""
    existing = _REGISTRY.get(dataset.slug)
    if existing is not None and existing is not dataset:
        raise ValueError(f"dataset slug registered twice: {dataset.slug}")
    _REGISTRY[dataset.slug] = dataset
    return dataset


def all_datasets() -> list[Dataset]:
    return sorted(_REGISTRY.values(), key=lambda d: d.slug)


def dataset(slug: str) -> Dataset | None:
    return _REGISTRY.get(slug)
