"""Child process for the crash test: ingest files one by one, printing ACK after each commit.

Run as ``python crash_child.py HOME FILE...``; the parent SIGKILLs it at random moments.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sunlight.config import load_settings
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.runtime import start


def main() -> None:
    home, *files = sys.argv[1:]
    settings = load_settings({"SUNLIGHT_HOME": home, "SUNLIGHT_WORKER_MODE": "eager"})
    runtime = start(settings)
    print("READY", flush=True)
    for name in files:
        path = Path(name)
        result = ingest_file(
            runtime,
            path,
            IngestMetadata(original_filename=path.name),
            actor="test:crash",
            source="cli",
        )
        # Only now, after the commit, is the file acknowledged.
        print(f"ACK {result.sha256} {result.recording_id}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
