"""Face redaction: Sunlight (detect + track + plan + render) vs deface, same clips, same run.

    uv run python bench/redaction_bench.py            # 1080p30 and 720p30, 300 frames each
    uv run python bench/redaction_bench.py --quick    # 90 frames each

Evaluation set, built at run time (nothing downloaded): real faces that ship in packages
(scikit-image's astronaut and LFW subset) composited with feathered edges onto panning real
backgrounds, moving and scaling (12-340 px), with motion blur, fast motion, partial occlusion
and foreshortened (turned) faces; ground-truth boxes by construction. See
src/sunlight/redaction/synthetic.py.

Both tools fill faces solid black here so that coverage can be measured the same way from
each output video: a ground-truth face counts as redacted on a frame when at least 70% of
its (not already dark) pixels are black in the output. Baseline: `deface --replacewith solid
--boxes` (deface 1.5, its default backend and threshold), wall time of the CLI.
Reported per size bin (sqrt of the ground-truth box area): recall; false positives per frame
(black regions touching no ground-truth face); and "unblurred": frames where a face was left
visible although the same tool hid it on an earlier and a later frame (a flash).
Targets: 1080p30 >= 15 fps and >= 6x deface; 720p30 >= 30 fps; recall >= deface in every
bin; no unblurred frames for faces >= 32 px.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
from scipy import ndimage  # type: ignore[import-untyped]

from sunlight.redaction import detect
from sunlight.redaction.analyze import AnalysisStats, analyze
from sunlight.redaction.render import RenderStats, render
from sunlight.redaction.synthetic import GroundTruth, default_clip, write_clip

BINS = [
    (0, 16, "<16"),
    (16, 32, "16-32"),
    (32, 64, "32-64"),
    (64, 128, "64-128"),
    (128, 1e9, ">128"),
]
COVERED = 0.7


@dataclass
class Score:
    gt: dict[str, int] = field(default_factory=lambda: {b[2]: 0 for b in BINS})
    hit: dict[str, int] = field(default_factory=lambda: {b[2]: 0 for b in BINS})
    flashes: dict[str, int] = field(default_factory=lambda: {b[2]: 0 for b in BINS})
    false_positives: int = 0
    frames: int = 0


def _bin(box: tuple[float, float, float, float]) -> str:
    size = float(np.sqrt(max(0.0, (box[2] - box[0]) * (box[3] - box[1]))))
    for lo, hi, name in BINS:
        if lo <= size < hi:
            return name
    return BINS[-1][2]


def _luma(path: Path) -> av.container.InputContainer:
    return av.open(str(path))


def score(original: Path, redacted: Path, truth: GroundTruth) -> Score:
    result = Score()
    covered: dict[int, list[tuple[int, bool, str]]] = {}
    with av.open(str(original)) as a, av.open(str(redacted)) as b:
        for index, (fa, fb) in enumerate(zip(a.decode(video=0), b.decode(video=0), strict=False)):
            if index >= len(truth):
                break
            ya = fa.to_ndarray(format="gray")
            yb = fb.to_ndarray(format="gray")
            if yb.shape != ya.shape:
                # deface (imageio) pads/scales 1080 to 1088 rows (macro-block multiple).
                yb = cv2.resize(yb, (ya.shape[1], ya.shape[0]), interpolation=cv2.INTER_NEAREST)
            black = (yb <= 28) & (ya >= 45)
            for fid, box in truth[index]:
                x1, y1, x2, y2 = (round(v) for v in box)
                visible = ya[y1:y2, x1:x2] >= 45
                n = int(visible.sum())
                frac = float(black[y1:y2, x1:x2][visible].sum()) / n if n else 1.0
                name = _bin(box)
                result.gt[name] += 1
                ok = frac >= COVERED
                result.hit[name] += ok
                covered.setdefault(fid, []).append((index, ok, name))
            # False positives: black blobs (on a 1/4 grid) that touch no ground-truth face.
            # Blobs under 12 cells (~14x14 px) are re-encoding speckle in dark textures
            # (the star field), not redaction boxes.
            small = black[::4, ::4]
            labels, count = ndimage.label(small)
            if count:
                touched = set()
                for _fid, box in truth[index]:
                    x1, y1, x2, y2 = (int(v) // 4 for v in box)
                    touched.update(np.unique(labels[y1 : y2 + 1, x1 : x2 + 1]).tolist())
                for lab, where in enumerate(ndimage.find_objects(labels), start=1):
                    if lab in touched or where is None:
                        continue
                    area = int((labels[where] == lab).sum())
                    box_area = (where[0].stop - where[0].start) * (where[1].stop - where[1].start)
                    # A redaction is a filled rectangle or ellipse; re-encoding speckle in
                    # dark textures (the star field) is small or ragged.
                    if area >= 12 and area >= 0.6 * box_area:
                        result.false_positives += 1
            result.frames += 1
    for events in covered.values():
        hits = [i for i, (_f, ok, _n) in enumerate(events) if ok]
        if len(hits) < 2:
            continue
        for _frame, ok, name in events[hits[0] : hits[-1] + 1]:
            if not ok:
                result.flashes[name] += 1
    return result


def run_sunlight(clip: Path, out: Path, plan_out: Path) -> tuple[float, AnalysisStats, RenderStats]:
    stats = AnalysisStats()
    cpu0 = time.process_time()
    start = time.perf_counter()
    plan = analyze(clip, recording_sha256="0" * 64, stats=stats)
    plan.fill = "solid"
    rstats = render(clip, out, plan)
    elapsed = time.perf_counter() - start
    stats.extra["cpu_s"] = time.process_time() - cpu0
    plan_out.write_bytes(plan.canonical())
    return elapsed, stats, rstats


def run_deface(clip: Path, out: Path) -> float:
    exe = shutil.which("deface") or str(Path(sys.executable).with_name("deface"))
    start = time.perf_counter()
    subprocess.run(
        [exe, str(clip), "-o", str(out), "--replacewith", "solid", "--boxes"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def table(rows: list[dict[str, object]]) -> str:
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    line = " | ".join(c.ljust(widths[c]) for c in cols)
    sep = "-|-".join("-" * widths[c] for c in cols)
    body = "\n".join(" | ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows)
    return f"{line}\n{sep}\n{body}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="90 frames per clip")
    parser.add_argument("--frames", type=int, default=None)
    parser.add_argument("--sizes", default="1920x1080,1280x720")
    parser.add_argument("--no-deface", action="store_true", help="skip the baseline")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    frames = args.frames or (90 if args.quick else 300)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cpus: {os.cpu_count()}")
    detect.load_detector()
    print(f"detector self-check: {detect.last_choice()}")
    results: list[dict[str, object]] = []
    summary: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.split("x"))
            clip = work / f"clip{h}.mp4"
            truth = write_clip(default_clip(w, h, frames, seed=h), clip)
            ours_s, astats, rstats = run_sunlight(
                clip, work / f"ours{h}.mp4", work / f"plan{h}.json"
            )
            ours = score(clip, work / f"ours{h}.mp4", truth)
            base = None
            base_s = float("nan")
            if not args.no_deface:
                base_s = run_deface(clip, work / f"deface{h}.mp4")
                base = score(clip, work / f"deface{h}.mp4", truth)
            ours_fps = frames / ours_s
            base_fps = frames / base_s if base else float("nan")
            summary.append(
                {
                    "clip": f"{h}p30 x{frames}",
                    "sunlight fps": f"{ours_fps:.1f}",
                    "(detect / render fps)": f"{astats.fps:.1f} / {rstats.fps:.1f}",
                    "deface fps": f"{base_fps:.2f}",
                    "ratio": f"{ours_fps / base_fps:.1f}x" if base else "-",
                    "CPU ms/frame": f"{1000 * astats.extra['cpu_s'] / frames:.0f}",
                    "runs: whole/regions": f"{astats.anchor_runs}/{astats.regions}",
                }
            )
            for _lo, _hi, name in BINS:
                n = ours.gt[name]
                row: dict[str, object] = {
                    "clip": f"{h}p",
                    "size bin px": name,
                    "GT faces": n,
                    "recall sunlight": f"{ours.hit[name] / n:.3f}" if n else "-",
                    "recall deface": f"{base.hit[name] / n:.3f}" if base and n else "-",
                    "unblurred sunlight": ours.flashes[name],
                    "unblurred deface": base.flashes[name] if base else "-",
                }
                results.append(row)
            results.append(
                {
                    "clip": f"{h}p",
                    "size bin px": "FP/frame",
                    "GT faces": "",
                    "recall sunlight": f"{ours.false_positives / max(1, ours.frames):.2f}",
                    "recall deface": f"{base.false_positives / max(1, base.frames):.2f}"
                    if base
                    else "-",
                    "unblurred sunlight": "",
                    "unblurred deface": "",
                }
            )
    load = os.getloadavg()
    print(table(summary))
    print()
    print(table(results))
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "bins": results}, indent=2))


if __name__ == "__main__":
    main()
