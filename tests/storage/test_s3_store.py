"""What only the S3 back end does: staging and copies, server checksums, failures that must
leave nothing behind, credentials and buckets, sweeping, and Object Lock retention."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sunlight.storage import IntegrityError, ObjectNotFound, StorageError
from sunlight.storage.s3 import MIN_PART_SIZE, S3ObjectStore
from tests.storage.conftest import s3_leftovers
from tests.storage.streams import MiB, digest_of, generator_stream, pseudo_random_chunks, sha
from tests.support.seaweed import S3TestServer

pytestmark = pytest.mark.services


@pytest.fixture
def store(s3: S3TestServer, s3_prefix: str) -> S3ObjectStore:
    return S3ObjectStore(
        s3.bucket, s3_prefix, endpoint_url=s3.endpoint, region=s3.region, client=s3.client()
    )


def test_from_url_with_credentials_from_the_environment(s3: S3TestServer, s3_prefix: str) -> None:
    store = S3ObjectStore.from_url(s3.store_url(s3_prefix))
    store.check()
    digest = store.put_stream(io.BytesIO(b"via from_url")).sha256
    assert list(store.iter_objects()) == [digest]


@pytest.fixture
def small_parts(s3: S3TestServer, s3_prefix: str) -> S3ObjectStore:
    """Parts and copies at S3's 5 MiB minimum, so multipart paths run on small objects."""
    return S3ObjectStore(
        s3.bucket,
        s3_prefix,
        endpoint_url=s3.endpoint,
        region=s3.region,
        client=s3.client(),
        part_size=MIN_PART_SIZE,
        copy_part_size=MIN_PART_SIZE,
        max_single_copy=MIN_PART_SIZE,
    )


def head(s3: S3TestServer, store: S3ObjectStore, digest: str) -> dict[str, object]:
    return dict(
        s3.client().head_object(
            Bucket=store.bucket, Key=store.key_for(digest), ChecksumMode="ENABLED"
        )
    )


