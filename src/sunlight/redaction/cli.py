"""`sunlight redact`: detect faces into a plan, import a reviewed plan, render the copy."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import select

from sunlight.access.principal import Principal
from sunlight.cli.common import emit_json, open_runtime
from sunlight.evidence.models import Recording
from sunlight.redaction import service
from sunlight.redaction.plan import PlanError, load_plan
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID


def _resolve(runtime: Runtime, ref: str) -> int:
    with runtime.db.session() as session:
        if ref.isascii() and ref.isdigit():
            number = int(ref)
            recording = session.get(Recording, number) if 1 <= number <= MAX_ID else None
        else:
            recording = session.scalar(select(Recording).where(Recording.sha256 == ref.lower()))
        if recording is None:
            raise click.ClickException(f"no recording {ref!r} (give an id or a sha256)")
        return recording.id


def _echo_progress(label: str) -> Callable[[float], None]:
    last = [-1]

    def echo(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent // 10 != last[0] // 10 or percent == 100:
            click.echo(f"{label}: {percent}%", err=True)
        last[0] = percent

    return echo


@click.command()
@click.argument("recording")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Save this reviewed plan (JSON) as the next version instead of detecting.",
)
@click.option("--render", "do_render", is_flag=True, help="Render the redacted copy and wait.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def redact(recording: str, plan_file: Path | None, do_render: bool, as_json: bool) -> None:
    """Make a redaction plan for RECORDING (an id or sha256), or save a reviewed one; with
    --render, also make the redacted copy (a new recording; the original is untouched)."""
    # Jobs this command starts run here and now; what they queue (the playback copy and
    # thumbnails of a redacted copy) goes to the background worker, as the settings say.
    runtime = open_runtime()
    try:
        recording_id = _resolve(runtime, recording)
        out: dict[str, object] = {"recording_id": recording_id}
        try:
            if plan_file is not None:
                plan = load_plan(plan_file.read_bytes())
                versions = service.plan_versions(runtime, recording_id)
                version = service.save_plan(
                    runtime,
                    recording_id,
                    plan,
                    actor=Principal.cli().id,
                    source="import",
                    parent_id=versions[-1].id if versions else None,
                    note=f"imported from {plan_file.name}",
                )
            else:
                job = service.request_detection(
                    runtime, recording_id, actor=Principal.cli().id, enqueue=False
                )
                if job.status != "done":
                    job = service.run_detection(runtime, job.id, echo=_echo_progress("detect"))
                if job.status != "done" or job.result_plan_id is None:
                    raise click.ClickException(f"detection failed: {job.error}")
                version = service.get_plan(runtime, job.result_plan_id)[0]
            out["plan"] = {
                "id": version.id,
                "version": version.version,
                "sha256": version.sha256,
                "tracks": version.track_count,
                "audio_mutes": version.mute_count,
            }
            if do_render:
                job = service.request_render(
                    runtime, version.id, actor=Principal.cli().id, enqueue=False
                )
                if job.status != "done":
                    job = service.run_render(runtime, job.id, echo=_echo_progress("render"))
                if job.status != "done":
                    raise click.ClickException(f"render failed: {job.error}")
                out["derived_recording"] = {
                    "id": job.result_recording_id,
                    "sha256": job.details.get("sha256"),
                    "c2pa_signed": bool(job.details.get("c2pa", {}).get("signed")),
                }
        except (service.RedactionError, PlanError) as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    if as_json:
        emit_json(out)
        return
    plan_info = out["plan"]
    assert isinstance(plan_info, dict)
    click.echo(
        f"plan v{plan_info['version']} (id {plan_info['id']}, sha256 {plan_info['sha256']}): "
        f"{plan_info['tracks']} tracks, {plan_info['audio_mutes']} audio ranges"
    )
    derived = out.get("derived_recording")
    if isinstance(derived, dict):
        click.echo(f"redacted copy: recording {derived['id']} sha256 {derived['sha256']}")
    sys.stdout.flush()
