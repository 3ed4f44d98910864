"""Ingest throughput and peak memory: `sunlight ingest` and tus uploads vs sha256sum + cp.

    uv run python bench/ingest_bench.py            # 200 MB and 2 GB files
    uv run python bench/ingest_bench.py --quick    # 200 MB only

Baseline (same machine, same run, same file): `sha256sum FILE` then `cp FILE DEST` and
`sync DEST` (the ingest path fsyncs too). Targets: throughput >= 0.8 x baseline; peak
memory of the ingesting process < 200 MB whatever the file size.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MB = 1024 * 1024
CHUNK = 8 * MB


def make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * MB)
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            n = min(len(block), size - written)
            # vary each block so no two are identical
            fh.write(written.to_bytes(8, "big") + block[8:n] if n > 8 else block[:n])
            written += n


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) of the child, stdout.

    Peak RSS comes from GNU time, not from our own wait4(): Linux carries a forked child's
    high-water mark across exec, so wait4() would report this (large) benchmark process.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd]
        start = time.perf_counter()
        proc = subprocess.run(wrapped, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed")
        rss_kb = int(rss_file.read().strip().splitlines()[-1])
    return elapsed, rss_kb // 1024, proc.stdout.decode()


def baseline(path: Path, scratch: Path) -> tuple[float, float]:
    dest = scratch / "copy.bin"
    t_hash, _, _ = timed(["sha256sum", str(path)])
    t_cp, _, _ = timed(["cp", str(path), str(dest)])
    t_sync, _, _ = timed(["sync", str(dest)])
    dest.unlink()
    return t_hash, t_cp + t_sync


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_cli(path: Path, home: Path) -> tuple[float, int]:
    env = {**os.environ, "SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "external"}
    sunlight = shutil.which("sunlight") or "sunlight"
    # An installed system: the data folder exists and the schema is migrated already.
    subprocess.run([sunlight, "db", "upgrade"], env=env, check=True, capture_output=True)
    elapsed, rss, out = timed([sunlight, "ingest", str(path), "--json"], env=env)
    report = json.loads(out)
    assert report["summary"]["ingested"] == 1, report
    return elapsed, rss


def vm_hwm_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def bench_tus(path: Path, home: Path, expected_sha: str) -> tuple[float, int]:
    port = free_port()
    env = {**os.environ, "SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "external"}
    sunlight = shutil.which("sunlight") or "sunlight"
    server = subprocess.Popen(
        [sunlight, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        size = path.stat().st_size
        tus = {"Tus-Resumable": "1.0.0"}
        name = base64.b64encode(path.name.encode()).decode()
        with httpx.Client(base_url=base, timeout=120) as client:
            start = time.perf_counter()
            created = client.post(
                "/api/uploads",
                headers={**tus, "Upload-Length": str(size), "Upload-Metadata": f"filename {name}"},
            )
            url = created.headers["location"]
            offset = 0
            result = None
            with open(path, "rb") as fh:
                while offset < size:
                    chunk = fh.read(CHUNK)
                    digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
                    result = client.patch(
                        url,
                        content=chunk,
                        headers={
                            **tus,
                            "Content-Type": "application/offset+octet-stream",
                            "Upload-Offset": str(offset),
                            "Upload-Checksum": f"sha256 {digest}",
                        },
                    )
                    assert result.status_code == 204, result.text
                    offset += len(chunk)
            elapsed = time.perf_counter() - start
        assert result is not None and result.headers["sunlight-sha256"] == expected_sha
        return elapsed, vm_hwm_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 MB only")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (same disk as data)")
    args = parser.parse_args()
    sizes = [200 * MB] if args.quick else [200 * MB, 2048 * MB]
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="sunlight-bench-") as tmp:
        scratch = Path(tmp)
        for size in sizes:
            src = scratch / f"input-{size // MB}MB.bin"
            make_file(src, size)
            sha = hashlib.sha256()
            with open(src, "rb") as fh:
                while block := fh.read(CHUNK):
                    sha.update(block)
            t_hash, t_copy = baseline(src, scratch)
            t_base = t_hash + t_copy
            t_cli, rss_cli = bench_cli(src, scratch / f"home-cli-{size}")
            t_tus, rss_tus = bench_tus(src, scratch / f"home-tus-{size}", sha.hexdigest())
            mb = size / MB
            rows.append(
                (f"{mb:.0f} MB", "sha256sum + cp + sync (baseline)", t_base, mb / t_base, 1.0, None)
            )
            rows.append(
                (
                    f"{mb:.0f} MB",
                    "sunlight ingest (CLI)",
                    t_cli,
                    mb / t_cli,
                    t_base / t_cli,
                    rss_cli,
                )
            )
            rows.append(
                (
                    f"{mb:.0f} MB",
                    "tus upload, 8 MiB chunks + sha256",
                    t_tus,
                    mb / t_tus,
                    t_base / t_tus,
                    rss_tus,
                )
            )
            for path in scratch.glob("home-*"):
                shutil.rmtree(path)
            src.unlink()
    print()
    print(
        f"{'file':>8} | {'method':<36} | {'seconds':>7} | {'MB/s':>7} | {'x baseline':>10} | {'peak RSS':>9} | target"
    )
    print(
        "-" * 8
        + "-+-"
        + "-" * 36
        + "-+-"
        + "-" * 7
        + "-+-"
        + "-" * 7
        + "-+-"
        + "-" * 10
        + "-+-"
        + "-" * 9
        + "-+-------"
    )
    for file, method, secs, rate, ratio, rss in rows:
        rss_text = f"{rss} MB" if rss is not None else "—"
        target = "" if rss is None else ("ok" if ratio >= 0.8 and rss < 200 else "MISSED")
        print(
            f"{file:>8} | {method:<36} | {secs:7.2f} | {rate:7.0f} | {ratio:10.2f} | {rss_text:>9} | {target}"
        )
    print("\ntargets: >= 0.8 x baseline throughput; peak RSS < 200 MB (constant in file size)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
