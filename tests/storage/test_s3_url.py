"""Storage URLs for S3 and the part-size schedule: no server needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import FlexibleChecksumError

from sunlight.storage import IntegrityError, StorageError, open_store
from sunlight.storage.s3 import DEFAULT_PART_SIZE, MAX_PARTS, S3ObjectStore


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Building a client must not depend on (or read) the developer's AWS setup.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")


def test_from_url_parses_bucket_prefix_endpoint_region() -> None:
    store = S3ObjectStore.from_url(
        "s3://evidence/kcpd/bwc/?endpoint=http://127.0.0.1:8333&region=us-east-2"
    )
    assert store.bucket == "evidence"
    assert store.prefix == "kcpd/bwc/"
    assert store.endpoint_url == "http://127.0.0.1:8333"
    assert store.region == "us-east-2"
    assert store.addressing_style == "path"  # self-hosted endpoints: no bucket subdomains
    assert store.url == "s3://evidence/kcpd/bwc?endpoint=http://127.0.0.1:8333&region=us-east-2"
    assert S3ObjectStore.from_url(store.url).url == store.url
    assert store.key_for("ab" * 32) == f"kcpd/bwc/sha256/ab/ab/{'ab' * 32}"
    assert store.local_path("ab" * 32) is None


def test_from_url_bucket_only() -> None:
    store = S3ObjectStore.from_url("s3://evidence")
    assert (store.bucket, store.prefix, store.endpoint_url) == ("evidence", "", None)
    assert store.addressing_style == "auto"
    assert store.url == "s3://evidence"
    assert S3ObjectStore.from_url("s3://evidence?addressing=virtual").addressing_style == "virtual"


def test_open_store_picks_s3() -> None:
    store = open_store("s3://evidence/p?endpoint=http://127.0.0.1:1")
    assert isinstance(store, S3ObjectStore)


@pytest.mark.parametrize(
    "url",
    [
        "s3://key:secret@evidence",
        "s3://evidence?access_key=AKIA&secret_key=x",
        "s3://evidence?aws_secret_access_key=x",
    ],
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="AWS_ACCESS_KEY_ID"):
        S3ObjectStore.from_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3:///prefix", "bucket"),
        ("s3://evidence:9000/p", "bucket"),
        ("s3://evidence?endpoint=127.0.0.1:8333", "endpoint"),
        ("s3://evidence?colour=blue", "unknown"),
        ("s3://evidence?addressing=sideways", "addressing"),
        ("http://evidence", "s3://"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S3ObjectStore.from_url(url)


def test_part_sizes_grow_so_a_stream_can_reach_5_tib() -> None:
    store = S3ObjectStore("evidence", endpoint_url="http://127.0.0.1:1")
    sizes = [store._part_size_for(n) for n in range(1, MAX_PARTS + 1)]
    assert sizes[0] == sizes[999] == DEFAULT_PART_SIZE
    assert sizes[1000] == 2 * DEFAULT_PART_SIZE
    assert max(sizes) == 128 * DEFAULT_PART_SIZE  # the most memory one part buffer takes
    assert sum(sizes) >= 5 * 1024**4
    assert all(s >= 5 * 1024**2 for s in sizes)


def test_part_sizes_below_the_s3_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        S3ObjectStore("evidence", part_size=1024 * 1024)


def test_unreachable_endpoint_is_a_storage_error() -> None:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1),
    )
    store = S3ObjectStore("evidence", endpoint_url="http://127.0.0.1:9", client=client)
    with pytest.raises(StorageError, match="cannot talk to"):
        store.exists("0" * 64)
    with pytest.raises(StorageError, match="cannot talk to"):
        list(store.iter_range("0" * 64))


def test_missing_credentials_are_a_clear_storage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3ObjectStore.from_url("s3://evidence?endpoint=http://127.0.0.1:9")
    with pytest.raises(StorageError, match="no S3 credentials"):
        store.exists("0" * 64)


class _RottenBody:
    """A response body whose bytes fail botocore's check against the stored checksum."""

    def __init__(self) -> None:
        self.sent = False

    def read(self, amt: int | None = None) -> bytes:
        if not self.sent:
            self.sent = True
            return b"rotten"
        raise FlexibleChecksumError(error_msg="Expected checksum x did not match calculated y")

    def close(self) -> None:
        pass


class _RottenClient:
    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": _RottenBody()}


def test_server_checksum_mismatch_is_an_integrity_failure(tmp_path: Path) -> None:
    store = S3ObjectStore("evidence", client=cast(Any, _RottenClient()))
    assert store.verify("0" * 64) is False
    with pytest.raises(IntegrityError, match="checksum"):
        store.fetch_to("0" * 64, tmp_path / "copy")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IntegrityError):
        list(store.iter_range("0" * 64))
