"""tus 1.0.0 upload server: protocol, checksums, durability and the browser client."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

from sunlight.web.tus import CompletedUpload, TusConfig, sweep_expired, tus_router
from sunlight.web.tus import service as tus_service

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = "application/offset+octet-stream"
JS_CLIENT = Path(__file__).resolve().parents[2] / "src/sunlight/web/static/tus-upload.js"


class Recorder:
    """on_complete stand-in: checks the staged file independently and records each call."""

    def __init__(self, *, fail_times: int = 0, move_to: Path | None = None) -> None:
        self.calls: list[CompletedUpload] = []
        self.file_hashes: list[str] = []
        self.fail_times = fail_times
        self.move_to = move_to

    def __call__(self, upload: CompletedUpload) -> Mapping[str, str]:
        self.calls.append(upload)
        self.file_hashes.append(hashlib.sha256(upload.path.read_bytes()).hexdigest())
        if len(self.calls) <= self.fail_times:
            raise RuntimeError("storage is down")
        if self.move_to is not None:
            upload.path.rename(self.move_to / upload.sha256)
        return {"Sunlight-Recording-Id": f"rec-{len(self.calls)}", "Sunlight-SHA256": upload.sha256}


def make_config(tmp_path: Path, **changes: object) -> TusConfig:
    config = TusConfig(
        staging_dir=tmp_path / "staging",
        max_size=64 * 1024 * 1024,
        expiry=timedelta(hours=1),
        chunk_size=64 * 1024,
    )
    return replace(config, **changes)  # type: ignore[arg-type]


def make_app(
    config: TusConfig, on_complete: Callable[[CompletedUpload], Mapping[str, str]]
) -> FastAPI:
    app = FastAPI()
    app.include_router(tus_router(config, on_complete))
    return app


def make_client(
    config: TusConfig, on_complete: Callable[[CompletedUpload], Mapping[str, str]]
) -> TestClient:
    return TestClient(make_app(config, on_complete))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checksum(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm} {b64(hashlib.new(algorithm, data).digest())}"


def create(
    client: TestClient | httpx.Client, length: int | None, metadata: str | None = None
) -> str:
    sent = dict(TUS)
    if metadata is not None:
        sent["Upload-Metadata"] = metadata
    if length is None:
        sent["Upload-Defer-Length"] = "1"
    else:
        sent["Upload-Length"] = str(length)
    response = client.post("/uploads", headers=sent)
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert location.startswith("/uploads/")
    return location


def patch(
    client: TestClient | httpx.Client,
    url: str,
    offset: int,
    body: bytes,
    *,
    with_checksum: bool = True,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    sent = {**TUS, "Content-Type": OCTET, "Upload-Offset": str(offset), **(headers or {})}
    if with_checksum and "Upload-Checksum" not in sent:
        sent["Upload-Checksum"] = checksum(body)
    return client.patch(url, headers=sent, content=body)


def head(client: TestClient | httpx.Client, url: str) -> httpx.Response:
    return client.head(url, headers=TUS)


def upload_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def spy_on_rehash(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record each time the server re-reads a staged file to hash it."""
    calls: list[Path] = []
    real_hash_file = tus_service._hash_file

    def spy(path: Path, chunk_size: int) -> str:
        calls.append(path)
        return real_hash_file(path, chunk_size)

    monkeypatch.setattr(tus_service, "_hash_file", spy)
    return calls


DATA = os.urandom(300_000)
DATA_SHA = hashlib.sha256(DATA).hexdigest()


# ----------------------------------------------------------------------- core protocol


