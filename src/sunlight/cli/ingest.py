"""`sunlight ingest`: a dock folder or files, with a progress bar and a summary."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sunlight.access import Principal
from sunlight.evidence.ingest import (
    IngestError,
    IngestMetadata,
    IngestResult,
    check_metadata,
    ingest_file,
    metadata_from,
    sidecar_for,
)
from sunlight.runtime import Runtime


@dataclass
class Plan:
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def collect(paths: tuple[Path, ...]) -> Plan:
    """Expand folders recursively; leave out sidecars and hidden files (dock temp files)."""
    plan = Plan()
    seen: set[Path] = set()

    def consider(path: Path) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        if path.name.startswith("."):
            plan.skipped.append(f"{path}: hidden file")
        elif path.suffix == ".json" and _is_sidecar(path):
            return
        elif not path.is_file():
            plan.skipped.append(f"{path}: not a regular file")
        else:
            plan.files.append(path)

    for path in paths:
        if path.is_dir():
            for child in sorted(_walk(path)):
                consider(child)
        else:
            consider(path)
    return plan


def _walk(folder: Path) -> Iterator[Path]:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            yield from _walk(child)
        else:
            yield child


def _is_sidecar(path: Path) -> bool:
    stem = path.name[: -len(".json")]
    video = path.with_name(stem)
    if video.is_file():
        return True
    return any(
        sibling != path and sidecar_for(sibling) == path
        for sibling in path.parent.glob(stem + ".*")
    )


def run_ingest(
    runtime: Runtime,
    paths: tuple[Path, ...],
    *,
    officer: str | None,
    device: str | None,
    recorded_at: datetime | None,
    as_json: bool,
) -> dict[str, Any]:
    # Fail before any byte moves when the operator named someone or something unknown.
    try:
        check_metadata(
            runtime,
            IngestMetadata("check", officer_badge=officer, device_serial=device),
        )
    except IngestError as exc:
        raise click.ClickException(str(exc)) from exc

    plan = collect(paths)
    total_bytes = sum(p.stat().st_size for p in plan.files)
    console = Console(file=sys.stderr)
    results: list[IngestResult] = []
    errors: list[dict[str, str]] = []

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=as_json,
        disable=not console.is_terminal and as_json,
    ) as progress:
        task = progress.add_task("ingesting", total=total_bytes)
        for path in plan.files:
            progress.update(task, description=path.name[:40])
            try:
                meta = metadata_from(
                    path,
                    officer=officer,
                    device=device,
                    recorded_at=recorded_at,
                    max_sidecar_bytes=runtime.settings.max_metadata_bytes,
                )
                result = ingest_file(
                    runtime,
                    path,
                    meta,
                    actor=Principal.cli().id,
                    source="cli",
                    progress=lambda n: progress.advance(task, n),
                )
            except (IngestError, OSError) as exc:
                errors.append({"path": str(path), "error": str(exc)})
                progress.advance(task, path.stat().st_size if path.exists() else 0)
                if not as_json:
                    console.print(f"[red]error[/red] {path}: {exc}")
                continue
            results.append(result)
            if not as_json:
                _print_result(console, path, result)

    summary = {
        "files": len(plan.files),
        "ingested": sum(r.status == "ingested" for r in results),
        "duplicates": sum(r.status == "duplicate" for r in results),
        "flagged": sum(r.flagged and r.status == "ingested" for r in results),
        "errors": len(errors),
        "bytes": total_bytes,
    }
    report: dict[str, Any] = {
        "ingested": [r.to_dict() for r in results if r.status == "ingested"],
        "duplicates": [r.to_dict() for r in results if r.status == "duplicate"],
        "flagged": [r.to_dict() for r in results if r.flagged and r.status == "ingested"],
        "errors": errors,
        "skipped": plan.skipped,
        "summary": summary,
    }
    if not as_json:
        s = summary
        console.print(
            f"\n[bold]{s['ingested']} ingested[/bold], {s['duplicates']} already in custody "
            f"(same SHA-256), {s['flagged']} flagged, {s['errors']} errors"
            + (f", {len(plan.skipped)} skipped" if plan.skipped else "")
        )
    return report


def _print_result(console: Console, path: Path, result: IngestResult) -> None:
    if result.status == "duplicate":
        console.print(
            f"[yellow]duplicate[/yellow] {path} = recording {result.recording_id} "
            f"(sha256 {result.sha256[:16]}…), not ingested again"
        )
    elif result.flagged:
        console.print(
            f"[magenta]flagged[/magenta] {path} → recording {result.recording_id}: "
            f"{result.flag_reason}"
        )
    else:
        console.print(
            f"[green]ingested[/green] {path} → recording {result.recording_id} "
            f"sha256 {result.sha256}"
        )
