"""Database plumbing: the declarative base, UTC timestamps, engines and sessions."""

from sunlight.db.base import Base, UTCDateTime, utcnow
from sunlight.db.engine import Database, DatabaseBusy, NestedWriteSession, make_engine

__all__ = [
    "Base",
    "Database",
    "DatabaseBusy",
    "NestedWriteSession",
    "UTCDateTime",
    "make_engine",
    "utcnow",
]
