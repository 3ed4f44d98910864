"""tus 1.0.0 resumable uploads for evidence ingest, as a FastAPI router.

Body-camera files are large and officers upload them over poor links, so uploads must
survive dropped connections, server restarts and flaky proxies without ever accepting a
corrupted byte. This is our own implementation of https://tus.io/protocols/resumable-upload
(core protocol plus the creation, creation-defer-length, creation-with-upload, checksum,
termination and expiration extensions).

Every upload lives in ``TusConfig.staging_dir`` as three files named by a random hex id:

* ``<id>.bin``  - the bytes received so far;
* ``<id>.json`` - the committed state (offset, length, metadata, expiry, completion result),
  always replaced atomically, so a reader sees the old or the new state, never half of one;
* ``<id>.lock`` - the target of ``fcntl.flock`` so that two requests (in this process or in
  another worker process) never write the same upload at once.

Durability rule: bytes are fsynced to ``<id>.bin`` *before* the offset in ``<id>.json`` moves
past them, so a crash can leave surplus bytes past the recorded offset (cut off on the next
PATCH) but never a recorded offset without its bytes.

Modules, each depending only on those above it:

* :mod:`sunlight.web.tus.config` -- ``TusConfig`` and ``CompletedUpload``, the public types.
* :mod:`sunlight.web.tus.protocol` -- protocol constants, ``TusError`` and the parsing and
  checking of tus request headers, metadata, checksums and completion headers.
* :mod:`sunlight.web.tus.state` -- the upload state on disk: info files, paths, locks and
  ``sweep_expired``.
* :mod:`sunlight.web.tus.service` -- byte handling, running hashes and ``TusService``, which
  creates uploads, stores chunks and hands finished files to ``on_complete``.
* :mod:`sunlight.web.tus.router` -- ``tus_router``, the FastAPI routes and their responses.
"""

from sunlight.web.tus.config import CompletedUpload, OnComplete, TusConfig
from sunlight.web.tus.protocol import (
    CHECKSUM_ALGORITHMS,
    HTTP_CHECKSUM_MISMATCH,
    MAX_METADATA_BYTES,
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    TusError,
)
from sunlight.web.tus.router import tus_router
from sunlight.web.tus.state import sweep_expired

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "HTTP_CHECKSUM_MISMATCH",
    "MAX_METADATA_BYTES",
    "OFFSET_CONTENT_TYPE",
    "TUS_EXTENSIONS",
    "TUS_VERSION",
    "CompletedUpload",
    "OnComplete",
    "TusConfig",
    "TusError",
    "sweep_expired",
    "tus_router",
]
