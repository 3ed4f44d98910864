"""Redaction: detect and track faces, plan, review, render, with provenance."""
