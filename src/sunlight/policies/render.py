"""A policy file as a readable page: its YAML turned into headings, lists, tables and
label/value pairs with plain-language labels for the keys each kind of policy uses (and a
label made from the key itself for any key the page does not know).

The labels are English strings marked for translation; the template translates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from sunlight.policies.registry import COMMON_LABELS, N_, PolicyKind

YES, NO = N_("Yes"), N_("No")


@dataclass
class Block:
    """One part of the page. ``kind`` is section | text | list | table | facts."""

    kind: str
    heading: str = ""
    text: str = ""
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def label(policy_kind: PolicyKind | None, key: str) -> str:
    labels = policy_kind.labels if policy_kind is not None else {}
    found = labels.get(key) or COMMON_LABELS.get(key)
    if found:
        return found
    words = str(key).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _scalar(value: Any) -> str:
    if value is True:
        return YES
    if value is False:
        return NO
    if value is None:
        return "—"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _inline(policy_kind: PolicyKind | None, value: Any) -> str:
    """A nested value in one line (a table cell or a fact)."""
    if isinstance(value, dict):
        return "; ".join(
            f"{label(policy_kind, k)}: {_inline(policy_kind, v)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(_inline(policy_kind, v) for v in value)
    return _scalar(value)


def _value(policy_kind: PolicyKind | None, heading: str, value: Any, depth: int) -> Block:
    if isinstance(value, dict):
        if value and all(isinstance(v, dict) for v in value.values()):
            return _value(policy_kind, heading, [{"id": k, **v} for k, v in value.items()], depth)
        return Block("section", heading=heading, blocks=_mapping(policy_kind, value, depth + 1))
    if isinstance(value, list):
        if all(_is_scalar(v) for v in value):
            return Block(
                "section",
                heading=heading,
                blocks=[Block("list", items=[_scalar(v) for v in value])],
            )
        if all(isinstance(v, dict) for v in value):
            keys: list[str] = []
            for entry in value:
                keys.extend(k for k in entry if k not in keys)
            table = Block(
                "table",
                headers=[label(policy_kind, k) for k in keys],
                rows=[
                    [_inline(policy_kind, entry.get(k)) if k in entry else "" for k in keys]
                    for entry in value
                ],
            )
            return Block("section", heading=heading, blocks=[table])
        return Block(
            "section",
            heading=heading,
            blocks=[Block("list", items=[_inline(policy_kind, v) for v in value])],
        )
    return Block("facts", facts=[(heading, _scalar(value))])


def _mapping(policy_kind: PolicyKind | None, data: dict[Any, Any], depth: int) -> list[Block]:
    blocks: list[Block] = []
    facts: list[tuple[str, str]] = []
    for key, value in data.items():
        heading = label(policy_kind, str(key))
        if (
            _is_scalar(value)
            or (isinstance(value, list) and all(_is_scalar(v) for v in value) and len(value) <= 8)
            or (
                isinstance(value, dict) and all(_is_scalar(v) for v in value.values()) and depth > 0
            )
        ):
            facts.append((heading, _inline(policy_kind, value)))
            continue
        if facts:
            blocks.append(Block("facts", facts=facts))
            facts = []
        blocks.append(_value(policy_kind, heading, value, depth))
    if facts:
        blocks.append(Block("facts", facts=facts))
    return blocks


def readable(policy_kind: PolicyKind | None, text: str) -> list[Block]:
    """The page's blocks for a policy file's YAML ``text`` (a text block if it is not a
    mapping)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return [Block("text", text=text)]
    if not isinstance(data, dict):
        return [Block("text", text=_inline(policy_kind, data))]
    return _mapping(policy_kind, data, 0)
