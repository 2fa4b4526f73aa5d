#!/usr/bin/env python3
"""Benchmark recognition: ms per 1280x720 (or 1920x1080) frame with one plate, one core, int8 models.

Pins itself to one CPU core (``--core``, like ``taskset -c 0``) and uses one
interpreter thread. Frames are rendered with the synthetic generator (a car
with one plate in a street scene); the JPEG decode is not timed.

    PYTHONPATH=.:scripts python scripts/bench_recognition.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision import load_recognizer  # noqa: E402
from alpr_edge.vision.geometry import rectify  # noqa: E402


def frame_with_one_plate(width: int, height: int, seed: int = 5) -> np.ndarray:
    from make_sim_replay import HEIGHT, WIDTH, background, draw_vehicle
    from platesynth.plate import render_plate, to_grey
    import cv2

    rng = random.Random(seed)
    canvas = background(rng)
    plate = to_grey(rng, render_plate(rng, state="CA", text="7KDM482").image, night=False)
    draw_vehicle(canvas, plate, 0.8, 0.5)
    if (width, height) != (WIDTH, HEIGHT):
        canvas = cv2.resize(canvas, (width, height))
    return canvas


def _count_reads(recognizer) -> list[int]:
    """A counter of the OCR's reads (crops read, each copy of a box counting), from now on."""
    count = [0]
    read = recognizer.ocr.read

    def counted(crop, *args, **kwargs):
        count[0] += 1
        return read(crop, *args, **kwargs)

    recognizer.ocr.read = counted
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: no pinning)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    width, height = (int(v) for v in args.size.split("x"))
    recognizer = load_recognizer(args.models, threads=1)
    grey = frame_with_one_plate(width, height)
    for _ in range(10):
        recognizer.recognize(grey)
    reads = _count_reads(recognizer)
    total, detect, ocr, plates, cpu = [], [], [], [], []  # detect: the detector and the corner refiner
    for _ in range(args.frames):
        c0 = time.process_time()  # CPU time: what the frame costs even when other jobs share the core
        t0 = time.perf_counter()
        quads = recognizer.find_plates(grey)  # detector, plate gate, then the corner refiner when shipped
        t1 = time.perf_counter()
        found = [recognizer.read_crop(grey, q, surest=i == 0) for i, q in enumerate(quads)]
        t2 = time.perf_counter()
        cpu.append((time.process_time() - c0) * 1000)
        total.append((t2 - t0) * 1000)
        detect.append((t1 - t0) * 1000)
        ocr.append((t2 - t1) * 1000)
        plates.append(sum(o is not None for o in found))
    ocr_reads_per_frame = reads[0] / args.frames
    # OCR alone on one rectified crop, for a per-plate figure.
    crop_ms = []
    if quads:
        crop = rectify(grey, quads[0])
        for _ in range(args.frames):
            t0 = time.perf_counter()
            recognizer.ocr.read(crop)
            crop_ms.append((time.perf_counter() - t0) * 1000)
    read = [o.text for o in found if o is not None]
    # The same frame as a still: `alpr-edge recognize` also looks at the zoom tiles.
    still_ms, still_cpu = [], []
    for _ in range(max(10, args.frames // 4)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        recognizer.recognize(grey, zoom=True)
        still_ms.append((time.perf_counter() - t0) * 1000)
        still_cpu.append((time.process_time() - c0) * 1000)
    result = {
        "size": args.size, "frames": args.frames, "core": args.core, "threads": 1,
        "frame_ms_median": round(float(np.median(total)), 2), "frame_ms_p95": round(float(np.percentile(total, 95)), 2),
        "frame_cpu_ms_median": round(float(np.median(cpu)), 2), "frame_cpu_ms_p95": round(float(np.percentile(cpu, 95)), 2),
        "detector_and_corners_ms_median": round(float(np.median(detect)), 2),
        "corner_refiner": recognizer.refiner is not None, "ocr_per_frame_ms_median": round(float(np.median(ocr)), 2),
        "ocr_per_plate_ms_median": round(float(np.median(crop_ms)), 2) if crop_ms else None,
        "plates_read_per_frame": round(float(np.mean(plates)), 2), "read": read,
        "boxes_read_per_frame": len(quads), "ocr_reads_per_frame": round(ocr_reads_per_frame, 2),
        "still_with_zoom_tiles_ms_median": round(float(np.median(still_ms)), 2),
        "still_with_zoom_tiles_ms_p95": round(float(np.percentile(still_ms, 95)), 2),
        "still_with_zoom_tiles_cpu_ms_median": round(float(np.median(still_cpu)), 2),
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores".strip(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:<26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
