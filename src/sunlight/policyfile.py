"""One loader for every published policy file (retention, compliance, access, ...).

A policy is a YAML file with a strict pydantic schema. The packaged file is the default and
an environment variable may name another. A file that does not parse or validate stops
Sunlight from starting, with the reason. What is loaded carries its SHA-256 and text, so the
hash can be recorded with every decision and change that relies on it, and the exact file
can be shown to staff and the public.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sunlight.config import ConfigError

P = TypeVar("P", bound=BaseModel)


class PolicyFileError(ConfigError):
    """A policy file is missing, is not YAML, or does not match its schema."""


@dataclass(frozen=True)
class LoadedPolicyFile(Generic[P]):
    policy: P
    path: str
    sha256: str
    text: str


def policy_path(packaged: Path, env_var: str) -> Path:
    configured = os.environ.get(env_var)
    return Path(configured) if configured else packaged


def load_policy_file(
    schema: type[P], path: Path, *, what: str, error: type[ConfigError] = PolicyFileError
) -> LoadedPolicyFile[P]:
    """Load and validate ``path`` against ``schema``; cached until the file changes."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    loaded: LoadedPolicyFile[Any] = _load(schema, str(path), mtime, what, error)  # type: ignore[arg-type]
    return loaded


@cache
def _load(
    schema: type[BaseModel], path: str, mtime_ns: int, what: str, error: type[ConfigError]
) -> LoadedPolicyFile[Any]:
    raw = Path(path).read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise error(f"{what} {path}: not valid YAML: {exc}") from exc
    try:
        policy = schema.model_validate(data)
    except ValidationError as exc:
        raise error(f"{what} {path} is invalid:\n{exc}") from exc
    return LoadedPolicyFile(
        policy=policy, path=path, sha256=hashlib.sha256(raw).hexdigest(), text=raw.decode()
    )
