"""Retention: the published schedule, legal holds, and deletions that are never silent."""