def test_options_advertises_extensions(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    response = client.options("/uploads")  # no Tus-Resumable needed for discovery
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Max-Size"] == str(64 * 1024 * 1024)
    extensions = set(response.headers["Tus-Extension"].split(","))
    assert extensions == {
        "creation",
        "creation-defer-length",
        "creation-with-upload",
        "termination",
        "checksum",
        "expiration",
    }
    assert set(response.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha256", "sha1", "md5"}


def test_chunked_upload_completes_once_with_hash_metadata_and_result_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rehashes = spy_on_rehash(monkeypatch)
    config = make_config(tmp_path)
    recorder = Recorder()
    client = make_client(config, recorder)
    metadata = f"filename {b64('bodycam 7 – día.mp4'.encode())},case {b64(b'24-0117')},flag"
    url = create(client, len(DATA), metadata)

    created = head(client, url)
    assert created.status_code == 200
    assert created.headers["Upload-Offset"] == "0"
    assert created.headers["Upload-Length"] == str(len(DATA))
    assert created.headers["Upload-Metadata"] == metadata
    assert created.headers["Cache-Control"] == "no-store"
    assert "Upload-Expires" in created.headers
    assert created.content == b""

    offset = 0
    for size in (100_000, 100_000, 100_000):
        response = patch(client, url, offset, DATA[offset : offset + size])
        assert response.status_code == 204, response.text
        offset += size
        assert response.headers["Upload-Offset"] == str(offset)
        assert response.headers["Tus-Resumable"] == "1.0.0"

    assert response.headers["Sunlight-Recording-Id"] == "rec-1"
    assert response.headers["Sunlight-SHA256"] == DATA_SHA
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in ("Location", "Upload-Offset", "Sunlight-Recording-Id", "Sunlight-SHA256"):
        assert name in exposed

    assert len(recorder.calls) == 1
    done = recorder.calls[0]
    assert done.sha256 == DATA_SHA == recorder.file_hashes[0]
    assert done.size == len(DATA)
    assert done.upload_id == upload_id(url)
    assert done.metadata == {"filename": "bodycam 7 – día.mp4", "case": "24-0117", "flag": ""}
    assert rehashes == []  # in order, in one process: hashed while streaming

    # The staging bytes are gone, the state (with the result) stays until expiry.
    assert not done.path.exists()
    finished = head(client, url)
    assert finished.status_code == 200
    assert finished.headers["Upload-Offset"] == str(len(DATA))
    assert finished.headers["Sunlight-Recording-Id"] == "rec-1"

    # Asking again (a client that lost the last reply) repeats the result, no second call.
    again = patch(client, url, len(DATA), b"")
    assert again.status_code == 204
    assert again.headers["Sunlight-Recording-Id"] == "rec-1"
    assert len(recorder.calls) == 1


def test_upload_without_checksums(tmp_path: Path) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:1000], with_checksum=False).status_code == 204
    assert patch(client, url, 1000, DATA[1000:], with_checksum=False).status_code == 204
    assert recorder.calls[0].sha256 == DATA_SHA


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256"])
def test_other_checksum_algorithms(tmp_path: Path, algorithm: str) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    url = create(client, 5000)
    bad = patch(client, url, 0, DATA[:5000], headers={"Upload-Checksum": checksum(b"x", algorithm)})
    assert bad.status_code == 460
    good = patch(
        client, url, 0, DATA[:5000], headers={"Upload-Checksum": checksum(DATA[:5000], algorithm)}
    )
    assert good.status_code == 204
    assert recorder.calls[0].sha256 == hashlib.sha256(DATA[:5000]).hexdigest()


def test_checksum_mismatch_is_460_and_offset_stays(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    recorder = Recorder()
    client = make_client(config, recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:150_000]).status_code == 204

    damaged = bytearray(DATA[150_000:])
    damaged[1234] ^= 0xFF
    response = patch(
        client, url, 150_000, bytes(damaged), headers={"Upload-Checksum": checksum(DATA[150_000:])}
    )
    assert response.status_code == 460
    assert "Checksum Mismatch" in response.text
    assert response.headers["Upload-Offset"] == "150000"
    assert head(client, url).headers["Upload-Offset"] == "150000"
    # The damaged bytes were cut off the staging file, not just hidden.
    assert (config.staging_dir / f"{upload_id(url)}.bin").stat().st_size == 150_000
    assert recorder.calls == []

    response = patch(client, url, 150_000, DATA[150_000:])
    assert response.status_code == 204
    assert recorder.calls[0].sha256 == DATA_SHA == recorder.file_hashes[0]


@pytest.mark.parametrize(
    "value",
    ["crc32 AAAAAA==", "sha256 not*base64", "sha256", f"sha256 {b64(b'short')}"],
)
def test_bad_checksum_header_is_400(tmp_path: Path, value: str) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    url = create(client, 10)
    response = patch(client, url, 0, b"0123456789", headers={"Upload-Checksum": value})
    assert response.status_code == 400
    assert head(client, url).headers["Upload-Offset"] == "0"


def test_resume_after_restart_rehashes_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    first_recorder = Recorder()
    first = make_client(config, first_recorder)
    url = create(first, len(DATA))
    assert patch(first, url, 0, DATA[:120_000]).status_code == 204

    rehashes = spy_on_rehash(monkeypatch)
    # A fresh router stands in for a restarted process: no running hash in memory.
    recorder = Recorder()
    second = make_client(config, recorder)
    offset = int(head(second, url).headers["Upload-Offset"])
    assert offset == 120_000
    while offset < len(DATA):
        response = patch(second, url, offset, DATA[offset : offset + 90_000])
        assert response.status_code == 204
        offset = int(response.headers["Upload-Offset"])
    assert first_recorder.calls == []
    assert len(recorder.calls) == 1
    assert recorder.calls[0].sha256 == DATA_SHA
    assert response.headers["Sunlight-SHA256"] == DATA_SHA
    assert len(rehashes) == 1


