"""Content-addressed storage in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph).

Objects live under ``<prefix>sha256/ab/cd/<digest>`` with the digest also recorded as user
metadata ``sha256`` (and as ``x-amz-checksum-sha256`` where the server keeps one), so the
bucket is self-describing without the database.

A content key only ever appears through an atomic request (PutObject, CopyObject or
CompleteMultipartUpload), and only after the bytes have been hashed and compared, so a
reader never sees a half-written or wrongly named object:

- up to one part (16 MiB) the whole object is in memory, the digest is known before
  anything is sent, and one PutObject carrying ``x-amz-checksum-sha256`` writes it; the
  server re-checks that checksum;
- larger objects with a known digest (``expected_sha256``, ``put_file(sha256=...)``)
  stream as a multipart upload straight to the content key, completed only if the bytes
  hashed to that digest and aborted otherwise;
- larger objects of unknown digest stream as a multipart upload to ``<prefix>staging/<uuid>``,
  are server-side copied to the content key once the digest is known, and the staging object
  is deleted.

Every write to a content key is conditional (``If-None-Match: *``) so an existing object is
never replaced. A crash can leave an incomplete multipart upload or a staging object, never
a content key: ``sweep_staging`` clears those (an ``AbortIncompleteMultipartUpload``
lifecycle rule on the bucket does the same server-side).

Credentials come from the standard boto3 chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, a profile, an instance role), never from the URL.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NoReturn, cast
from urllib.parse import parse_qsl, urlencode, urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from sunlight.storage.base import (
    CHUNK_SIZE,
    IntegrityError,
    ObjectNotFound,
    ProgressCallback,
    StorageError,
    StoredObject,
    check_sha256,
    object_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, CopySourceTypeDef

log = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB
DEFAULT_PART_SIZE = 16 * MiB
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PARTS = 10_000
MAX_SINGLE_COPY = 5 * GiB  # CopyObject's ceiling; larger copies go part by part
DEFAULT_COPY_PART_SIZE = 1 * GiB

# Part sizes double every 1,000 parts (up to 128x), so a stream of unknown length can still
# reach S3's 5 TiB object limit within 10,000 parts while anything under 16 GB (every
# recording) keeps the constant 16 MiB buffer.
_PARTS_PER_TIER = 1_000
_MAX_TIER = 7

AddressingStyle = Literal["auto", "path", "virtual"]
_ADDRESSING_STYLES: tuple[AddressingStyle, ...] = ("auto", "path", "virtual")
_URL_PARAMS = {"endpoint", "region", "addressing"}
_SECRET_PARAMS = {
    "access_key",
    "secret_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "session_token",
    "password",
    "token",
}
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}
_DENIED_CODES = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
_DIGEST_CODES = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"}
_NO_RETENTION_CODES = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def _body(buf: bytearray) -> bytes:
    # botocore sends a bytearray as is (bytes(buf) would copy a whole part); the type
    # stubs list only bytes.
    return cast(bytes, buf)


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    readinto: Callable[[memoryview], int | None] | None = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(target) or 0
    data = stream.read(len(target))
    target[: len(data)] = data
    return len(data)


class _HashingReader:
    """Reads a caller's stream into part buffers, hashing and reporting progress on the way."""

    def __init__(self, stream: BinaryIO, progress: ProgressCallback | None) -> None:
        self.stream = stream
        self.progress = progress
        self.digest = hashlib.sha256()
        self.size = 0

    def fill(self, buf: bytearray) -> int:
        """Fill ``buf`` from the stream; fewer bytes than its length means end of stream."""
        filled = 0
        with memoryview(buf) as view:
            while filled < len(buf):
                # Reads are capped at CHUNK_SIZE so progress moves smoothly within a part.
                with view[filled : filled + CHUNK_SIZE] as window:
                    n = _read_into(self.stream, window)
                    if not n:
                        break
                    self.digest.update(window[:n])
                filled += n
                self.size += n
                if self.progress:
                    self.progress(n)
        return filled

    def drain(self) -> None:
        buf = bytearray(CHUNK_SIZE)
        while self.fill(buf) == len(buf):
            pass

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class S3ObjectStore:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: AddressingStyle | None = None,
        client: S3Client | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        copy_part_size: int = DEFAULT_COPY_PART_SIZE,
        max_single_copy: int = MAX_SINGLE_COPY,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 store needs a bucket name")
        if part_size < MIN_PART_SIZE or copy_part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        if not MIN_PART_SIZE <= max_single_copy <= MAX_SINGLE_COPY:
            raise ValueError(f"max_single_copy must lie in {MIN_PART_SIZE}..{MAX_SINGLE_COPY}")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        self.copy_part_size = copy_part_size
        self.max_single_copy = max_single_copy
        if addressing_style is None:
            # Self-hosted servers (SeaweedFS, MinIO) rarely have wildcard DNS for
            # bucket.host names, so path style is the safe default off AWS.
            addressing_style = "path" if endpoint_url else "auto"
        self.addressing_style = addressing_style
        self.url = self._make_url()
        self._versioned: bool | None = None
        if client is None:
            config = Config(
                s3={"addressing_style": addressing_style},
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=10,
                read_timeout=120,
            )
            # A private session: boto3's default session is not safe to share across threads.
            session = boto3.session.Session()
            client = session.client(
                "s3", endpoint_url=endpoint_url, region_name=region, config=config
            )
        self.client: S3Client = client

    @classmethod
    def from_url(cls, url: str) -> S3ObjectStore:
        """``s3://bucket[/prefix][?endpoint=http://host:port&region=us-east-1&addressing=path]``."""
        parsed = urlparse(url)
        if parsed.scheme != "s3":
            raise ValueError(f"not an s3:// URL: {url!r}")
        if parsed.username is not None or parsed.password is not None:
            raise ValueError(
                "credentials do not belong in the storage URL (it is logged and shown in "
                "settings); set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an AWS profile"
            )
        bucket = parsed.netloc
        if not bucket or ":" in bucket:
            raise ValueError(f"no valid bucket in storage URL {url!r}: use s3://bucket[/prefix]")
        params: dict[str, str] = {}
        for name, value in parse_qsl(parsed.query, keep_blank_values=True):
            if name.lower() in _SECRET_PARAMS:
                raise ValueError(
                    f"{name!r} in the storage URL: keep secrets out of URLs (they end up in "
                    "logs and settings); set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY instead"
                )
            if name not in _URL_PARAMS:
                raise ValueError(
                    f"unknown storage URL parameter {name!r}; known: {sorted(_URL_PARAMS)}"
                )
            params[name] = value
        endpoint = params.get("endpoint") or None
        if endpoint is not None:
            scheme = urlparse(endpoint).scheme
            if scheme not in ("http", "https") or not urlparse(endpoint).netloc:
                raise ValueError(f"endpoint must be an http(s) URL: {endpoint!r}")
        style: AddressingStyle | None = None
        if params.get("addressing"):
            matches = [s for s in _ADDRESSING_STYLES if s == params["addressing"]]
            if not matches:
                raise ValueError(f"addressing must be one of {_ADDRESSING_STYLES}")
            style = matches[0]
        return cls(
            bucket,
            parsed.path,
            endpoint_url=endpoint,
            region=params.get("region") or None,
            addressing_style=style,
        )

    def _make_url(self) -> str:
        query = {}
        if self.endpoint_url:
            query["endpoint"] = self.endpoint_url
        if self.region:
            query["region"] = self.region
        url = f"s3://{self.bucket}/{self.prefix.rstrip('/')}".rstrip("/")
        return f"{url}?{urlencode(query, safe=':/')}" if query else url

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.url!r})"

    # -- keys and errors ----------------------------------------------------------------

    def key_for(self, sha256: str) -> str:
        return self.prefix + object_key(sha256)

    @property
    def staging_prefix(self) -> str:
        return self.prefix + "staging/"

    def _where(self) -> str:
        return self.endpoint_url or "AWS S3"

    def _fail(self, action: str, exc: Exception, sha256: str | None = None) -> NoReturn:
        if isinstance(exc, ClientError):
            code = _error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "")
            if code in _NOT_FOUND_CODES and sha256 is not None:
                raise ObjectNotFound(f"no object {sha256} in {self.url}") from exc
            if code == "NoSuchBucket":
                raise StorageError(
                    f"{action}: bucket {self.bucket!r} does not exist at {self._where()}"
                ) from exc
            if code in _DENIED_CODES:
                raise StorageError(
                    f"{action}: {self._where()} refused the request ({code}); check "
                    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy"
                ) from exc
            raise StorageError(f"{action}: {code or 'error'}: {message}".rstrip(": ")) from exc
        if isinstance(exc, NoCredentialsError):
            raise StorageError(
                f"{action}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE, or run with an instance role)"
            ) from exc
        if isinstance(exc, FlexibleChecksumError):
            # botocore checks a full-object checksum the server recorded at upload against
            # the bytes it now returns: a mismatch is rot or tampering on the server side.
            raise IntegrityError(
                f"{action}: the bytes served do not match the checksum stored with them; "
                "run `sunlight audit`"
            ) from exc
        if isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError):
            raise StorageError(f"{action}: cannot talk to {self._where()}: {exc}") from exc
        raise StorageError(f"{action}: {exc}") from exc

    @contextlib.contextmanager
    def _errors(self, action: str, sha256: str | None = None) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            self._fail(action, exc, sha256)

    def _head(self, key: str, action: str) -> int | None:
        """The size of ``key``, or None when there is no such object."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                return None
            self._fail(action, exc)
        except BotoCoreError as exc:
            self._fail(action, exc)
        return head["ContentLength"]

    def check(self) -> None:
        """Fail with a clear message unless the bucket is reachable with these credentials."""
        with self._errors(f"opening {self.url}"):
            self.client.head_bucket(Bucket=self.bucket)

    # -- writing ----------------------------------------------------------------------

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        expected_sha256: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        reader = _HashingReader(stream, progress)
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
            existing = self._head(self.key_for(expected_sha256), f"storing {expected_sha256}")
            if existing is not None:
                # Already stored: nothing to upload, but the caller is still owed the check
                # that its bytes are the ones it named.
                reader.drain()
                self._check_expected(reader, expected_sha256)
                return self._already_stored(expected_sha256, existing, reader.size)
        buf = bytearray(self.part_size)
        n = reader.fill(buf)
        if n < len(buf):
            del buf[n:]
            sha256 = reader.hexdigest()
            if expected_sha256 is not None:
                self._check_expected(reader, expected_sha256)
                return self._put_whole(sha256, buf, known_absent=True)
            return self._put_whole(sha256, buf, known_absent=False)
        if expected_sha256 is not None:
            return self._put_direct(expected_sha256, buf, reader)
        return self._put_via_staging(buf, reader)

    def put_file(
        self,
        path: Path,
        *,
        sha256: str | None = None,
        move: bool = False,
        link: bool = False,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        path = Path(path)
        if link and sha256 is None:
            raise ValueError("link=True needs the file's sha256")
        if link:
            move = False  # nothing to link to in a bucket: upload it and leave the file
        if sha256 is not None and (move or link):
            check_sha256(sha256)
            existing = self._head(self.key_for(sha256), f"storing {sha256}")
            if existing is not None:
                # Same trust as the local store's rename: the caller computed the digest
                # while the bytes streamed in, so only the size is cross-checked.
                size = path.stat().st_size
                stored = self._already_stored(sha256, existing, size)
                if progress:
                    progress(size)
                if move:
                    path.unlink()
                return stored
        # With the digest known this streams straight to the content key (no staging copy),
        # still hashing, so a wrong digest aborts the upload instead of misnaming bytes.
        with open(path, "rb") as fh:
            stored = self.put_stream(fh, expected_sha256=sha256, progress=progress)
        if move:
            path.unlink()
        return stored

    @staticmethod
    def _check_expected(reader: _HashingReader, expected: str) -> None:
        actual = reader.hexdigest()
        if actual != expected:
            raise IntegrityError(f"content hashes to {actual}, expected {expected}; nothing stored")

    def _already_stored(self, sha256: str, stored_size: int, size: int) -> StoredObject:
        if stored_size != size:
            raise StorageError(
                f"stored object {sha256} is {stored_size} bytes, not {size}; run `sunlight audit`"
            )
        return StoredObject(sha256, size, created=False)

    def _put_whole(self, sha256: str, data: bytearray, *, known_absent: bool) -> StoredObject:
        key = self.key_for(sha256)
        action = f"storing {sha256}"
        if not known_absent:
            existing = self._head(key, action)
            if existing is not None:
                return self._already_stored(sha256, existing, len(data))
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=_body(data),
                ChecksumSHA256=_b64(sha256),
                Metadata={"sha256": sha256},
                IfNoneMatch="*",
            )
        except ClientError as exc:
            code = _error_code(exc)
            if code == "PreconditionFailed":
                return StoredObject(sha256, len(data), created=False)
            if code in _DIGEST_CODES:
                raise IntegrityError(
                    f"{sha256} was corrupted on the way to {self._where()} (the server "
                    "computed another SHA-256); nothing stored"
                ) from exc
            self._fail(action, exc)
        except BotoCoreError as exc:
            self._fail(action, exc)
        return StoredObject(sha256, len(data), created=True)

    def _put_direct(self, sha256: str, first: bytearray, reader: _HashingReader) -> StoredObject:
        def check() -> None:
            self._check_expected(reader, sha256)

        completed = self._multipart(
            self.key_for(sha256),
            first,
            reader,
            metadata={"sha256": sha256},
            before_complete=check,
            exclusive=True,
        )
        return StoredObject(sha256, reader.size, created=completed is not None)

    def _put_via_staging(self, first: bytearray, reader: _HashingReader) -> StoredObject:
        staging = f"{self.staging_prefix}{uuid.uuid4().hex}"
        version = self._multipart(staging, first, reader, metadata={}, exclusive=False)
        try:
            sha256, size = reader.hexdigest(), reader.size
            existing = self._head(self.key_for(sha256), f"storing {sha256}")
            if existing is not None:
                return self._already_stored(sha256, existing, size)
            created = self._copy(staging, version, sha256, size)
            return StoredObject(sha256, size, created=created)
        finally:
            self._delete_staging(staging, version)

    def _part_size_for(self, part_number: int) -> int:
        return self.part_size << min((part_number - 1) // _PARTS_PER_TIER, _MAX_TIER)

    def _multipart(
        self,
        key: str,
        first: bytearray,
        reader: _HashingReader,
        *,
        metadata: dict[str, str],
        exclusive: bool,
        before_complete: Callable[[], None] | None = None,
    ) -> str | None:
        """Upload ``first`` and the rest of the stream as parts of one upload to ``key``.

        Returns the new object's version id ("" when the bucket is unversioned), or None when
        ``exclusive`` and the key appeared meanwhile. The upload is aborted on any failure,
        so the key never holds a partial object.
        """
        action = f"uploading to {self.bucket}/{key}"
        with self._errors(action):
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, Metadata=metadata, ChecksumAlgorithm="SHA256"
            )["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            buf, part_number = first, 1
            while True:
                with self._errors(action):
                    response = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=part_number,
                        Body=_body(buf),
                        ChecksumAlgorithm="SHA256",
                    )
                part: CompletedPartTypeDef = {"PartNumber": part_number, "ETag": response["ETag"]}
                if response.get("ChecksumSHA256"):
                    part["ChecksumSHA256"] = response["ChecksumSHA256"]
                parts.append(part)
                if len(buf) < self._part_size_for(part_number):
                    break  # a short part is the last one
                part_number += 1
                if part_number > MAX_PARTS:
                    raise StorageError(f"{action}: stream exceeds S3's 10,000-part limit")
                want = self._part_size_for(part_number)
                if len(buf) != want:
                    buf = bytearray(want)
                n = reader.fill(buf)
                if n == 0:
                    break
                if n < len(buf):
                    del buf[n:]
            if before_complete is not None:
                before_complete()
            extra: dict[str, Any] = {"IfNoneMatch": "*"} if exclusive else {}
            try:
                done = self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                    **extra,
                )
            except ClientError as exc:
                if exclusive and _error_code(exc) == "PreconditionFailed":
                    self._abort(key, upload_id)
                    return None
                raise
        except BaseException as exc:
            self._abort(key, upload_id)
            if isinstance(exc, ClientError | BotoCoreError):
                self._fail(action, exc)
            raise
        return done.get("VersionId", "")

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError) and _error_code(exc) == "NoSuchUpload":
                return
            log.warning(
                "could not abort multipart upload %s of %s (sweep_staging will): %s",
                upload_id,
                key,
                exc,
            )

    def _copy(self, staging: str, version: str | None, sha256: str, size: int) -> bool:
        """Server-side copy of staging bytes to the content key; False if it already existed."""
        key = self.key_for(sha256)
        action = f"storing {sha256}"
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": staging}
        if version and version != "null":
            source["VersionId"] = version
        if size > self.max_single_copy:
            return self._copy_in_parts(source, key, sha256, size) is not None
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource=source,
                MetadataDirective="REPLACE",
                Metadata={"sha256": sha256},
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _error_code(exc) == "PreconditionFailed":
                return False
            self._fail(action, exc)
        except BotoCoreError as exc:
            self._fail(action, exc)
        return True

    def _copy_in_parts(
        self, source: CopySourceTypeDef, key: str, sha256: str, size: int
    ) -> str | None:
        action = f"copying {sha256} into place"
        part_size = max(self.copy_part_size, -(-size // MAX_PARTS))
        with self._errors(action):
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, Metadata={"sha256": sha256}, ChecksumAlgorithm="SHA256"
            )["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            for number, start in enumerate(range(0, size, part_size), start=1):
                end = min(start + part_size, size) - 1
                result = self.client.upload_part_copy(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=source,
                    CopySourceRange=f"bytes={start}-{end}",
                )["CopyPartResult"]
                part: CompletedPartTypeDef = {"PartNumber": number, "ETag": result["ETag"]}
                if result.get("ChecksumSHA256"):
                    part["ChecksumSHA256"] = result["ChecksumSHA256"]
                parts.append(part)
            try:
                done = self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                    IfNoneMatch="*",
                )
            except ClientError as exc:
                if _error_code(exc) == "PreconditionFailed":
                    self._abort(key, upload_id)
                    return None
                raise
        except BaseException as exc:
            self._abort(key, upload_id)
            if isinstance(exc, ClientError | BotoCoreError):
                self._fail(action, exc)
            raise
        return done.get("VersionId", "")

    def _delete_staging(self, key: str, version: str | None) -> None:
        # Deleting by version id matters in versioned buckets (Object Lock needs versioning):
        # a plain delete would only add a delete marker and keep the staging bytes forever.
        extra: dict[str, Any] = {"VersionId": version} if version else {}
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, **extra)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not delete staging object %s (sweep_staging will): %s", key, exc)

    def sweep_staging(self, older_than_s: float = 24 * 3600) -> int:
        """Remove staging objects and abort multipart uploads left by a crash mid-write.

        Only entries older than ``older_than_s`` go, so uploads in progress are left alone.
        Returns how many were removed.
        """
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        removed = 0
        with self._errors("sweeping staging objects"):
            for key, version, modified in self._list_versions(self.staging_prefix):
                if modified < cutoff:
                    self.client.delete_object(Bucket=self.bucket, Key=key, **version)
                    removed += 1
            paginator = self.client.get_paginator("list_multipart_uploads")
            for prefix in (self.staging_prefix, self.prefix + "sha256/"):
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                    for upload in page.get("Uploads", []):
                        if upload["Initiated"] < cutoff:
                            self._abort(upload["Key"], upload["UploadId"])
                            removed += 1
        return removed

    def _list_versions(self, prefix: str) -> Iterator[tuple[str, dict[str, Any], datetime]]:
        """Every object (and, in versioned buckets, every version and delete marker)."""
        if not self._is_versioned():
            objects = self.client.get_paginator("list_objects_v2")
            for page in objects.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield obj["Key"], {}, obj["LastModified"]
            return
        versions = self.client.get_paginator("list_object_versions")
        for version_page in versions.paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in [
                *version_page.get("Versions", []),
                *version_page.get("DeleteMarkers", []),
            ]:
                yield entry["Key"], {"VersionId": entry["VersionId"]}, entry["LastModified"]

    def _is_versioned(self) -> bool:
        if self._versioned is None:
            try:
                status = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status")
            except BotoCoreError as exc:
                self._fail("reading bucket versioning", exc)
            except ClientError as exc:
                if _error_code(exc) not in _DENIED_CODES:
                    self._fail("reading bucket versioning", exc)
                # Without s3:GetBucketVersioning assume the common unversioned bucket; in a
                # versioned one deletes then leave noncurrent versions behind.
                log.warning("cannot read versioning of bucket %s: %s", self.bucket, exc)
                status = None
            self._versioned = status in ("Enabled", "Suspended")
        return self._versioned

    # -- reading ----------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_for(sha256), f"looking up {sha256}") is not None

    def size(self, sha256: str) -> int:
        size = self._head(self.key_for(sha256), f"looking up {sha256}")
        if size is None:
            raise ObjectNotFound(f"no object {sha256} in {self.url}")
        return size

    def stored_at(self, sha256: str) -> datetime:
        key = self.key_for(sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise ObjectNotFound(f"no object {sha256} in {self.url}") from exc
            self._fail(f"looking up {sha256}", exc)
        except BotoCoreError as exc:
            self._fail(f"looking up {sha256}", exc)
        modified = head["LastModified"]
        return modified if modified.tzinfo else modified.replace(tzinfo=UTC)

    def _chunks(
        self, sha256: str, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        key = self.key_for(sha256)
        action = f"reading {sha256}"
        if start < 0:
            raise ValueError(f"range start must not be negative: {start}")
        if end is not None and end < start:
            return
        extra: dict[str, Any] = {}
        if start > 0 or end is not None:
            # An open range on an empty object is "unsatisfiable" (416), so ask for a range
            # only when the caller did.
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"]
        except ClientError as exc:
            if _error_code(exc) == "InvalidRange":
                return  # start lies past the end: nothing to read, as with a file
            self._fail(action, exc, sha256)
        except BotoCoreError as exc:
            self._fail(action, exc, sha256)
        with contextlib.closing(body), self._errors(action, sha256):
            while chunk := body.read(chunk_size):
                yield chunk

    def iter_range(
        self, sha256: str, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_sha256(sha256)
        return self._chunks(sha256, start, end, chunk_size)

    def local_path(self, sha256: str) -> Path | None:
        check_sha256(sha256)
        return None

    def fetch_to(self, sha256: str, destination: Path) -> None:
        """Download into a temporary file beside ``destination`` and rename it into place.

        The bytes are hashed on the way, so a corrupted object raises ``IntegrityError``
        instead of reaching a media job; no fsync, because fetched copies are caches.
        """
        check_sha256(sha256)
        destination = Path(destination)
        temp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.part")
        digest = hashlib.sha256()
        try:
            with open(temp, "xb") as out:
                for chunk in self._chunks(sha256):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:
                raise IntegrityError(
                    f"stored object {sha256} hashes to {digest.hexdigest()}; run `sunlight audit`"
                )
            os.replace(temp, destination)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def delete(self, sha256: str) -> bool:
        key = self.key_for(sha256)
        action = f"deleting {sha256}"
        existed = self._head(key, action) is not None
        with self._errors(action):
            if not self._is_versioned():
                if existed:
                    self.client.delete_object(Bucket=self.bucket, Key=key)
                return existed
            # In a versioned bucket a plain delete only hides the bytes behind a delete
            # marker; retention disposal must remove them, so every version goes. Newest
            # first: if a locked version refuses, the ones before it were not hidden.
            entries = [(k, v) for k, v, _ in self._list_versions(key) if k == key]
        for _, version in entries:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key, **version)
            except ClientError as exc:
                if _error_code(exc) in _DENIED_CODES:
                    until = self._retained_until_quietly(sha256)
                    if until is not None:
                        raise StorageError(
                            f"{sha256} is under COMPLIANCE retention until {until.isoformat()} "
                            "and cannot be deleted before then"
                        ) from exc
                self._fail(action, exc)
            except BotoCoreError as exc:
                self._fail(action, exc)
        return existed

    def iter_objects(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors("listing objects"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + "sha256/"):
                for obj in page.get("Contents", []):
                    name = obj["Key"].rsplit("/", 1)[-1]
                    try:
                        check_sha256(name)
                    except ValueError:
                        log.warning("ignoring stray key %s in %s", obj["Key"], self.url)
                        continue
                    yield name

    def verify(self, sha256: str) -> bool:
        digest = hashlib.sha256()
        try:
            for chunk in self.iter_range(sha256):
                digest.update(chunk)
        except IntegrityError:
            return False  # the server's own checksum caught the damage first
        return digest.hexdigest() == sha256

    # -- retention --------------------------------------------------------------------

    def lock_object(self, sha256: str, until: datetime) -> None:
        """Forbid deleting or overwriting the object before ``until`` (S3 Object Lock,
        COMPLIANCE mode: nobody, root included, can shorten or remove it).

        The bucket must have been created with Object Lock enabled. A lock can be extended
        but never shortened; asking for an earlier date raises ``StorageError``.
        """
        if until.tzinfo is None or until.utcoffset() is None:
            raise ValueError("retention dates must be timezone-aware (use UTC)")
        key = self.key_for(sha256)
        action = f"locking {sha256}"
        try:
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=key,
                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
            )
        except ClientError as exc:
            code = _error_code(exc)
            if code in ("InvalidRequest", "InvalidBucketState"):
                raise StorageError(
                    f"{action}: bucket {self.bucket!r} does not have Object Lock enabled "
                    "(it can only be enabled when the bucket is created)"
                ) from exc
            if code in _DENIED_CODES:
                current = self._retained_until_quietly(sha256)
                if current is not None and current > until:
                    raise StorageError(
                        f"{action}: already retained until {current.isoformat()}; COMPLIANCE "
                        "retention can be extended, never shortened"
                    ) from exc
            self._fail(action, exc, sha256)
        except BotoCoreError as exc:
            self._fail(action, exc, sha256)

    def locked_until(self, sha256: str) -> datetime | None:
        """The COMPLIANCE retention date of an object, or None when it has none."""
        try:
            retention = self.client.get_object_retention(
                Bucket=self.bucket, Key=self.key_for(sha256)
            )
        except ClientError as exc:
            if _error_code(exc) in _NO_RETENTION_CODES:
                return None
            self._fail(f"reading retention of {sha256}", exc, sha256)
        except BotoCoreError as exc:
            self._fail(f"reading retention of {sha256}", exc, sha256)
        return retention.get("Retention", {}).get("RetainUntilDate")

    def _retained_until_quietly(self, sha256: str) -> datetime | None:
        try:
            return self.locked_until(sha256)
        except StorageError:
            return None