def test_small_object_records_its_sha256(s3: S3TestServer, store: S3ObjectStore) -> None:
    digest = store.put_stream(io.BytesIO(b"evidence")).sha256
    info = head(s3, store, digest)
    assert info["Metadata"] == {"sha256": digest}
    # A single PutObject carries the full-object SHA-256, which the server re-checked.
    assert info["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(digest)).decode()


def test_staged_copy_in_parts(s3: S3TestServer, small_parts: S3ObjectStore) -> None:
    """Unknown digest, bigger than one part: staging upload, then UploadPartCopy into place
    (max_single_copy is lowered so the >5 GB path runs on 12 MiB)."""
    size = 12 * MiB + 3
    expected = digest_of(pseudo_random_chunks(size, seed=11))
    stored = small_parts.put_stream(generator_stream(pseudo_random_chunks(size, 11)))
    assert (stored.sha256, stored.size, stored.created) == (expected, size, True)
    assert small_parts.verify(expected)
    info = head(s3, small_parts, expected)
    assert info["Metadata"] == {"sha256": expected}
    assert info["ContentLength"] == size
    assert s3_leftovers(s3.client(), small_parts) == []


def test_staged_single_copy(s3: S3TestServer, store: S3ObjectStore) -> None:
    size = 17 * MiB
    expected = digest_of(pseudo_random_chunks(size, seed=12))
    stored = store.put_stream(generator_stream(pseudo_random_chunks(size, 12)))
    assert stored.sha256 == expected
    assert head(s3, store, expected)["Metadata"] == {"sha256": expected}
    assert s3_leftovers(s3.client(), store) == []


def test_invalid_expected_digest_is_a_value_error(store: S3ObjectStore) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.put_stream(io.BytesIO(b"x"), expected_sha256="ABC")


class Explodes(io.RawIOBase):
    """Yields ``good`` bytes, then fails the way a dropped client upload does."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left)
        buffer[:n] = b"\x01" * n
        self.left -= n
        return n


@pytest.mark.parametrize("known", [False, True], ids=["staging", "direct"])
def test_a_stream_failing_midway_leaves_nothing(
    s3: S3TestServer, small_parts: S3ObjectStore, known: bool
) -> None:
    expected = sha(b"whatever") if known else None
    with pytest.raises(ConnectionResetError):
        small_parts.put_stream(io.BufferedReader(Explodes(12 * MiB)), expected_sha256=expected)
    assert list(small_parts.iter_objects()) == []
    assert s3_leftovers(s3.client(), small_parts) == []


@pytest.mark.parametrize("size", [1000, 6 * MiB], ids=["small", "multipart"])
def test_put_file_move_with_a_wrong_hash_keeps_the_file(
    s3: S3TestServer, small_parts: S3ObjectStore, tmp_path: Path, size: int
) -> None:
    # Unlike the local store's rename, an upload hashes anyway, so it checks the claim.
    path = tmp_path / "upload.bin"
    path.write_bytes(b"\x02" * size)
    with pytest.raises(IntegrityError):
        small_parts.put_file(path, sha256=sha(b"not these bytes"), move=True)
    assert path.exists()
    assert list(small_parts.iter_objects()) == []
    assert s3_leftovers(s3.client(), small_parts) == []


def test_fetch_to_refuses_corrupted_bytes(
    s3: S3TestServer, store: S3ObjectStore, tmp_path: Path
) -> None:
    digest = store.put_stream(io.BytesIO(b"original")).sha256
    s3.client().put_object(Bucket=store.bucket, Key=store.key_for(digest), Body=b"tampered")
    with pytest.raises(IntegrityError):
        store.fetch_to(digest, tmp_path / "copy")
    assert list(tmp_path.iterdir()) == []


def test_wrong_credentials_are_a_clear_storage_error(
    s3: S3TestServer, s3_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    store = S3ObjectStore.from_url(s3.store_url(s3_prefix))
    with pytest.raises(StorageError, match="AWS_ACCESS_KEY_ID") as caught:
        store.put_stream(io.BytesIO(b"x"))
    assert not isinstance(caught.value, ObjectNotFound)
    with pytest.raises(StorageError, match="AWS_ACCESS_KEY_ID"):
        list(store.iter_range("0" * 64))
    with pytest.raises(StorageError, match="AWS_ACCESS_KEY_ID"):
        store.check()


def test_missing_bucket_is_a_clear_storage_error(s3: S3TestServer) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    store = S3ObjectStore(missing, endpoint_url=s3.endpoint, client=s3.client())
    with pytest.raises(StorageError, match="does not exist"):
        list(store.iter_objects())
    with pytest.raises(StorageError):
        store.check()
    if s3.started_in_s is not None:
        # Only our SeaweedFS runs with -s3.autoCreateBucket=false; by default SeaweedFS
        # creates a bucket on the first upload, as a CI-provided one may.
        with pytest.raises(StorageError, match="does not exist"):
            store.put_stream(io.BytesIO(b"x" * 100))


def test_sweep_staging_removes_only_abandoned_writes(
    s3: S3TestServer, store: S3ObjectStore
) -> None:
    client = s3.client()
    client.put_object(Bucket=store.bucket, Key=store.staging_prefix + "crashed", Body=b"x")
    client.create_multipart_upload(Bucket=store.bucket, Key=store.key_for("1" * 64))
    kept = store.put_stream(io.BytesIO(b"acknowledged")).sha256
    assert len(s3_leftovers(client, store)) == 2
    assert store.sweep_staging(older_than_s=3600) == 0  # too young: may be in progress
    assert store.sweep_staging(older_than_s=0) == 2
    assert s3_leftovers(client, store) == []
    assert list(store.iter_objects()) == [kept]


# -- Object Lock ----------------------------------------------------------------------------


@pytest.fixture
def locked_bucket(s3: S3TestServer) -> str:
    name = f"locked-{uuid.uuid4().hex[:10]}"
    client = s3.client()
    try:
        client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    except Exception as exc:  # a server without Object Lock: nothing to test
        pytest.skip(f"this S3 server cannot create Object Lock buckets: {exc}")
    return name


@pytest.fixture
def locked_store(s3: S3TestServer, locked_bucket: str) -> S3ObjectStore:
    return S3ObjectStore(
        locked_bucket,
        "p",
        endpoint_url=s3.endpoint,
        region=s3.region,
        client=s3.client(),
        part_size=MIN_PART_SIZE,
    )


def test_compliance_lock_blocks_delete_until_its_date(locked_store: S3ObjectStore) -> None:
    digest = locked_store.put_stream(io.BytesIO(b"evidence under retention")).sha256
    assert locked_store.locked_until(digest) is None
    until = (datetime.now(UTC) + timedelta(seconds=60)).replace(microsecond=0)
    locked_store.lock_object(digest, until)
    assert locked_store.locked_until(digest) == until

    with pytest.raises(StorageError, match="retention until"):
        locked_store.delete(digest)
    assert locked_store.exists(digest)
    assert locked_store.verify(digest)

    with pytest.raises(StorageError, match="never shortened"):
        locked_store.lock_object(digest, until - timedelta(seconds=30))
    locked_store.lock_object(digest, until + timedelta(seconds=30))
    assert locked_store.locked_until(digest) == until + timedelta(seconds=30)

    with pytest.raises(ValueError, match="timezone"):
        locked_store.lock_object(digest, datetime(2030, 1, 1))
    with pytest.raises(ObjectNotFound):
        locked_store.lock_object("2" * 64, until)


def test_lock_needs_an_object_lock_bucket(store: S3ObjectStore) -> None:
    digest = store.put_stream(io.BytesIO(b"plain bucket")).sha256
    with pytest.raises(StorageError, match="Object Lock"):
        store.lock_object(digest, datetime.now(UTC) + timedelta(days=1))


def test_versioned_bucket_delete_removes_every_version(
    s3: S3TestServer, locked_store: S3ObjectStore
) -> None:
    digest = locked_store.put_stream(io.BytesIO(b"disposable")).sha256
    assert locked_store.delete(digest) is True
    client = s3.client()
    versions = client.list_object_versions(
        Bucket=locked_store.bucket, Prefix=locked_store.key_for(digest)
    )
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
    assert locked_store.delete(digest) is False


def test_versioned_bucket_keeps_no_staging_versions(
    s3: S3TestServer, locked_store: S3ObjectStore
) -> None:
    size = 6 * MiB
    stored = locked_store.put_stream(generator_stream(pseudo_random_chunks(size, 13)))
    assert locked_store.verify(stored.sha256)
    versions = s3.client().list_object_versions(
        Bucket=locked_store.bucket, Prefix=locked_store.staging_prefix
    )
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
