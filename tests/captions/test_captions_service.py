"""Caption tracks: versions, approval, custody events, the muted-sound rule, and drafts
from speech as background jobs (both back ends)."""

from __future__ import annotations

import array
import itertools
import os
import shutil
import subprocess
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly  # type: ignore[import-untyped]

from sunlight import errors
from sunlight.captions import recognize, service
from sunlight.captions.vtt import CaptionError, Cue
from sunlight.evidence.custody import Action, events_for
from sunlight.runtime import Runtime
from tests.captions.support import ProbeRecognizer, clip_recording, redacted_copy

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CUES = [Cue(0.0, 1.5, "Unit twelve, on scene."), Cue(1.5, 3.0, "Show me out.")]


def test_versions_approval_and_custody(runtime: Runtime, tmp_path: Path) -> None:
    rec = clip_recording(runtime, tmp_path)
    v1 = service.save_version(runtime, rec, CUES, actor="user:1", source="staff", now=NOW)
    assert (v1.version, v1.language, len(v1.cues)) == (1, "en", 2)
    track = service.get_track(runtime, rec)
    assert track is not None and (track.status, track.approved_version) == ("draft", None)
    assert service.approved(runtime, rec) is None
    assert service.readiness(runtime, rec) == f"the en captions of recording {rec} are not approved"

    fixed = [CUES[0], Cue(1.5, 3.0, "Show me clear.")]
    v2 = service.save_version(
        runtime, rec, fixed, actor="user:1", source="staff", now=NOW, note="typo"
    )
    assert v2.version == 2 and v2.vtt_sha256 != v1.vtt_sha256
    with pytest.raises(errors.Conflict, match="not the newest"):
        service.approve(runtime, rec, version=1, actor="user:2", now=NOW)
    done = service.approve(runtime, rec, version=2, actor="user:2", now=NOW + timedelta(hours=1))
    assert (done.status, done.approved_version, done.approved_by) == ("approved", 2, "user:2")
    assert service.readiness(runtime, rec) is None
    shown = service.approved(runtime, rec)
    assert shown is not None and shown.cues == fixed

    # An edit after approval is a new draft; the approved version stays what is released.
    service.save_version(runtime, rec, CUES, actor="user:1", source="staff", now=NOW)
    track = service.get_track(runtime, rec)
    assert track is not None and (track.status, track.approved_version) == ("draft", 2)
    again = service.approved(runtime, rec)
    assert again is not None and again.version == 2
    assert "changed after approval" in (service.readiness(runtime, rec) or "")
    assert [v.version for v in service.list_versions(runtime, rec)] == [3, 2, 1]

    with runtime.db.session(read_only=True) as session:
        events = [e for e in events_for(session, "recording", rec) if e.action.startswith("cap")]
    assert [e.action for e in events] == [
        Action.CAPTION_CREATE,
        Action.CAPTION_EDIT,
        Action.CAPTION_APPROVE,
        Action.CAPTION_EDIT,
    ]
    assert events[2].details["vtt_sha256"] == v2.vtt_sha256
    assert events[2].actor == "user:2" and events[1].reason == "typo"


def test_a_version_is_checked(runtime: Runtime, tmp_path: Path) -> None:
    rec = clip_recording(runtime, tmp_path, seconds=3.0)
    with pytest.raises(CaptionError, match="after the recording's end"):
        service.save_version(
            runtime, rec, [Cue(2.0, 9.0, "late")], actor="u", source="staff", now=NOW
        )
    with pytest.raises(CaptionError, match="overlaps"):
        service.save_version(
            runtime, rec, [Cue(0, 2, "a"), Cue(1, 2.5, "b")], actor="u", source="staff", now=NOW
        )
    with pytest.raises(CaptionError, match="language"):
        service.save_version(runtime, rec, CUES, actor="u", source="staff", now=NOW, language="E")
    with pytest.raises(service.NotFound):
        service.save_version(runtime, 999_999, CUES, actor="u", source="staff", now=NOW)
    assert service.get_track(runtime, rec) is None