def test_uncommitted_bytes_from_a_crash_are_cut_off(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    recorder = Recorder()
    client = make_client(config, recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:1000]).status_code == 204
    # A crash after writing but before committing the offset leaves surplus bytes behind.
    with (config.staging_dir / f"{upload_id(url)}.bin").open("ab") as fh:
        fh.write(b"garbage" * 100)
    assert head(client, url).headers["Upload-Offset"] == "1000"
    assert patch(client, url, 1000, DATA[1000:]).status_code == 204
    assert recorder.calls[0].sha256 == DATA_SHA == recorder.file_hashes[0]


def test_defer_length(tmp_path: Path) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    url = create(client, None)
    status = head(client, url)
    assert status.headers["Upload-Defer-Length"] == "1"
    assert "Upload-Length" not in status.headers

    assert patch(client, url, 0, DATA[:200_000]).status_code == 204
    assert "Upload-Length" not in head(client, url).headers
    response = patch(
        client, url, 200_000, DATA[200_000:], headers={"Upload-Length": str(len(DATA))}
    )
    assert response.status_code == 204
    assert response.headers["Upload-Length"] == str(len(DATA))
    assert recorder.calls[0].sha256 == DATA_SHA


def test_defer_length_set_by_empty_patch_and_cannot_change(tmp_path: Path) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    url = create(client, None)
    assert patch(client, url, 0, DATA[:100]).status_code == 204
    assert patch(client, url, 100, b"", headers={"Upload-Length": "50"}).status_code == 400
    response = patch(client, url, 100, b"", headers={"Upload-Length": "200"})
    assert response.status_code == 204
    assert head(client, url).headers["Upload-Length"] == "200"
    assert (
        patch(client, url, 100, DATA[100:200], headers={"Upload-Length": "300"}).status_code == 400
    )
    assert patch(client, url, 100, DATA[100:200]).status_code == 204
    assert recorder.calls[0].sha256 == hashlib.sha256(DATA[:200]).hexdigest()


def test_creation_with_upload(tmp_path: Path) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    headers = {
        **TUS,
        "Upload-Length": str(len(DATA)),
        "Content-Type": OCTET,
        "Upload-Checksum": checksum(DATA[:1000]),
    }
    partial = client.post("/uploads", headers=headers, content=DATA[:1000])
    assert partial.status_code == 201
    assert partial.headers["Upload-Offset"] == "1000"
    url = partial.headers["Location"]
    assert patch(client, url, 1000, DATA[1000:]).status_code == 204

    headers = {**TUS, "Upload-Length": "5000", "Content-Type": OCTET}
    whole = client.post("/uploads", headers=headers, content=DATA[:5000])
    assert whole.status_code == 201
    assert whole.headers["Upload-Offset"] == "5000"
    assert whole.headers["Sunlight-Recording-Id"] == "rec-2"
    assert [c.size for c in recorder.calls] == [len(DATA), 5000]

    # A damaged first chunk still creates the upload, with nothing accepted.
    headers = {
        **TUS,
        "Upload-Length": "5000",
        "Content-Type": OCTET,
        "Upload-Checksum": checksum(b"x"),
    }
    damaged = client.post("/uploads", headers=headers, content=DATA[:5000])
    assert damaged.status_code == 201
    assert damaged.headers["Upload-Offset"] == "0"

    no_type = client.post("/uploads", headers={**TUS, "Upload-Length": "10"}, content=b"0123456789")
    assert no_type.status_code == 415


def test_empty_upload_completes_on_creation(tmp_path: Path) -> None:
    recorder = Recorder()
    client = make_client(make_config(tmp_path), recorder)
    response = client.post("/uploads", headers={**TUS, "Upload-Length": "0"})
    assert response.status_code == 201
    assert response.headers["Sunlight-SHA256"] == hashlib.sha256(b"").hexdigest()
    assert recorder.calls[0].size == 0


def test_termination(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    client = make_client(config, Recorder())
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:1000]).status_code == 204
    response = client.delete(url, headers=TUS)
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert list(config.staging_dir.iterdir()) == []
    assert head(client, url).status_code == 404
    assert patch(client, url, 1000, DATA[1000:2000]).status_code == 404
    assert client.delete(url, headers=TUS).status_code == 404


