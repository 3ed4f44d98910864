"""Sunlight: evidence custody and public release for body-worn camera video."""

__version__ = "0.1.0"