def test_captions_never_cover_muted_sound(runtime: Runtime, tmp_path: Path) -> None:
    _, copy = redacted_copy(runtime, tmp_path, [(1.0, 2.0)])
    assert service.muted_ranges(runtime, copy) == [(1.0, 2.0)]
    with pytest.raises(CaptionError, match="muted by redaction"):
        service.save_version(
            runtime, copy, [Cue(1.8, 2.5, "the name")], actor="u", source="staff", now=NOW
        )
    kept = service.save_version(
        runtime,
        copy,
        [Cue(0.0, 1.0, "before"), Cue(2.0, 3.0, "after")],
        actor="u",
        source="staff",
        now=NOW,
    )
    assert kept.version == 1


def test_a_draft_never_hears_muted_sound(runtime: Runtime, tmp_path: Path) -> None:
    _, copy = redacted_copy(runtime, tmp_path, [(1.0, 2.2)])
    probe = ProbeRecognizer()
    job = service.request_draft(runtime, copy, actor="user:1", recognizer=probe, enqueue=False)
    assert job.status == "queued"
    done = service.run_draft(runtime, job.id, now=NOW, recognizer=probe)
    assert done.status == "done", done.error
    pcm = array.array("h", probe.heard[0])
    muted = pcm[16000 : int(2.2 * 16000)]
    assert len(muted) > 0 and not any(muted)  # the recogniser got silence there
    assert any(pcm[int(2.3 * 16000) : 3 * 16000])  # and the tone elsewhere
    version = service.get_version(runtime, copy)
    assert version.source == "recogniser" and version.id == done.result_version_id
    # "second 1" (1.0-1.9) and "second 2" (2.0-2.9) touch the muted 1.0-2.2: dropped.
    assert [c.text for c in version.cues] == ["second 0", "second 3"]
    assert done.details["dropped_muted"] == 2
    # Asking again is the same job, and running it again does nothing twice.
    again = service.request_draft(runtime, copy, actor="user:1", recognizer=probe, enqueue=False)
    assert again.id == job.id
    service.run_draft(runtime, job.id, now=NOW, recognizer=probe)
    assert len(probe.heard) == 1
    assert service.get_track(runtime, copy) is not None
    assert [j.id for j in service.jobs_for(runtime, copy)] == [job.id]