def test_expiration_410_and_sweep(tmp_path: Path) -> None:
    config = make_config(tmp_path, expiry=timedelta(milliseconds=300))
    client = make_client(config, Recorder())
    stale = create(client, len(DATA))
    assert patch(client, stale, 0, DATA[:1000]).status_code == 204
    finished = create(client, 10)
    assert patch(client, finished, 0, DATA[:10]).status_code == 204
    time.sleep(0.4)
    live = create(client, len(DATA))

    assert head(client, stale).status_code == 410
    assert patch(client, stale, 1000, DATA[1000:2000]).status_code == 410
    assert head(client, finished).status_code == 410
    assert head(client, live).status_code == 200

    removed = sweep_expired(config)
    assert sorted(removed) == sorted([upload_id(stale), upload_id(finished)])
    assert head(client, stale).status_code == 404
    assert head(client, live).status_code == 200
    remaining = {p.name.split(".")[0] for p in config.staging_dir.iterdir()}
    assert remaining == {upload_id(live)}


def test_sweep_removes_debris_of_crashed_requests(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    client = make_client(config, Recorder())
    live = create(client, 10)
    orphan = "ab" * 16
    (config.staging_dir / f"{orphan}.bin").write_bytes(b"half-created")
    (config.staging_dir / f"{orphan}.lock").touch()
    (config.staging_dir / f"{upload_id(live)}.json.tmp-0000").write_bytes(b"{")
    assert sweep_expired(config) == []  # too young to tell from a request in progress
    assert len(list(config.staging_dir.iterdir())) == 6
    two_hours_ago = time.time() - 7200
    for name in (f"{orphan}.bin", f"{orphan}.lock", f"{upload_id(live)}.json.tmp-0000"):
        os.utime(config.staging_dir / name, (two_hours_ago, two_hours_ago))
    assert sweep_expired(config) == []  # debris is not an upload
    assert sorted(p.name for p in config.staging_dir.iterdir()) == sorted(
        f"{upload_id(live)}.{suffix}" for suffix in ("bin", "json", "lock")
    )


def test_offset_mismatch_is_409(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:1000]).status_code == 204
    for offset in (0, 500, 2000):
        response = patch(client, url, offset, DATA[offset : offset + 10])
        assert response.status_code == 409
        assert response.headers["Upload-Offset"] == "1000"
    assert head(client, url).headers["Upload-Offset"] == "1000"


def test_tus_resumable_required(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    url = create(client, 10)
    for headers in ({}, {"Tus-Resumable": "0.2.2"}):
        response = client.post("/uploads", headers={**headers, "Upload-Length": "10"})
        assert response.status_code == 412
        assert response.headers["Tus-Version"] == "1.0.0"
        assert response.headers["Tus-Resumable"] == "1.0.0"
        assert client.head(url, headers=headers).status_code == 412
        sent = {**headers, "Content-Type": OCTET, "Upload-Offset": "0"}
        assert client.patch(url, headers=sent, content=b"0123456789").status_code == 412
        assert client.delete(url, headers=headers).status_code == 412
    assert head(client, url).headers["Upload-Offset"] == "0"


def test_too_large_is_413(tmp_path: Path) -> None:
    config = make_config(tmp_path, max_size=1000)
    client = make_client(config, Recorder())
    response = client.post("/uploads", headers={**TUS, "Upload-Length": "1001"})
    assert response.status_code == 413
    assert create(client, 1000)

    deferred = create(client, None)
    assert patch(client, deferred, 0, DATA[:600]).status_code == 204
    assert patch(client, deferred, 600, DATA[600:1100]).status_code == 413
    assert patch(client, deferred, 600, b"", headers={"Upload-Length": "1001"}).status_code == 413
    assert head(client, deferred).headers["Upload-Offset"] == "600"


def fake_disk(monkeypatch: pytest.MonkeyPatch, config: TusConfig, capacity: int) -> None:
    """A staging disk of ``capacity`` bytes: free space shrinks as staged bytes grow."""

    def free(folder: Path) -> int:
        used = sum(p.stat().st_size for p in config.staging_dir.glob("*.bin"))
        return capacity - used

    monkeypatch.setattr(tus_service, "free_bytes", free)


def test_declared_size_that_would_not_fit_is_507(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, reserve_bytes=1000)
    fake_disk(monkeypatch, config, 10_000)
    client = make_client(config, Recorder())
    first = create(client, 6000)  # 6000 + 1000 reserve of 10,000 free
    refused = client.post("/uploads", headers={**TUS, "Upload-Length": "3001"})
    assert refused.status_code == 507  # 6000 still owed + 3001 + 1000 > 10,000
    assert "promised to other uploads" in refused.text
    assert refused.headers["Retry-After"]
    assert len(list(config.staging_dir.glob("*.json"))) == 1  # nothing was created
    assert create(client, 3000)  # exactly fits
    # Bytes that arrived stop being owed but now take disk: the sum is unchanged.
    assert patch(client, first, 0, DATA[:4000]).status_code == 204
    assert client.post("/uploads", headers={**TUS, "Upload-Length": "1"}).status_code == 507
    # Finishing an upload hands its bytes on (here: on_complete keeps nothing) and frees them.
    assert patch(client, first, 4000, DATA[4000:6000]).status_code == 204
    assert create(client, 6000)


def test_deferred_length_is_checked_against_the_disk_as_bytes_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, reserve_bytes=1000, chunk_size=1024)
    fake_disk(monkeypatch, config, 10_000)
    client = make_client(config, Recorder())
    url = create(client, None)
    assert patch(client, url, 0, DATA[:5000]).status_code == 204
    full = patch(client, url, 5000, DATA[5000:9001])  # would leave under the 1000 reserve
    assert full.status_code == 507
    assert full.headers["Upload-Offset"] == "5000"
    assert head(client, url).headers["Upload-Offset"] == "5000"
    assert (config.staging_dir / f"{upload_id(url)}.bin").stat().st_size == 5000
    # Declaring the length later is a reservation like any other.
    late = patch(client, url, 5000, b"", headers={"Upload-Length": "9500"})
    assert late.status_code == 507
    assert "Upload-Length" not in head(client, url).headers
    done = patch(client, url, 5000, DATA[5000:8000], headers={"Upload-Length": "8000"})
    assert done.status_code == 204, done.text


