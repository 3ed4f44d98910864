"""Face redaction: Sunlight vs deface, same clips, same machine, interleaved.

    uv run python bench/redaction_bench.py            # 5 s and 60 s 1080p30, A B A B / A B
    uv run python bench/redaction_bench.py --quick    # 5 s and 15 s, A B each
    uv run python bench/redaction_bench.py --inprocess  # detect + render in-process only

The whole command: `sunlight redact ID --render --json` (a fresh process, as an operator
runs it: imports, database, detection, render, ingest of the copy and its custody events)
against deface's CLI (`deface IN -o OUT --replacewith solid --boxes`, deface 1.5, its
default backend and threshold) on a short (5 s) and a long (60 s) 1080p30 clip. Runs are
interleaved (A B A B ...) so a machine shared with other work slows both alike; each
Sunlight run gets a fresh data folder holding only the detector cache a previous run left
(the compiled networks and the remembered backend choice), and the first, cold run is shown
apart. The load average is printed before and after.

Evaluation set, built at run time (nothing downloaded): real faces that ship in packages
(scikit-image's astronaut and LFW subset) composited with feathered edges onto panning real
backgrounds, moving and scaling (12-340 px), with motion blur, fast motion, partial occlusion
and foreshortened (turned) faces; ground-truth boxes by construction. The long clip is
scenes of 150 frames back to back, each with its own faces. See
src/sunlight/redaction/synthetic.py.

Coverage is measured the same way from each tool's output video: Sunlight's plan from the
timed command is rendered again with solid fill (the command itself pixelates), deface
writes solid boxes; a ground-truth face counts as redacted on a frame when at least 70% of
its (not already dark) pixels are black. Reported per size bin (sqrt of the ground-truth box
area): recall; "unblurred": frames where a face was left visible although the same tool hid
it on an earlier and a later frame (a flash); false positives per frame (black regions
touching no ground-truth face).
Targets (issue 12): 0 unblurred frames for faces >= 24 px; recall at 16-32 px >= 0.9; false
positives per frame <= 1.2x deface's; whole command >= 8x deface on 5 s, >= 12x on 60 s.
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
import numpy.typing as npt
from scipy import ndimage  # type: ignore[import-untyped]

from sunlight.redaction import detect
from sunlight.redaction.analyze import AnalysisStats, analyze
from sunlight.redaction.plan import Plan, load_plan
from sunlight.redaction.render import RenderStats, render
from sunlight.redaction.synthetic import GroundTruth, default_clip, write_clip, write_clips

BINS = [
    (0, 16, "<16"),
    (16, 24, "16-24"),
    (24, 32, "24-32"),
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
            result.false_positives += _false_positives(black, yb <= 28, truth[index])
            result.frames += 1
    for events in covered.values():
        hits = [i for i, (_f, ok, _n) in enumerate(events) if ok]
        if len(hits) < 2:
            continue
        for _frame, ok, name in events[hits[0] : hits[-1] + 1]:
            if not ok:
                result.flashes[name] += 1
    return result


# Fragments of one box closer than this (in 1/4-grid cells, 16 px) are joined across
# pixels that were dark already (see _false_positives).
BRIDGE_CELLS = 4


def _false_positives(
    black: npt.NDArray[np.bool_],
    dark_out: npt.NDArray[np.bool_],
    faces: list[tuple[int, tuple[float, float, float, float]]],
) -> int:
    """Redaction regions on one frame that touch no ground-truth face.

    ``black`` marks pixels a tool blackened (black now, not dark before); ``dark_out`` every
    pixel black in the output. A solid box lying partly over pixels that were already dark
    (a star field, hair, the dark face) shows as several ``black`` fragments: counting each
    as a region counted one box over a face as one or more false positives beside it. So a
    region is ``black`` grown across output-black pixels up to BRIDGE_CELLS from it: the
    fragments of one box join again, while two boxes apart by more than that stay two.
    Regions under 12 cells (~14x14 px) or filling under 60% of their bounding box are
    re-encoding speckle in dark textures (the star field), not redaction boxes."""
    small = black[::4, ::4]
    if not small.any():
        return 0
    near = ndimage.binary_dilation(small, iterations=BRIDGE_CELLS)
    joined = small | (near & dark_out[::4, ::4])
    labels, count = ndimage.label(joined)
    if not count:
        return 0
    touched: set[int] = set()
    for _fid, box in faces:
        x1, y1, x2, y2 = (int(v) // 4 for v in box)
        touched.update(np.unique(labels[y1 : y2 + 1, x1 : x2 + 1]).tolist())
    found = 0
    for lab, where in enumerate(ndimage.find_objects(labels), start=1):
        if lab in touched or where is None:
            continue
        evidence = int((small[where] & (labels[where] == lab)).sum())
        area = int((labels[where] == lab).sum())
        box_area = (where[0].stop - where[0].start) * (where[1].stop - where[1].start)
        if evidence >= 12 and area >= 0.6 * box_area:
            found += 1
    return found


def plan_false_positives(plan: Plan, truth: GroundTruth) -> float:
    """Cross-check from geometry, not pixels: Sunlight's plan boxes per frame that overlap
    no ground-truth face (deface writes no boxes, so this exists for Sunlight only)."""
    count = 0
    for index, faces in enumerate(truth):
        for b in plan.boxes_at(index):
            if not any(
                min(b[2], g[2]) > max(b[0], g[0]) and min(b[3], g[3]) > max(b[1], g[1])
                for _fid, g in faces
            ):
                count += 1
    return count / max(1, len(truth))


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
        env=_bytecode_env(dict(os.environ)),
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


def inprocess_main(args: argparse.Namespace) -> None:
    """Detection and render in this process (no start-up, no database), per size."""
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
            plan_fp = plan_false_positives(load_plan((work / f"plan{h}.json").read_bytes()), truth)
            results.append(
                {
                    "clip": f"{h}p",
                    "size bin px": "FP/frame (plan boxes on no face)",
                    "GT faces": "",
                    "recall sunlight": f"{plan_fp:.2f}",
                    "recall deface": "-",
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


# --- the whole command, interleaved with deface ------------------------------------------


def _sunlight_exe() -> list[str]:
    script = Path(sys.executable).with_name("sunlight")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sunlight"]


BACKEND: str | None = None  # --backend: the detector backend every run uses
# Where both tools' processes keep compiled bytecode (--no-bytecode-cache: None).
PYCACHE: Path | None = None


def _bytecode_env(env: dict[str, str]) -> dict[str, str]:
    """An installed package runs from compiled bytecode (pip and most installers write
    .pyc files; Python writes them on first import otherwise). A development shell with
    PYTHONDONTWRITEBYTECODE=1 makes every process compile its imports from source again:
    about 1-2 s of CPU per `sunlight` process on a 2-core machine, which is not what an
    operator's command costs. So both tools' processes keep bytecode in a folder of the
    bench's own (PYTHONPYCACHEPREFIX, nothing written into the installation), filled by
    the untimed cold run; --no-bytecode-cache measures the old way."""
    if PYCACHE is None:
        return env
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _env(home: Path) -> dict[str, str]:
    env = _bytecode_env({k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")})
    env["SUNLIGHT_HOME"] = str(home)
    if BACKEND:
        # Without it each installation's self-check picks; on a loaded machine it picked
        # onnxruntime in one bench run and OpenVINO in another, and the two differ in
        # speed (about 2x) and, slightly, in what they find.
        env["SUNLIGHT_REDACTION_BACKEND"] = BACKEND
    return env


def _fresh_home(work: Path, name: str, cache: Path | None) -> Path:
    home = work / name
    home.mkdir()
    if cache is not None and cache.exists():
        shutil.copytree(cache, home / "cache")
    return home


def _ingest(home: Path, clip: Path) -> int:
    out = subprocess.run(
        [*_sunlight_exe(), "ingest", str(clip), "--json"],
        env=_env(home),
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(out.stdout)
    items = report.get("ingested") or report.get("duplicates") or []
    for item in items:
        if isinstance(item, dict) and item.get("recording_id"):
            return int(item["recording_id"])
    return 1  # a fresh data folder: the first recording


def run_command(home: Path, recording_id: int) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    out = subprocess.run(
        [*_sunlight_exe(), "redact", str(recording_id), "--render", "--json"],
        env=_env(home),
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(out.stdout)


def _plan_from(home: Path, sha256: str) -> bytes:
    """A stored object of a data folder, found by its hash (the local store's layout)."""
    found = [p for p in (home / "objects").rglob("*") if p.is_file() and sha256 in p.name]
    return found[0].read_bytes()


@dataclass
class Clip:
    name: str
    path: Path
    truth: GroundTruth
    frames: int


def _make_clips(work: Path, long_seconds: int) -> list[Clip]:
    clips = []
    short = work / "short.mp4"
    clips.append(
        Clip("5 s", short, write_clip(default_clip(1920, 1080, 150, seed=1080), short), 150)
    )
    if long_seconds <= 0:  # --no-long: the 5 s clip only
        return clips
    scenes = max(1, long_seconds // 5)
    long = work / "long.mp4"
    truth = write_clips([default_clip(1920, 1080, 150, seed=2000 + k) for k in range(scenes)], long)
    clips.append(Clip(f"{scenes * 5} s", long, truth, scenes * 150))
    return clips


def _ratio(a: float, b: float) -> str:
    return f"{b / a:.1f}x" if a > 0 else "-"


def command_main(args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cpus: {os.cpu_count()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        global PYCACHE
        if not args.no_bytecode_cache:
            PYCACHE = work / "pycache"
        print(
            "bytecode: "
            + (
                "compiled once, kept for later runs of both tools (PYTHONPYCACHEPREFIX)"
                if PYCACHE
                else "as the shell has it"
                + (
                    " (PYTHONDONTWRITEBYTECODE set)"
                    if os.environ.get("PYTHONDONTWRITEBYTECODE")
                    else ""
                )
            ),
            flush=True,
        )
        t0 = time.perf_counter()
        long_seconds = 0 if args.no_long else args.long_seconds or (15 if args.quick else 60)
        clips = _make_clips(work, long_seconds)
        print(
            f"clips built in {time.perf_counter() - t0:.0f} s: "
            + ", ".join(f"{c.name} = {c.frames} frames" for c in clips),
            flush=True,
        )
        repeats = {clips[0].name: args.repeats_short}
        if len(clips) > 1:
            repeats[clips[1].name] = args.repeats_long
        # A cold first run fills the detector cache (self-check, compiled networks); later
        # runs, as on any installation after its first job, find it.
        cold_home = _fresh_home(work, "cold", None)
        rid = _ingest(cold_home, clips[0].path)
        cold_s, _ = run_command(cold_home, rid)
        print(f"cold first run (empty detector cache, 5 s clip): {cold_s:.1f} s", flush=True)
        if PYCACHE is not None:
            # deface's bytecode too, untimed (a 1-frame clip), as Sunlight's cold run did.
            warm = work / "warm.mp4"
            write_clip(default_clip(320, 240, 1, seed=1), warm, audio=False)
            run_deface(warm, work / "warm-deface.mp4")
        cache = cold_home / "cache"
        rows: list[dict[str, object]] = []
        plans: dict[str, tuple[Path, str]] = {}
        deface_out: dict[str, Path] = {}
        ratios: dict[str, list[float]] = {c.name: [] for c in clips}
        for r in range(max(repeats.values())):
            for clip in clips:
                if r >= repeats[clip.name]:
                    continue
                home = _fresh_home(work, f"home-{clip.path.stem}-{r}", cache)
                rid = _ingest(home, clip.path)
                ours, result = run_command(home, rid)
                plan = result["plan"]
                assert isinstance(plan, dict)
                plans.setdefault(clip.name, (home, str(plan["sha256"])))
                out = work / f"deface-{clip.path.stem}-{r}.mp4"
                theirs = run_deface(clip.path, out)
                deface_out.setdefault(clip.name, out)
                ratios[clip.name].append(theirs / ours)
                load_now = os.getloadavg()[0]
                print(
                    f"  {clip.name} pair {r + 1}: sunlight {ours:.1f} s, deface {theirs:.1f} s"
                    f" ({theirs / ours:.1f}x); load {load_now:.2f}",
                    flush=True,
                )
                rows.append(
                    {
                        "clip": clip.name,
                        "run": f"{r + 1} (A B)",
                        "sunlight redact --render s": f"{ours:.1f}",
                        "deface s": f"{theirs:.1f}",
                        "sunlight fps": f"{clip.frames / ours:.1f}",
                        "deface fps": f"{clip.frames / theirs:.2f}",
                        "ratio": _ratio(ours, theirs),
                    }
                )
        load_mid = os.getloadavg()
        # Scoring (not timed): the same plans rendered with solid fill, deface's own output.
        bins: list[dict[str, object]] = []
        for clip in clips:
            home, sha = plans[clip.name]
            plan = load_plan(_plan_from(home, sha))
            print(f"{clip.name}: detector backend {plan.detector.get('backend')}", flush=True)
            plan.fill = "solid"
            ours_out = work / f"ours-{clip.path.stem}.mp4"
            render(clip.path, ours_out, plan)
            bins.extend(
                _bin_rows(
                    clip,
                    score(clip.path, ours_out, clip.truth),
                    score(clip.path, deface_out[clip.name], clip.truth),
                    plan_false_positives(plan, clip.truth),
                )
            )
    load = os.getloadavg()
    print()
    print(table(rows))
    print()
    for clip in clips:
        got = sorted(ratios[clip.name])
        print(
            f"{clip.name}: median ratio {got[len(got) // 2]:.1f}x over {len(got)} interleaved pair(s)"
        )
    print()
    print(table(bins))
    print(
        f"\nload average after the timed runs: {load_mid[0]:.2f} {load_mid[1]:.2f} {load_mid[2]:.2f}"
    )
    print(f"load average after scoring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "bins": bins, "cold_s": cold_s}, indent=2))


def _bin_rows(
    clip: Clip, ours: Score, base: Score, plan_fp: float | None = None
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for _lo, _hi, name in BINS:
        n = ours.gt[name]
        rows.append(
            {
                "clip": clip.name,
                "size bin px": name,
                "GT faces": n,
                "recall sunlight": f"{ours.hit[name] / n:.3f}" if n else "-",
                "recall deface": f"{base.hit[name] / n:.3f}" if n else "-",
                "unblurred sunlight": ours.flashes[name],
                "unblurred deface": base.flashes[name],
            }
        )
    mid = ("16-24", "24-32")
    n = sum(ours.gt[b] for b in mid)
    rows.append(
        {
            "clip": clip.name,
            "size bin px": "16-32",
            "GT faces": n,
            "recall sunlight": f"{sum(ours.hit[b] for b in mid) / n:.3f}" if n else "-",
            "recall deface": f"{sum(base.hit[b] for b in mid) / n:.3f}" if n else "-",
            "unblurred sunlight": sum(ours.flashes[b] for b in mid),
            "unblurred deface": sum(base.flashes[b] for b in mid),
        }
    )
    rows.append(
        {
            "clip": clip.name,
            "size bin px": "FP/frame",
            "GT faces": "",
            "recall sunlight": f"{ours.false_positives / max(1, ours.frames):.2f}",
            "recall deface": f"{base.false_positives / max(1, base.frames):.2f}",
            "unblurred sunlight": "",
            "unblurred deface": "",
        }
    )
    if plan_fp is not None:
        rows.append(
            {
                "clip": clip.name,
                "size bin px": "FP/frame (plan boxes on no face)",
                "GT faces": "",
                "recall sunlight": f"{plan_fp:.2f}",
                "recall deface": "-",
                "unblurred sunlight": "",
                "unblurred deface": "",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter clips, one pair each")
    parser.add_argument("--inprocess", action="store_true", help="in-process detect + render")
    parser.add_argument("--repeats-short", type=int, default=None, help="A B pairs, 5 s clip")
    parser.add_argument("--repeats-long", type=int, default=None, help="A B pairs, long clip")
    parser.add_argument("--long-seconds", type=int, default=None, help="long clip (60)")
    parser.add_argument("--no-long", action="store_true", help="the 5 s clip only")
    parser.add_argument(
        "--backend", choices=("openvino", "onnxruntime"), help="no self-check: this backend"
    )
    parser.add_argument("--frames", type=int, default=None, help="--inprocess: frames")
    parser.add_argument("--sizes", default="1920x1080,1280x720", help="--inprocess: sizes")
    parser.add_argument("--no-deface", action="store_true", help="--inprocess: no baseline")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="whole command: run both tools with the shell's bytecode setting as it is",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    global BACKEND
    BACKEND = args.backend
    if args.inprocess:
        inprocess_main(args)
        return
    if args.repeats_short is None:
        args.repeats_short = 1 if args.quick else 2
    if args.repeats_long is None:
        args.repeats_long = 1
    command_main(args)


if __name__ == "__main__":
    main()
