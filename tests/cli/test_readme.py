"""Every `sunlight` command in the README runs as written on a fresh demo.

The README's fenced shell blocks are parsed; each `uv run sunlight ...` command (continuation
lines joined) runs through bash in a folder whose `./var` holds a fresh demo, against a live
demo server where the command names `http://127.0.0.1:8000`. Each must exit 0 and print
something. Only commands that never exit (`serve`, `worker`) are left out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sunlight.config import load_settings
from sunlight.demo import load_demo
from sunlight.media.synth import make_clip
from sunlight.redaction.provenance import find_key, read_manifest, sign_redacted
from sunlight.runtime import Runtime, start
from tests.support.server import live_server

README = Path(__file__).resolve().parents[2] / "README.md"
LONG_RUNNING = {"serve", "worker"}
DEMO_SERVER = "http://127.0.0.1:8000"


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, flags=re.S | re.M)


def verb(command: str) -> str:
    """The `sunlight` subcommand a command line runs ('' if none)."""
    match = re.search(r"\bsunlight\s+([a-z-]+)", command)
    return match.group(1) if match else ""


def readme_commands(text: str) -> list[str]:
    """The `uv run sunlight ...` commands of the README's shell blocks, in order."""
    commands: list[str] = []
    for block in shell_blocks(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "sunlight " not in line:
                continue
            if verb(line) in LONG_RUNNING:
                continue
            commands.append(line)
    return commands


def test_readme_parser_finds_the_examples() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    verbs = {verb(c) for c in commands}
    # The README's promises: each of these is shown, and none hides in prose.
    assert {
        "verify",
        "audit",
        "ingest",
        "redact",
        "witness",
        "retention",
        "import",
        "compliance",
    } <= verbs
    assert all(c.startswith("uv run sunlight ") for c in commands), commands


@pytest.fixture
def demo_home(tmp_path: Path) -> Iterator[tuple[Path, Runtime]]:
    home = tmp_path / "var"
    env = {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}
    runtime = start(load_settings(env))
    load_demo(runtime)
    yield tmp_path, runtime
    runtime.close()


@pytest.mark.slow
def test_every_readme_command_runs_on_the_demo(demo_home: tuple[Path, Runtime]) -> None:
    folder, runtime = demo_home
    bin_dir = Path(sys.executable).parent
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SUNLIGHT_") and key != "VIRTUAL_ENV"
    }
    env["SUNLIGHT_HOME"] = str(folder / "var")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 10
    with live_server(runtime) as url:
        for command in commands:
            # `uv run` would sync a project here; the test runs the same entry point directly.
            runnable = command.removeprefix("uv run ").replace(DEMO_SERVER, url)
            done = subprocess.run(
                ["bash", "-c", runnable],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=300,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            # Human-readable reports may go to stderr (progress bars, `ingest`); --json to stdout.
            assert (done.stdout + done.stderr).strip(), f"{command} printed nothing"
            if "--json" in command:
                json.loads(done.stdout)


def test_operators_c2pa_recipe_makes_a_trusted_signer(tmp_path: Path) -> None:
    """The OpenSSL recipe in docs/operators.md, run as written, gives a chain that signs a
    redacted copy whose manifest reads as Trusted under the department's root."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    docs = (README.parent / "docs" / "operators.md").read_text(encoding="utf-8")
    recipe = next(b for b in shell_blocks(docs) if "openssl" in b)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    home = tmp_path / "home"
    (home / "c2pa").mkdir(parents=True)
    for name in ("chain.pem", "key.pem"):
        shutil.copyfile(tmp_path / name, home / "c2pa" / name)
    key = find_key(home)
    assert key is not None
    make_clip(tmp_path / "copy.mp4", seconds=1.0, width=160, height=120, seed=1)
    info = sign_redacted(
        source=tmp_path / "copy.mp4",
        destination=tmp_path / "signed.mp4",
        original=tmp_path / "copy.mp4",
        original_sha256="0" * 64,
        plan_sha256="1" * 64,
        statutes=["RSMo 610.024"],
        tool_version="test",
        key=key,
        title="recipe check",
    )
    assert "CN=KCPD redaction signer" in info["signer"]
    root = (tmp_path / "root.pem").read_text(encoding="utf-8")
    manifest = read_manifest(tmp_path / "signed.mp4", trust_anchors_pem=root)
    assert manifest["validation_state"] == "Trusted"
