"""SQL run outside the application, as a database administrator at a psql prompt would:
the tamper tests' hostile insider."""

from __future__ import annotations

from sunlight.runtime import Runtime


def dba(rt: Runtime, *statements: str) -> None:
    """Run ``statements`` in one transaction on a raw connection, bypassing every session."""
    raw = rt.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement in statements:
            cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()