def test_settings_bound_uploads() -> None:
    from sunlight.config import ConfigError, load_settings

    settings = load_settings(
        {"SUNLIGHT_MAX_UPLOAD_BYTES": "1000", "SUNLIGHT_UPLOAD_RESERVE_BYTES": "7"}
    )
    assert (settings.max_upload_bytes, settings.upload_reserve_bytes) == (1000, 7)
    assert load_settings({}).upload_reserve_bytes > 0
    with pytest.raises(ConfigError, match="must not be negative"):
        load_settings({"SUNLIGHT_UPLOAD_RESERVE_BYTES": "-1"})


@pytest.mark.parametrize(
    "metadata",
    [
        "filename not*base64",
        f"filename {b64(b'a')} extra",
        f"filename {b64(b'a')},filename {b64(b'b')}",
        f"name {b64(bytes([0xFF, 0xFE]))}",  # not UTF-8
        f",filename {b64(b'a')}",
        "big " + b64(os.urandom(13_000)),  # over 16 KiB encoded
    ],
)
def test_malformed_metadata_is_400(tmp_path: Path, metadata: str) -> None:
    config = make_config(tmp_path)
    client = make_client(config, Recorder())
    headers = {**TUS, "Upload-Length": "10", "Upload-Metadata": metadata}
    response = client.post("/uploads", headers=headers)
    assert response.status_code == 400
    assert "Upload-Metadata" in response.text
    assert list(config.staging_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Upload-Length", "-1"),
        ("Upload-Length", "abc"),
        ("Upload-Length", "1.5"),
        ("Upload-Length", "1e3"),
        ("Upload-Length", "99999999999999999999999"),
        ("Upload-Defer-Length", "0"),
    ],
)
def test_bad_creation_headers_are_400(tmp_path: Path, header: str, value: str) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    response = client.post("/uploads", headers={**TUS, header: value})
    assert response.status_code == 400


