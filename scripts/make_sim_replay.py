#!/usr/bin/env python3
"""Render the simulated drive that the `sim` firmware profile replays as its camera.

Writes NNNN.jpg frames (1280x720 grey) and truth.csv (plate,state,first_frame,last_frame)
into firmware_profiles/sim-data/frames/ by default. Vehicles approach one after
another (their plates grow over consecutive frames) past signs with text that
must not become reads; the last frames are empty so every passage ends before
the loop restarts.

    PYTHONPATH=.:scripts python scripts/make_sim_replay.py
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platesynth.plate import PLATE_H, PLATE_W, render_plate, to_grey  # noqa: E402
from platesynth.scene import _text_block  # noqa: E402

WIDTH, HEIGHT = 1280, 720
# (text, state, first frame, last frame, lane x at the end, night-like IR)
VEHICLES = [
    ("7KDM482", "CA", 0, 24, 0.42, False),
    ("HXP4471", "TX", 14, 40, 0.68, False),
    ("LKR8203", "NY", 46, 70, 0.5, False),
]
FRAMES = 78


def background(rng: random.Random) -> np.ndarray:
    yy = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None]
    img = (110 + 60 * yy + np.zeros((HEIGHT, WIDTH), np.float32)).astype(np.uint8)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    draw.polygon([(0, HEIGHT), (WIDTH, HEIGHT), (WIDTH * 0.6, HEIGHT * 0.35), (WIDTH * 0.4, HEIGHT * 0.35)], fill=80)  # road
    for i in range(6):  # lane dashes
        y = HEIGHT * 0.4 + i * 60
        draw.rectangle((WIDTH / 2 - 2 - i * 2, y, WIDTH / 2 + 2 + i * 2, y + 25), fill=200)
    draw.rectangle((0, 120, 300, 330), fill=60)  # buildings
    draw.rectangle((1000, 90, 1280, 340), fill=70)
    _text_block(rng, pil, 40, 160, 1.6)  # shop sign
    _text_block(rng, pil, 1030, 130, 1.4)
    draw.rectangle((900, 250, 990, 340), fill=235)  # a speed sign with digits
    draw.text((912, 258), "SPEED\nLIMIT\n  35", fill=10)
    return np.asarray(pil).copy()


def draw_vehicle(canvas: np.ndarray, plate_grey: np.ndarray, progress: float, lane_x: float) -> None:
    """A car seen from behind/front growing as it approaches; its plate warped onto the bumper."""
    scale = 0.25 + 0.75 * progress
    vw = 720 * scale
    cx = WIDTH * (0.5 + (lane_x - 0.5) * progress)
    cy = HEIGHT * (0.45 + 0.35 * progress)
    vh = vw * 0.7
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    draw.rounded_rectangle((cx - vw / 2, cy - vh * 0.7, cx + vw / 2, cy + vh * 0.3), radius=int(vw * 0.08), fill=45)
    draw.rectangle((cx - vw * 0.4, cy - vh * 0.65, cx + vw * 0.4, cy - vh * 0.3), fill=20)
    draw.rectangle((cx - vw / 2, cy + vh * 0.12, cx + vw / 2, cy + vh * 0.28), fill=30)
    for lx in (cx - vw * 0.45, cx + vw * 0.3):
        draw.ellipse((lx, cy - vh * 0.15, lx + vw * 0.15, cy), fill=230)
    canvas[:] = np.asarray(pil)
    pw = vw * 0.24
    ph = pw / 2
    dst = np.array([[cx - pw / 2, cy - ph / 2], [cx + pw / 2, cy - ph / 2 + 2], [cx + pw / 2, cy + ph / 2 + 2], [cx - pw / 2, cy + ph / 2]], np.float32)
    src = np.array([[0, 0], [PLATE_W, 0], [PLATE_W, PLATE_H], [0, PLATE_H]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(plate_grey, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(plate_grey.shape, 255, np.uint8), matrix, (WIDTH, HEIGHT)) > 127
    canvas[mask] = warped[mask]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "firmware_profiles" / "sim-data" / "frames")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quality", type=int, default=72)
    parser.add_argument("--check", action="store_true", help="don't render: replay the folder through the shipped models and print the reads")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    rng = random.Random(args.seed)
    np.random.seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.jpg"):
        old.unlink()
    base = background(rng)
    plates = []
    for text, state, *_ in VEHICLES:
        while True:  # a clean, legible design for the demo drive
            plate = render_plate(random.Random(rng.randrange(1 << 30)), state=state, text=text)
            grey = to_grey(rng, plate.image, night=False)
            ink = np.percentile(grey, 10)
            if np.percentile(grey, 80) - ink > 90:
                break
        plates.append(grey)
    noise_rng = np.random.default_rng(args.seed)
    for frame in range(FRAMES):
        canvas = base.copy()
        # Draw far vehicles first so nearer ones cover them.
        visible = [(i, (frame - v[2]) / (v[3] - v[2])) for i, v in enumerate(VEHICLES) if v[2] <= frame <= v[3]]
        for i, progress in sorted(visible, key=lambda item: item[1]):
            draw_vehicle(canvas, plates[i], progress, VEHICLES[i][4])
        noisy = np.clip(canvas + noise_rng.normal(0, 3, canvas.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(args.out / f"{frame:04d}.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, args.quality])
    with (args.out / "truth.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["plate", "state", "first_frame", "last_frame"])
        for text, state, first, last, *_ in VEHICLES:
            writer.writerow([text, state, first, last])
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"{FRAMES} frames and truth.csv in {args.out} ({total / 1e6:.1f} MB)")
    return 0


def check(folder: Path) -> int:
    """Replay the frames at 15 fps through recognizer + aggregator; compare with truth.csv."""
    from alpr_edge.capture.frame import Frame
    from alpr_edge.vision import ReadAggregator, load_recognizer

    recognizer = load_recognizer()
    aggregator = ReadAggregator("sim-front")
    reads = []
    frames = sorted(folder.glob("*.jpg"))
    for i, path in enumerate(frames):
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        frame = Frame(index=i, grey=grey, colour=None, monotonic_s=i / 15, wall_time=i / 15, camera="sim-front")
        reads += aggregator.add(frame, recognizer.recognize(grey))
    reads += aggregator.flush()
    with (folder / "truth.csv").open() as handle:
        truth = {row["plate"] for row in csv.DictReader(handle)}
    for read in reads:
        print(f"{read.text:<10} {read.confidence:.2f} state={read.state} frames={read.frames} {'ok' if read.text in truth else 'NOT IN TRUTH'}")
    missing = truth - {r.text for r in reads}
    print(f"{len(reads)} reads; truth plates missing: {sorted(missing) or 'none'}; dropped low confidence: {aggregator.dropped_low_confidence}")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
