#!/usr/bin/env python3
"""Side by side with peers, in one run, on the same images, each pinned to the same core.

Scenes (real vehicle photos with annotated plates): our detector + OCR against
SimpleLPR (`pip install simplelpr`, a commercial engine whose wheel carries
its models and runs offline in evaluation mode). Plate crops (real US plates):
our OCR against Tesseract (`apt install tesseract-ocr`, `pip install
pytesseract`), a general OCR engine and a weaker peer. Each engine runs in its
own child process pinned to ``--core`` with one thread, so neither disturbs
the other's timing; times include reading the image file for every engine.

US composites (``--us-composite``): real US crops warped at US plate size over the plates
of the real photos (see scripts/evaluate.py): our engine against SimpleLPR, which has no
US model, on stand-ins for the real US vehicle photos we do not have.

By default only the held-out split is used (the photos and crops our training
never saw): the peers never saw any of them either.

    PYTHONPATH=.:scripts python scripts/bench_peers.py --scenes DATA/eu-scenes --scenes DATA/br-scenes \\
        --crops DATA/us-plate-crops [--split heldout|all] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))


def normalise(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def scene_items(folders: list[Path], split: str) -> list[tuple[Path, str]]:
    from evaluate import _pick
    from platesynth.scene import load_scene_annotations, split_scenes

    items = []
    for folder in folders:
        for path, _boxes in _pick(load_scene_annotations(folder), split, split_scenes):
            lines = [line for line in path.with_suffix(".txt").read_text().splitlines() if line.strip()]
            fields = lines[0].split("\t") if lines else []
            items.append((path, normalise(fields[5]) if len(fields) > 5 else ""))
    return items


def crop_items(folder: Path, split: str) -> list[tuple[Path, str]]:
    from evaluate import _pick
    from platesynth.ocr_samples import load_real_crops, real_label_usable, split_real

    items = [r for r in load_real_crops(folder) if real_label_usable(r[1])]  # (image, text, state, file)
    return [(folder / file, normalise(text)) for _image, text, _state, file in _pick(items, split, split_real)]


def composite_items(crops: Path, scene_folders: list[Path], split: str, folder: Path) -> list[tuple[Path, str]]:
    """The US composites of scripts/evaluate.py (real US crops warped over the plates of real
    EU/BR photos), written as PNG files so every engine reads the same pixels from disk."""
    import cv2

    from evaluate import composite_photos

    items = []
    for i, (photo, _corners, text, _state, _name) in enumerate(composite_photos(crops, scene_folders, split)[1]):
        path = folder / f"composite-{i:04d}.png"
        cv2.imwrite(str(path), photo)
        items.append((path, normalise(text)))
    return items


# -- engines (each runs in its own pinned child process) ----------------------------


def ours_scenes(items):
    import cv2

    from alpr_edge.vision import load_recognizer

    recognizer = load_recognizer(None, threads=1)
    for path, _ in items:
        started = time.perf_counter()
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        plates = recognizer.recognize(grey, zoom=True)  # as `alpr-edge recognize` reads stills
        yield (time.perf_counter() - started) * 1000, plates[0].text if plates else ""


def simplelpr_scenes(items):
    import simplelpr

    setup = simplelpr.EngineSetupParms()
    setup.cudaDeviceId = -1
    setup.enableImageProcessingWithGPU = False
    setup.enableClassificationWithGPU = False
    setup.maxConcurrentImageProcessingOps = 1
    engine = simplelpr.SimpleLPR(setup)
    processor = engine.createProcessor()
    processor.plateRegionDetectionEnabled = True
    processor.cropToPlateRegionEnabled = True
    for path, _ in items:
        started = time.perf_counter()
        candidates = processor.analyze(str(path))
        best = ""
        scored = [(m.confidence, m.text) for c in candidates for m in c.matches]
        if scored:
            best = max(scored)[1]
        yield (time.perf_counter() - started) * 1000, best


def ours_crops(items):
    import cv2

    from alpr_edge.vision.runtime import DEFAULT_MODELS_DIR, OCR_FILE, OcrModel

    ocr = OcrModel(DEFAULT_MODELS_DIR / OCR_FILE, threads=1)
    for path, _ in items:
        started = time.perf_counter()
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        candidates, _, _, _ = ocr.read(grey)
        yield (time.perf_counter() - started) * 1000, candidates[0].text if candidates else ""


def tesseract_crops(items):
    import cv2
    import pytesseract

    config = "--psm 7 --oem 1 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for path, _ in items:
        started = time.perf_counter()
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        text = pytesseract.image_to_string(grey, config=config)
        yield (time.perf_counter() - started) * 1000, text


ENGINES = {
    "ours-scenes": (ours_scenes, "scenes"),
    "simplelpr-scenes": (simplelpr_scenes, "scenes"),
    "ours-composites": (ours_scenes, "composites"),
    "simplelpr-composites": (simplelpr_scenes, "composites"),
    "ours-crops": (ours_crops, "crops"),
    "tesseract-crops": (tesseract_crops, "crops"),
}


def run_engine(name: str, items: list[tuple[Path, str]]) -> dict:
    engine, _ = ENGINES[name]
    times, correct = [], 0
    for (_path, truth), (ms, text) in zip(items, engine(items)):
        times.append(ms)
        correct += normalise(text) == truth and bool(truth)
    times = times[1:] or times  # the first call pays for loading
    return {
        "engine": name,
        "images": len(items),
        "exact": round(correct / max(len(items), 1), 4),
        "ms_median": round(float(np.median(times)), 1),
        "ms_p95": round(float(np.percentile(times, 95)), 1),
    }


def child(args) -> int:
    if args.core >= 0:
        os.sched_setaffinity(0, {args.core})
    items = [(Path(p), t) for p, t in json.loads(Path(args.items).read_text())]
    try:
        print(json.dumps(run_engine(args.child, items)))
    except ImportError as error:
        print(json.dumps({"engine": args.child, "error": f"not installed: {error}"}))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=Path, action="append", default=[])
    parser.add_argument("--crops", type=Path)
    parser.add_argument("--us-composite", action="store_true", help="with --crops and --scenes: also compare on US crops warped into the photos")
    parser.add_argument("--split", choices=["heldout", "all"], default="heldout")
    parser.add_argument("--core", type=int, default=0, help="CPU core every engine is pinned to (-1: none)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--items", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    import tempfile

    sets = {}
    if args.scenes:
        sets["scenes"] = scene_items(args.scenes, args.split)
    if args.crops:
        sets["crops"] = crop_items(args.crops, args.split)
    composites_dir = tempfile.TemporaryDirectory(prefix="alpr-composites-")
    if args.us_composite:
        if not (args.crops and args.scenes):
            parser.error("--us-composite needs --crops and --scenes")
        sets["composites"] = composite_items(args.crops, args.scenes, args.split, Path(composites_dir.name))
    results = {}
    for name, (_, kind) in ENGINES.items():
        if kind not in sets:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump([[str(p), t] for p, t in sets[kind]], handle)
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, "--items", handle.name, "--core", str(args.core)],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'scripts'}"},
            )
        finally:
            os.unlink(handle.name)
        lines = done.stdout.strip().splitlines()
        results[name] = json.loads(lines[-1]) if lines else {"engine": name, "error": done.stderr[-500:]}
        print(f"{name:18} {results[name]}", file=sys.stderr)
    report = {"split": args.split, "core": args.core, "engines": results}
    composites_dir.cleanup()
    for ours, peer in (("ours-scenes", "simplelpr-scenes"), ("ours-composites", "simplelpr-composites"), ("ours-crops", "tesseract-crops")):
        a, b = results.get(ours, {}), results.get(peer, {})
        if "exact" in a and "exact" in b:
            report[f"{ours}_vs_{peer}"] = {
                "speed_ratio": round(b["ms_median"] / a["ms_median"], 2) if a["ms_median"] else None,
                "accuracy_difference_points": round(100 * (a["exact"] - b["exact"]), 1),
            }
    if args.json:
        print(json.dumps(report))
    else:
        for name, result in results.items():
            print(f"{name:18} exact {result.get('exact')}  ms median {result.get('ms_median')}  p95 {result.get('ms_p95')}  ({result.get('images')} images)")
        for key, value in report.items():
            if key.endswith(("-scenes", "-crops", "-composites")) and isinstance(value, dict):
                print(f"{key}: {value['speed_ratio']}x faster, {value['accuracy_difference_points']:+} points exact")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
