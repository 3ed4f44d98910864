"""Database plumbing: the declarative base, UTC timestamps, engines and sessions."""

from sunlight.db.base import Base, UTCDateTime, utcnow
from sunlight.db.engine import Database, make_engine

__all__ = ["Base", "Database", "UTCDateTime", "make_engine", "utcnow"]