def test_a_draft_over_the_length_cap_fails_and_says_why(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = clip_recording(runtime, tmp_path, seconds=3.0)
    monkeypatch.setenv("SUNLIGHT_SPEECH_MAX_S", "1")
    probe = ProbeRecognizer()
    job = service.request_draft(runtime, rec, actor="u", recognizer=probe, enqueue=False)
    failed = service.run_draft(runtime, job.id, now=NOW, recognizer=probe)
    assert failed.status == "failed" and "SUNLIGHT_SPEECH_MAX_S" in (failed.error or "")
    assert probe.heard == []
    with runtime.db.session(read_only=True) as session:
        last = events_for(session, "recording", rec)[-1]
    assert (last.action, last.outcome) == (Action.CAPTION_EDIT, "failed")
    # A failed job is queued again when asked again.
    monkeypatch.delenv("SUNLIGHT_SPEECH_MAX_S")
    retry = service.request_draft(runtime, rec, actor="u", recognizer=probe, enqueue=False)
    assert (retry.id, retry.status) == (job.id, "queued")
    assert service.run_draft(runtime, job.id, now=NOW, recognizer=probe).status == "done"


def test_pocketsphinx_draft_of_fully_muted_sound_is_empty(
    embedded_runtime: Runtime, tmp_path: Path
) -> None:
    """The packaged recogniser end to end, through the background job (eager mode runs it
    inline): the whole clip is muted, so there is nothing to hear and no cue."""
    _, copy = redacted_copy(embedded_runtime, tmp_path, [(0.0, 5.0)], seconds=3.0)
    job = service.request_draft(embedded_runtime, copy, actor="user:1")
    assert job.status == "done", job.error
    assert job.details["recogniser"] == "pocketsphinx en-us (packaged)"
    assert service.get_version(embedded_runtime, copy).cues == []


def test_pocketsphinx_hears_nothing_in_silence() -> None:
    assert recognize.PocketSphinxRecognizer().transcribe(bytes(3 * 32000)) == []


#: What espeak-ng says, and the words of it the packaged recogniser must hear (it hears
#: synthetic speech imperfectly: "please step out of the car" comes back garbled).
SPOKEN = (
    "please step out of the car. put your hands on the wheel. "
    "the officer is going forward ten meters."
)
HEARD = {"wheel", "officer", "going", "forward"}


def _speech(tmp_path: Path) -> bytes:
    """SPOKEN as 16 kHz mono 16-bit PCM, synthesised by espeak-ng (a system package:
    ``apt-get install espeak-ng``; nothing is downloaded)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        reason = "espeak-ng is not installed (apt-get install espeak-ng)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the speech test may not be skipped")
        pytest.skip(reason)
    wav = tmp_path / "speech.wav"
    subprocess.run([espeak, "-v", "en-us", "-s", "140", "-w", str(wav), SPOKEN], check=True)
    with wave.open(str(wav)) as found:
        assert (found.getnchannels(), found.getsampwidth()) == (1, 2)
        rate = found.getframerate()
        samples = np.frombuffer(found.readframes(found.getnframes()), dtype=np.int16)
    resampled = resample_poly(samples.astype(np.float32), 16000, rate)
    return bytes(resampled.clip(-32768, 32767).astype(np.int16).tobytes())


def test_pocketsphinx_transcribes_speech(tmp_path: Path) -> None:
    cues = recognize.PocketSphinxRecognizer().transcribe(_speech(tmp_path))
    heard = {word for cue in cues for word in cue.text.split()}
    assert heard >= HEARD, [c.text for c in cues]
    assert all(0 <= c.start_s < c.end_s <= 7.0 for c in cues)  # timed within the clip
    assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(cues))


def test_words_become_short_non_overlapping_cues() -> None:
    words = [recognize.Word(i * 0.4, i * 0.4 + 0.3, f"w{i}") for i in range(20)]
    words.append(recognize.Word(20.0, 20.5, "later"))
    cues = recognize.words_to_cues(words)
    assert all(c.end_s - c.start_s <= recognize.CUE_MAX_S for c in cues)
    assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(cues))
    assert cues[-1].text == "later"  # a pause starts a new cue
    assert " ".join(c.text for c in cues[:-1]) == " ".join(f"w{i}" for i in range(20))
    assert recognize._spoken("<sil>") is None and recognize._spoken("[NOISE]") is None
    assert recognize._spoken("read(2)") == "read"


def make_probe(model: str | None) -> ProbeRecognizer:
    return ProbeRecognizer(name=f"probe {model}")


def test_an_operator_plugs_in_a_recogniser(tmp_path: Path) -> None:
    plugged = recognize.load_recognizer(
        {
            "SUNLIGHT_SPEECH_BACKEND": "tests.captions.test_captions_service:make_probe",
            "SUNLIGHT_SPEECH_MODEL": "/models/big",
        }
    )
    assert plugged.name == "probe /models/big"
    assert isinstance(recognize.load_recognizer({}), recognize.PocketSphinxRecognizer)
    with pytest.raises(recognize.SpeechError, match="cannot load"):
        recognize.load_recognizer({"SUNLIGHT_SPEECH_BACKEND": "no.such.module:factory"})
    with pytest.raises(recognize.SpeechError, match=r"package\.module:factory"):
        recognize.load_recognizer({"SUNLIGHT_SPEECH_BACKEND": "whisper"})
    with pytest.raises(recognize.SpeechError, match="no folder"):
        recognize.load_recognizer({"SUNLIGHT_SPEECH_MODEL": str(tmp_path / "none")})
    with pytest.raises(recognize.SpeechError, match="needs an acoustic model"):
        recognize.load_recognizer({"SUNLIGHT_SPEECH_MODEL": str(tmp_path)})
    # A model folder laid out like the packaged one is found.
    from pocketsphinx import get_model_path  # type: ignore[import-untyped]

    packaged = Path(get_model_path()) / "en-us"
    found = recognize.load_recognizer({"SUNLIGHT_SPEECH_MODEL": str(packaged)})
    assert isinstance(found, recognize.PocketSphinxRecognizer)
    assert found.files["lm"].endswith("en-us.lm.bin") and found.files["hmm"].endswith("en-us")
    assert recognize.max_seconds({"SUNLIGHT_SPEECH_MAX_S": "90"}) == 90.0
    with pytest.raises(recognize.SpeechError):
        recognize.max_seconds({"SUNLIGHT_SPEECH_MAX_S": "-1"})
