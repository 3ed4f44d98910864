"""Every domain's tables, imported in one place for Alembic and create-time checks."""

from sunlight.evidence import models as evidence_models

__all__ = ["evidence_models"]
