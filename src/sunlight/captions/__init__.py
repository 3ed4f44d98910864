"""Captions and transcripts of recordings (WebVTT): versions made and corrected by staff,
approved before release, optionally drafted by a speech recogniser."""
