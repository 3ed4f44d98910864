"""Settings: environment variables first, then an optional TOML config file, then defaults.

Everything lives under one data folder, ``SUNLIGHT_HOME`` (default ``./var``), unless the
database or storage URL points elsewhere. The embedded defaults (SQLite, local files, an
in-process worker) need no other service.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "SUNLIGHT_"


class ConfigError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    storage_url: str
    broker_url: str
    result_backend: str
    # "thread" runs a Celery worker inside the web process; "external" expects
    # `sunlight worker` processes; "eager" runs jobs inline (tests, scripts).
    worker_mode: str = "thread"
    # One upload's largest declared size (SUNLIGHT_MAX_UPLOAD_BYTES; 413 above it), and the
    # free space always kept on the uploads disk (SUNLIGHT_UPLOAD_RESERVE_BYTES; 507 when a
    # declared size plus what other uploads still owe would eat into it).
    max_upload_bytes: int = 64 * 1024**3
    upload_reserve_bytes: int = 2 * 1024**3
    max_metadata_bytes: int = 64 * 1024
    upload_expiry_hours: int = 72
    site_name: str = "Sunlight"
    department: str = "Kansas City Police Department"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def work_dir(self) -> Path:
        return self.home / "work"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_INT_FIELDS = {
    "max_upload_bytes",
    "upload_reserve_bytes",
    "max_metadata_bytes",
    "upload_expiry_hours",
}
_STR_FIELDS = {
    "database_url",
    "storage_url",
    "broker_url",
    "result_backend",
    "worker_mode",
    "site_name",
    "department",
}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: ``os.environ``) and ``SUNLIGHT_CONFIG`` if set."""
    env = dict(os.environ if env is None else env)
    file_values: dict[str, Any] = {}
    config_path = env.get(ENV_PREFIX + "CONFIG")
    if config_path:
        try:
            with open(config_path, "rb") as fh:
                file_values = tomllib.load(fh).get("sunlight", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {config_path}: {exc}") from exc

    def get(name: str) -> Any:
        return env.get(ENV_PREFIX + name.upper(), file_values.get(name))

    home = Path(get("home") or "var").expanduser().resolve()
    values: dict[str, Any] = {}
    for name in _STR_FIELDS | _INT_FIELDS:
        raw = get(name)
        if raw is None or raw == "":
            continue
        if name in _INT_FIELDS:
            try:
                values[name] = int(raw)
            except ValueError as exc:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an integer") from exc
        else:
            values[name] = str(raw)
    values.setdefault("database_url", f"sqlite:///{home / 'sunlight.db'}")
    values.setdefault("storage_url", f"file://{home / 'objects'}")
    values.setdefault("broker_url", f"sqla+sqlite:///{home / 'jobs.db'}")
    values.setdefault("result_backend", f"db+sqlite:///{home / 'job-results.db'}")
    for name in ("max_upload_bytes", "upload_reserve_bytes"):
        if values.get(name, 0) < 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must not be negative")
    if values.get("worker_mode", "thread") not in {"thread", "external", "eager"}:
        raise ConfigError("SUNLIGHT_WORKER_MODE must be one of: thread, external, eager")
    return Settings(home=home, **values)


def ensure_home(settings: Settings) -> None:
    """Create the data folder tree on first run (private: evidence lives here)."""
    for folder in (settings.home, settings.uploads_dir, settings.work_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
