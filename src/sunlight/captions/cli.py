"""`sunlight captions`: draft captions from speech, show them, import a WebVTT file as the
next version, and approve a version for release."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from sunlight.access.principal import Principal
from sunlight.captions import service
from sunlight.captions.vtt import CaptionError, parse_vtt, transcript_text
from sunlight.cli.common import emit_json, open_runtime
from sunlight.db.base import utcnow
from sunlight.errors import SunlightError
from sunlight.evidence.models import Recording
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID

LANGUAGE = click.option("--language", default="en", show_default=True, help="Language tag.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def _resolve(runtime: Runtime, ref: str) -> int:
    with runtime.db.session(read_only=True) as session:
        if ref.isascii() and ref.isdigit():
            number = int(ref)
            recording = session.get(Recording, number) if 1 <= number <= MAX_ID else None
        else:
            recording = session.scalar(select(Recording).where(Recording.sha256 == ref.lower()))
        if recording is None:
            raise click.ClickException(f"no recording {ref!r} (give an id or a sha256)")
        return recording.id


def _version_doc(v: service.VersionView) -> dict[str, object]:
    return {
        "recording_id": v.recording_id,
        "language": v.language,
        "version": v.version,
        "source": v.source,
        "vtt_sha256": v.vtt_sha256,
        "cues": [c.to_dict() for c in v.cues],
    }


@click.group()
def captions() -> None:
    """Captions and transcripts of recordings (WebVTT)."""


@captions.command()
@click.argument("recording")
@AS_JSON
def draft(recording: str, as_json: bool) -> None:
    """Draft English captions of RECORDING (an id or sha256) from its speech, here and now,
    as the next version (sound muted by redaction is never transcribed)."""
    runtime = open_runtime()
    try:
        recording_id = _resolve(runtime, recording)
        try:
            job = service.request_draft(
                runtime, recording_id, actor=Principal.cli().id, enqueue=False
            )
            if job.status != "done":
                job = service.run_draft(runtime, job.id, now=utcnow())
        except SunlightError as exc:
            raise click.ClickException(exc.message) from exc
        if job.status != "done":
            raise click.ClickException(f"draft failed: {job.error}")
        version = service.get_version(runtime, recording_id)
    finally:
        runtime.close()
    if as_json:
        emit_json({**job.details, **_version_doc(version), "job_id": job.id})
        return
    click.echo(
        f"version {version.version}: {len(version.cues)} cues from {job.details.get('recogniser')}"
        f" ({job.details.get('dropped_muted', 0)} dropped over muted sound)"
    )


@captions.command()
@click.argument("recording")
@LANGUAGE
@click.option("--version", "number", type=click.IntRange(1), help="Default: the newest.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["vtt", "transcript"]),
    default="vtt",
    show_default=True,
)
@AS_JSON
def show(recording: str, language: str, number: int | None, fmt: str, as_json: bool) -> None:
    """Print a caption version of RECORDING as WebVTT or as a transcript."""
    runtime = open_runtime()
    try:
        recording_id = _resolve(runtime, recording)
        try:
            version = service.get_version(runtime, recording_id, language, number)
            track = service.get_track(runtime, recording_id, language)
        except SunlightError as exc:
            raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()
    if as_json:
        assert track is not None
        emit_json(
            {
                **_version_doc(version),
                "status": track.status,
                "approved_version": track.approved_version,
            }
        )
        return
    click.echo(version.vtt if fmt == "vtt" else transcript_text(version.cues), nl=False)


@captions.command(name="import")
@click.argument("recording")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@LANGUAGE
@click.option("--note", default=None, help="Why this version (kept with it).")
@AS_JSON
def import_(recording: str, file: Path, language: str, note: str | None, as_json: bool) -> None:
    """Save FILE (WebVTT) as the next caption version of RECORDING."""
    runtime = open_runtime()
    try:
        recording_id = _resolve(runtime, recording)
        with runtime.db.session(read_only=True) as session:
            rec = session.get(Recording, recording_id)
            duration = rec.duration_s if rec is not None else None
        try:
            cues = parse_vtt(file.read_bytes(), duration_s=duration)
            version = service.save_version(
                runtime,
                recording_id,
                cues,
                language=language,
                actor=Principal.cli().id,
                source="import",
                note=note or f"imported from {file.name}",
                now=utcnow(),
            )
        except CaptionError as exc:
            raise click.ClickException(f"{file.name}: {exc.message}") from exc
    finally:
        runtime.close()
    if as_json:
        emit_json(_version_doc(version))
        return
    click.echo(f"version {version.version}: {len(version.cues)} cues, sha256 {version.vtt_sha256}")


@captions.command()
@click.argument("recording")
@click.option("--version", "number", type=click.IntRange(1), required=True)
@LANGUAGE
@AS_JSON
def approve(recording: str, number: int, language: str, as_json: bool) -> None:
    """Approve caption version VERSION (the newest) of RECORDING for release."""
    runtime = open_runtime()
    try:
        recording_id = _resolve(runtime, recording)
        try:
            track = service.approve(
                runtime,
                recording_id,
                version=number,
                language=language,
                actor=Principal.cli().id,
                now=utcnow(),
            )
        except SunlightError as exc:
            raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()
    if as_json:
        emit_json(
            {
                "recording_id": recording_id,
                "language": language,
                "status": track.status,
                "approved_version": track.approved_version,
            }
        )
        return
    click.echo(f"{language} captions of recording {recording_id}: version {number} approved")
