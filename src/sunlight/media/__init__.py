"""Everything in Sunlight that touches audio/video bytes.

- ``probe`` describes a file and decides, by decoding, whether it plays; it
  never raises, because damaged evidence is a finding to record, not a crash.
- ``make_proxy``, ``make_poster`` and ``make_thumbnail_strip`` derive
  browser-friendly media from an original, writing atomically.
- ``synth`` builds realistic test and demo clips, including damaged ones.
- ``structure`` reads MP4/MOV box and Matroska element headers, e.g. to
  check that a file is faststart.

All work goes through PyAV (bundled FFmpeg); no ffmpeg binary is needed.
Failures to read or write media surface as ``MediaError``.
"""

from sunlight.media.errors import MediaError
from sunlight.media.probe import GPS, MediaInfo, probe
from sunlight.media.proxy import make_poster, make_proxy, make_thumbnail_strip
from sunlight.media.structure import is_faststart, top_level_boxes
from sunlight.media.synth import make_clip, make_corrupt_variants, make_truncated

__all__ = [
    "GPS",
    "MediaError",
    "MediaInfo",
    "is_faststart",
    "make_clip",
    "make_corrupt_variants",
    "make_poster",
    "make_proxy",
    "make_thumbnail_strip",
    "make_truncated",
    "probe",
    "top_level_boxes",
]