def test_creation_needs_exactly_one_length(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    assert client.post("/uploads", headers=TUS).status_code == 400
    both = {**TUS, "Upload-Length": "10", "Upload-Defer-Length": "1"}
    assert client.post("/uploads", headers=both).status_code == 400


@pytest.mark.parametrize("value", ["-1", "x", "", " 1 2"])
def test_bad_upload_offset_is_400(tmp_path: Path, value: str) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    url = create(client, 10)
    sent = {**TUS, "Content-Type": OCTET, "Upload-Offset": value}
    assert client.patch(url, headers=sent, content=b"0123456789").status_code == 400
    missing = {**TUS, "Content-Type": OCTET}
    assert client.patch(url, headers=missing, content=b"0123456789").status_code == 400


def test_wrong_content_type_is_415(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    url = create(client, 10)
    sent = {**TUS, "Content-Type": "application/octet-stream", "Upload-Offset": "0"}
    assert client.patch(url, headers=sent, content=b"0123456789").status_code == 415
    assert head(client, url).headers["Upload-Offset"] == "0"


@pytest.mark.parametrize(
    "bad_id",
    ["..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "ABCDEF" + "0" * 26, "0" * 31, "0" * 33, "g" * 32],
)
def test_invalid_upload_ids_are_404(tmp_path: Path, bad_id: str) -> None:
    config = make_config(tmp_path)
    client = make_client(config, Recorder())
    # A file an attacker would like to reach next to the staging folder.
    (tmp_path / "x.json").write_text("{}")
    url = f"/uploads/{bad_id}"
    assert client.head(url, headers=TUS).status_code == 404
    response = patch(client, url, 0, b"data")
    assert response.status_code == 404
    assert client.delete(url, headers=TUS).status_code == 404
    assert (tmp_path / "x.json").read_text() == "{}"


def test_unknown_upload_is_404_without_body_on_head(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), Recorder())
    response = head(client, "/uploads/" + "0" * 32)
    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["Tus-Resumable"] == "1.0.0"


def test_body_beyond_length_is_400_and_nothing_written(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    recorder = Recorder()
    client = make_client(config, recorder)
    url = create(client, 1000)
    data_file = config.staging_dir / f"{upload_id(url)}.bin"
    assert patch(client, url, 0, DATA[:400]).status_code == 204

    # Declared too long: refused before reading.
    response = patch(client, url, 400, DATA[400:1001])
    assert response.status_code == 400
    assert data_file.stat().st_size == 400

    # Chunked (no Content-Length): refused while streaming, written part cut off again.
    def pieces() -> Iterator[bytes]:
        for start in range(400, 1400, 100):
            yield DATA[start : start + 100]

    sent = {**TUS, "Content-Type": OCTET, "Upload-Offset": "400"}
    response = client.patch(url, headers=sent, content=pieces())
    assert response.status_code == 400
    assert data_file.stat().st_size == 400
    assert head(client, url).headers["Upload-Offset"] == "400"

    assert patch(client, url, 400, DATA[400:1000]).status_code == 204
    assert recorder.calls[0].sha256 == hashlib.sha256(DATA[:1000]).hexdigest()
    assert patch(client, url, 1000, b"x").status_code == 400


def test_on_complete_failure_is_500_then_empty_patch_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    recorder = Recorder(fail_times=1)
    client = make_client(config, recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA[:100_000]).status_code == 204
    response = patch(client, url, 100_000, DATA[100_000:])
    assert response.status_code == 500
    assert "retry with an empty PATCH" in response.text
    assert DATA_SHA in response.text
    assert head(client, url).headers["Upload-Offset"] == str(len(DATA))
    assert "Sunlight-Recording-Id" not in head(client, url).headers
    assert (config.staging_dir / f"{upload_id(url)}.bin").exists()

    # The hash is saved with the state, so even a restarted process does not re-read.
    monkeypatch.setattr(tus_service, "_hash_file", None)
    retry = patch(make_client(config, recorder), url, len(DATA), b"")
    assert retry.status_code == 204
    assert retry.headers["Sunlight-Recording-Id"] == "rec-2"
    assert [c.sha256 for c in recorder.calls] == [DATA_SHA, DATA_SHA]
    assert recorder.file_hashes == [DATA_SHA, DATA_SHA]


def test_fully_received_upload_never_expires_and_is_finished_offline(tmp_path: Path) -> None:
    config = make_config(tmp_path, expiry=timedelta(milliseconds=200))
    recorder = Recorder(fail_times=1)
    client = make_client(config, recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA).status_code == 500
    time.sleep(0.3)
    assert sweep_expired(config) == []  # every byte is in: never swept
    assert head(client, url).status_code == 200  # nor answered 410
    assert (config.staging_dir / f"{upload_id(url)}.bin").read_bytes() == DATA

    # Finished offline, the result is kept for a normal expiry (an hour here), not 200 ms: a
    # loaded machine must not let it lapse before the returning client asks.
    busy = tus_service.finish_received(config, recorder, older_than_s=3600)
    assert busy == []  # idle for less than an hour: left to the client
    config = replace(config, expiry=timedelta(hours=1))
    client = make_client(config, recorder)
    finished = tus_service.finish_received(config, recorder)
    assert [(f.upload_id, f.sha256, f.size) for f in finished] == [
        (upload_id(url), DATA_SHA, len(DATA))
    ]
    assert finished[0].result == {"Sunlight-Recording-Id": "rec-2", "Sunlight-SHA256": DATA_SHA}
    assert not (config.staging_dir / f"{upload_id(url)}.bin").exists()
    # The client that comes back learns the result, as if its own PATCH had succeeded.
    assert head(client, url).headers["Sunlight-Recording-Id"] == "rec-2"
    retry = patch(client, url, len(DATA), b"")
    assert (retry.status_code, retry.headers["Sunlight-Recording-Id"]) == (204, "rec-2")
    assert tus_service.finish_received(config, recorder) == []
    assert len(recorder.calls) == 2


def test_offline_finishing_reports_a_failure_and_keeps_the_bytes(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    recorder = Recorder(fail_times=2)
    client = make_client(config, recorder)
    url = create(client, 1000)
    assert patch(client, url, 0, DATA[:1000]).status_code == 500
    finished = tus_service.finish_received(config, recorder)
    assert len(finished) == 1 and finished[0].result is None
    assert finished[0].error == "RuntimeError: storage is down"
    assert (config.staging_dir / f"{upload_id(url)}.bin").read_bytes() == DATA[:1000]


def test_on_complete_may_move_the_file(tmp_path: Path) -> None:
    storage = tmp_path / "objects"
    storage.mkdir()
    recorder = Recorder(move_to=storage)
    client = make_client(make_config(tmp_path), recorder)
    url = create(client, len(DATA))
    assert patch(client, url, 0, DATA).status_code == 204
    assert (storage / DATA_SHA).read_bytes() == DATA


def test_on_complete_returning_bad_headers_is_500(tmp_path: Path) -> None:
    client = make_client(make_config(tmp_path), lambda upload: {"Upload-Offset": "0"})
    url = create(client, 10)
    response = patch(client, url, 0, DATA[:10])
    assert response.status_code == 500
    client = make_client(make_config(tmp_path), lambda upload: {"X-Bad": "a\r\nSet-Cookie: x"})
    url = create(client, 10)
    assert patch(client, url, 0, DATA[:10]).status_code == 500


def test_concurrent_patch_is_423(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    client = make_client(config, Recorder())
    url = create(client, 10)
    # Another worker process mid-PATCH holds the flock.
    with (config.staging_dir / f"{upload_id(url)}.lock").open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        response = patch(client, url, 0, DATA[:10])
        assert response.status_code == 423
        assert client.delete(url, headers=TUS).status_code == 423
        assert sweep_expired(config, now=time.time() + 7200) == []
    assert patch(client, url, 0, DATA[:10]).status_code == 204


def test_router_prefix_and_dependencies(tmp_path: Path) -> None:
    def require_token(request: Request) -> None:
        if request.headers.get("Authorization") != "Bearer ok":
            raise HTTPException(401)

    app = FastAPI()
    router = tus_router(
        make_config(tmp_path), Recorder(), prefix="/ingest", dependencies=[Depends(require_token)]
    )
    app.include_router(router, prefix="/api")
    client = TestClient(app)
    assert client.post("/api/ingest", headers={**TUS, "Upload-Length": "1"}).status_code == 401
    response = client.post(
        "/api/ingest", headers={**TUS, "Upload-Length": "1", "Authorization": "Bearer ok"}
    )
    assert response.status_code == 201
    assert response.headers["Location"].startswith("/api/ingest/")


# ------------------------------------------------------------------ real HTTP server


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def raw_patch_start(
    base: str,
    path: str,
    offset: int,
    total: int,
    sent: bytes,
    headers: Mapping[str, str] | None = None,
) -> socket.socket:
    """Start a PATCH by hand so the test can stop sending whenever it likes."""
    host, port = base.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)))
    lines = [
        f"PATCH {path} HTTP/1.1",
        f"Host: {host}",
        "Tus-Resumable: 1.0.0",
        f"Content-Type: {OCTET}",
        f"Upload-Offset: {offset}",
        f"Content-Length: {total}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
    return conn


def wait_for_offset(client: httpx.Client, url: str, expected: int) -> None:
    deadline = time.monotonic() + 10
    while int(head(client, url).headers["Upload-Offset"]) != expected:
        assert time.monotonic() < deadline, head(client, url).headers
        time.sleep(0.05)


def patch_when_unlocked(client: httpx.Client, url: str, offset: int, body: bytes) -> httpx.Response:
    # The server may still be finishing the dropped request (it holds the lock briefly).
    deadline = time.monotonic() + 10
    while (response := patch(client, url, offset, body)).status_code == 423:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return response


BIG = os.urandom(3 * 1024 * 1024 + 12345)
BIG_SHA = hashlib.sha256(BIG).hexdigest()


@pytest.mark.parametrize("abort", ["close", "reset"])
def test_dropped_connection_keeps_what_arrived(tmp_path: Path, abort: str) -> None:
    config = make_config(tmp_path)
    recorder = Recorder()
    with serve(make_app(config, recorder)) as base, httpx.Client(base_url=base) as client:
        url = create(client, len(BIG))
        half = len(BIG) // 2 + 7
        conn = raw_patch_start(base, url, 0, len(BIG), BIG[:half])
        time.sleep(0.5)  # let the server read everything that was sent
        if abort == "reset":
            # Linger on with a zero timeout: close() sends RST instead of FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        wait_for_offset(client, url, half)
        response = patch_when_unlocked(client, url, half, BIG[half:])
        assert response.status_code == 204, response.text
        assert response.headers["Sunlight-SHA256"] == BIG_SHA
    assert recorder.calls[0].sha256 == BIG_SHA == recorder.file_hashes[0]


def test_dropped_connection_with_checksum_drops_the_chunk(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    recorder = Recorder()
    with serve(make_app(config, recorder)) as base, httpx.Client(base_url=base) as client:
        url = create(client, len(BIG))
        assert patch(client, url, 0, BIG[:1000]).status_code == 204
        half = len(BIG) // 2
        conn = raw_patch_start(
            base,
            url,
            1000,
            len(BIG) - 1000,
            BIG[1000:half],
            headers={"Upload-Checksum": checksum(BIG[1000:])},
        )
        time.sleep(0.5)
        conn.close()
        response = patch_when_unlocked(client, url, 1000, BIG[1000:])
        assert response.status_code == 204, response.text
    assert recorder.calls[0].sha256 == BIG_SHA


def test_stalled_client_times_out_and_releases_the_lock(tmp_path: Path) -> None:
    config = make_config(tmp_path, read_timeout=0.5)
    recorder = Recorder()
    with serve(make_app(config, recorder)) as base, httpx.Client(base_url=base) as client:
        url = create(client, len(BIG))
        conn = raw_patch_start(base, url, 0, len(BIG), BIG[:100_000])
        try:
            wait_for_offset(client, url, 100_000)  # connection still open, lock released
            response = patch_when_unlocked(client, url, 100_000, BIG[100_000:])
            assert response.status_code == 204
        finally:
            conn.close()
    assert recorder.calls[0].sha256 == BIG_SHA


# --------------------------------------------------------------------- browser client

NODE_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const [script, statePath, dataPath, endpoint, stopAfter] = process.argv.slice(2);
const saved = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : {};
globalThis.localStorage = {  // survives the "page reload" through a file
  getItem: (k) => (k in saved ? saved[k] : null),
  setItem: (k, v) => { saved[k] = String(v); fs.writeFileSync(statePath, JSON.stringify(saved)); },
  removeItem: (k) => { delete saved[k]; fs.writeFileSync(statePath, JSON.stringify(saved)); },
};
vm.runInThisContext(fs.readFileSync(script, "utf8"));
const file = new File([fs.readFileSync(dataPath)], "clip.mp4",
  { type: "video/mp4", lastModified: 1700000000000 });
const progress = [];
const upload = sunlightUpload(file, {
  endpoint, chunkSize: 256 * 1024, metadata: { case: "24-0117" }, retryDelays: [50, 50, 50],
  onProgress(sent, total) {
    progress.push(sent);
    if (stopAfter !== "none" && sent >= Number(stopAfter)) upload.abort();
  },
  onDone(headers) { console.log(JSON.stringify({ done: headers, progress })); },
  onError(message) { console.log(JSON.stringify({ error: message, progress })); },
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js for the JS client")
def test_browser_client_resumes_after_reload(tmp_path: Path) -> None:
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS)
    data_path = tmp_path / "clip.mp4"
    data_path.write_bytes(BIG[: 1024 * 1024 + 99])
    expected = hashlib.sha256(data_path.read_bytes()).hexdigest()
    state = tmp_path / "local-storage.json"
    # The first completion attempt fails: the client must back off, re-sync and finish.
    recorder = Recorder(fail_times=1)

    def run_client(endpoint: str, stop_after: str) -> dict[str, object]:
        result = subprocess.run(
            [
                "node",
                str(harness),
                str(JS_CLIENT),
                str(state),
                str(data_path),
                endpoint,
                stop_after,
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=True,
        )
        outcome: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
        return outcome

    config = make_config(tmp_path)
    with serve(make_app(config, recorder)) as base:
        first = run_client(f"{base}/uploads", str(256 * 1024))
        assert first["error"] == "upload stopped"
        assert list(json.loads(state.read_text()).values())  # the upload URL was remembered

        second = run_client(f"{base}/uploads", "none")
    progress = second["progress"]
    assert isinstance(progress, list)
    assert progress[0] >= 256 * 1024  # resumed from the server's offset, not from zero
    done = second["done"]
    assert isinstance(done, dict)
    assert done["sunlight-sha256"] == expected
    assert done["sunlight-recording-id"] == "rec-2"
    assert [c.sha256 for c in recorder.calls] == [expected, expected]
    assert recorder.calls[0].metadata == {
        "filename": "clip.mp4",
        "filetype": "video/mp4",
        "case": "24-0117",
    }
    assert json.loads(state.read_text()) == {}  # forgotten once finished
