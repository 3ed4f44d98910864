"""Incidents, the recordings that belong to them, and outside investigations (RSMo 610.100)."""
