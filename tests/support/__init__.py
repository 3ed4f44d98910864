"""Helpers shared by test suites (real services, fixtures data)."""
