"""Speech recognisers behind one interface, for drafts that staff then correct.

The default is PocketSphinx with the US English model that ships inside the pocketsphinx
package (nothing is downloaded). An operator can point ``SUNLIGHT_SPEECH_MODEL`` at a
better PocketSphinx model folder, or ``SUNLIGHT_SPEECH_BACKEND`` at a recogniser of their
own (``package.module:factory``; the factory is called with the model setting and returns
an object with ``name`` and ``transcribe``).
"""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from sunlight.captions.vtt import Cue
from sunlight.errors import InvalidInput

RATE = 16_000
#: The longest sound a draft is made for (SUNLIGHT_SPEECH_MAX_S overrides).
DEFAULT_MAX_SECONDS = 2 * 3600.0
#: Cues of a draft: at most this long, this many characters, split at pauses this long.
CUE_MAX_S = 5.0
CUE_MAX_CHARS = 84
PAUSE_S = 0.8


class SpeechError(InvalidInput):
    """The recogniser cannot be set up or run as configured."""


@runtime_checkable
class Recognizer(Protocol):
    """Turns 16 kHz mono signed 16-bit PCM into timed cues (times from the start of the
    sound). A cue may only cover sound that is in the input."""

    name: str

    def transcribe(self, pcm: bytes) -> list[Cue]: ...


@dataclass(frozen=True)
class Word:
    start_s: float
    end_s: float
    text: str


def words_to_cues(words: list[Word]) -> list[Cue]:
    """Group timed words into caption cues: a new cue at a pause, or when the current one
    would run past ``CUE_MAX_S`` or ``CUE_MAX_CHARS``."""
    cues: list[Cue] = []
    group: list[Word] = []

    def flush() -> None:
        if group:
            text = " ".join(w.text for w in group)
            cues.append(Cue(round(group[0].start_s, 3), round(group[-1].end_s, 3), text))
            group.clear()

    for word in sorted(words, key=lambda w: w.start_s):
        if group:
            joined = len(" ".join(w.text for w in group)) + 1 + len(word.text)
            if (
                word.start_s - group[-1].end_s >= PAUSE_S
                or word.end_s - group[0].start_s > CUE_MAX_S
                or joined > CUE_MAX_CHARS
            ):
                flush()
        if cues and word.start_s < cues[-1].end_s:  # never overlap the cue before
            word = Word(cues[-1].end_s, max(word.end_s, cues[-1].end_s + 0.01), word.text)
        group.append(word)
    flush()
    return cues


def _spoken(token: str) -> str | None:
    """A decoder token as a word: None for silence and fillers (<s>, <sil>, [NOISE]);
    alternate pronunciations (``word(2)``) lose their marker."""
    if not token or token.startswith(("<", "[", "+")):
        return None
    if token.endswith(")") and "(" in token:
        token = token[: token.index("(")]
    return token or None


def _find_model(folder: Path) -> dict[str, str]:
    """The acoustic model, language model and dictionary in a model folder laid out like
    pocketsphinx's own ``en-us`` (an acoustic model folder holding ``mdef``, a ``*.lm.bin``
    or ``*.lm``, and a ``*.dict``)."""
    if not folder.is_dir():
        raise SpeechError(f"SUNLIGHT_SPEECH_MODEL: no folder {folder}")
    hmm = folder if (folder / "mdef").is_file() else None
    if hmm is None:
        hmm = next((p.parent for p in sorted(folder.glob("*/mdef"))), None)
    lms = sorted(p for p in folder.glob("*.lm*") if "phone" not in p.name)
    dicts = sorted(folder.glob("*.dict"))
    if hmm is None or not lms or not dicts:
        raise SpeechError(
            f"SUNLIGHT_SPEECH_MODEL: {folder} needs an acoustic model folder (with mdef), "
            "a language model (*.lm.bin) and a dictionary (*.dict)"
        )
    return {"hmm": str(hmm), "lm": str(lms[0]), "dict": str(dicts[0])}


class PocketSphinxRecognizer:
    """PocketSphinx: voice activity detection splits the sound into spoken stretches, each
    is decoded with word times, and the words are grouped into cues."""

    def __init__(self, model: Path | None = None) -> None:
        from pocketsphinx import get_model_path  # type: ignore[import-untyped]

        self.model = model
        if model is None:
            base = Path(get_model_path()) / "en-us"
            self.files = {
                "hmm": str(base / "en-us"),
                "lm": str(base / "en-us.lm.bin"),
                "dict": str(base / "cmudict-en-us.dict"),
            }
            self.name = "pocketsphinx en-us (packaged)"
        else:
            self.files = _find_model(model)
            self.name = f"pocketsphinx {model.name}"

    def transcribe(self, pcm: bytes) -> list[Cue]:
        from pocketsphinx import Decoder, Segmenter

        decoder = Decoder(loglevel="FATAL", samprate=RATE, **self.files)
        frame_rate = float(decoder.config["frate"])
        words: list[Word] = []
        for stretch in Segmenter(sample_rate=RATE).segment(io.BytesIO(pcm)):
            decoder.start_utt()
            decoder.process_raw(stretch.pcm, full_utt=True)
            decoder.end_utt()
            for seg in decoder.seg():
                text = _spoken(seg.word)
                if text is None:
                    continue
                start = stretch.start_time + seg.start_frame / frame_rate
                end = stretch.start_time + (seg.end_frame + 1) / frame_rate
                words.append(Word(start, end, text))
        duration = len(pcm) / (2 * RATE)
        return [c for c in words_to_cues(words) if c.end_s <= duration + 0.05]


def max_seconds(env: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get("SUNLIGHT_SPEECH_MAX_S")
    if not raw:
        return DEFAULT_MAX_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise SpeechError("SUNLIGHT_SPEECH_MAX_S must be a number of seconds") from None
    if value <= 0:
        raise SpeechError("SUNLIGHT_SPEECH_MAX_S must be positive")
    return value


def load_recognizer(env: Mapping[str, str] | None = None) -> Recognizer:
    """The recogniser the settings name (PocketSphinx with the packaged model by default)."""
    env = os.environ if env is None else env
    backend = (env.get("SUNLIGHT_SPEECH_BACKEND") or "pocketsphinx").strip()
    model = (env.get("SUNLIGHT_SPEECH_MODEL") or "").strip() or None
    if backend == "pocketsphinx":
        return PocketSphinxRecognizer(Path(model) if model else None)
    module_name, _, attribute = backend.partition(":")
    if not module_name or not attribute:
        raise SpeechError("SUNLIGHT_SPEECH_BACKEND: 'pocketsphinx' or 'package.module:factory'")
    try:
        factory: Callable[[str | None], object] = getattr(
            importlib.import_module(module_name), attribute
        )
    except (ImportError, AttributeError) as exc:
        raise SpeechError(f"SUNLIGHT_SPEECH_BACKEND: cannot load {backend}: {exc}") from exc
    recognizer = factory(model)
    if not isinstance(recognizer, Recognizer):
        raise SpeechError(f"SUNLIGHT_SPEECH_BACKEND: {backend} did not return a recogniser")
    return recognizer
