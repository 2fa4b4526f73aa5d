#!/usr/bin/env python3
"""Train the corner refiner (a window around a detected plate -> its four corners); export int8 TFLite.

Usage (from the repository root):
    PYTHONPATH=.:scripts python scripts/train_corners.py --data ../shared/datasets/eu-scenes \\
        --data ../shared/datasets/br-scenes --crops ../shared/datasets/us-plate-crops --out models/

Why: the detector works on the frame shrunk to 384x224, so on a plate a few dozen pixels wide
its corners are a few percent off, and the OCR loses whole characters to that. This model
looks again at full resolution, through a window REFINE_GROW times the detected quad.

Data, all from the training splits only (the same fixed-seed splits as the other scripts):
- real EU/BR training photos whose annotated plate is covered by a US plate (a real US
  training crop or a rendered one, matched in size and light; a fifth left as annotated),
  at several resolutions, each seen through the shipped detector's own quad (its real
  errors) and through jittered quads;
- rendered plates on bumper clutter under random perspective, through jittered quads.
Reported (never used to choose weights): on the held-out US composites (held-out crops over
held-out photos), the polygon IoU of the detector's quads with the truth before and after
refinement.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision.geometry import REFINE_H, REFINE_W, corners_box, from_window, quad_iou, rectify, refine_window  # noqa: E402
from alpr_edge.vision.geometry import box_iou  # noqa: E402
from alpr_edge.vision.runtime import DETECTOR_FILE, DetectorModel  # noqa: E402
from platesynth.corner_samples import photo_samples, synthetic_samples  # noqa: E402
from platesynth.ocr_samples import load_real_crops, real_label_usable, split_real  # noqa: E402
from platesynth.scene import load_scene_annotations, split_scenes, us_composites  # noqa: E402
from tflite_export import export_int8  # noqa: E402
from training_common import conv_block, seed_everything  # noqa: E402

_SHARED: dict = {}  # filled before the worker pool forks: photos, crops and the detector path


def _photo_chunk(args):
    seed, jobs, windows = args
    rng = random.Random(seed)
    detector = DetectorModel(_SHARED["detector"]) if _SHARED.get("detector") else None
    out = []
    for index in jobs:
        grey, boxes = _SHARED["photos"][index]
        for box in boxes:
            out += photo_samples(rng, grey, box, _SHARED["crops"], detector, windows)
    return out


def _synthetic_chunk(args):
    seed, count, windows = args
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        out += synthetic_samples(rng, windows)
    return out


def make_samples(photo_repeats: int, synthetic_plates: int, windows: int, seed: int, workers: int):
    n_photos = len(_SHARED["photos"])
    jobs = [list(range(n_photos)) for _ in range(photo_repeats)]
    chunks = [(seed * 1000 + i, job, windows) for i, job in enumerate(jobs)]
    synth = [(seed * 1000 + 500 + i, min(200, synthetic_plates - i * 200), windows) for i in range((synthetic_plates + 199) // 200)]
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_photo_chunk, chunks) + pool.map(_synthetic_chunk, synth)
    samples = [s for part in parts for s in part]
    return np.stack([s[0] for s in samples]), np.stack([s[1].reshape(8) for s in samples])


def build_model(keras):
    layers = keras.layers
    inp = keras.Input((REFINE_H, REFINE_W, 1), name="window")
    x = layers.Rescaling(1 / 127.5, offset=-1)(inp)

    def conv(x, ch, stride=1, sep=True):
        return conv_block(layers, x, ch, stride, sep)

    x = conv(x, 24, 2, sep=False)  # 32x64
    x = conv(x, 32)
    x = conv(x, 48, 2)  # 16x32
    x = conv(x, 48)
    x = conv(x, 64, 2)  # 8x16
    x = conv(x, 64)
    x = conv(x, 96, 2)  # 4x8
    x = conv(x, 96)
    x = conv(x, 128, 2)  # 2x4
    x = layers.Flatten()(x)  # where things are matters: no global pooling
    x = layers.Dense(128, activation="relu")(x)
    out = layers.Dense(8, name="corners")(x)
    return keras.Model(inp, out)


def mirrored(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left-right mirror of windows and their corner targets (TL<->TR, BR<->BL)."""
    pts = y.reshape(-1, 4, 2)[:, [1, 0, 3, 2]].copy()
    pts[..., 0] = 1.0 - pts[..., 0]
    return x[:, :, ::-1], pts.reshape(-1, 8)


def held_out_pairs(val_items, held_out_crops, detector_path: Path):
    """(photo, true corners, detector quad) for each held-out composite the detector finds."""
    detector = DetectorModel(detector_path)
    pairs = []
    for photo, truth, *_ in us_composites(val_items, held_out_crops):
        found = [d.corners for d in detector.detect(photo) if box_iou(corners_box(d.corners), corners_box(truth)) >= 0.3]
        if found:
            pairs.append((photo, truth, found[0]))
    return pairs


def refine_report(predict, pairs) -> dict:
    before, after = [], []
    for photo, truth, guess in pairs:
        window = refine_window(guess)
        unit = predict(rectify(photo, window, (REFINE_H, REFINE_W))).reshape(4, 2)
        before.append(quad_iou(guess, truth))
        after.append(quad_iou(from_window(window, unit), truth))
    before, after = np.array(before), np.array(after)
    return {"composites": len(pairs), "iou_before_mean": round(float(before.mean()), 4), "iou_after_mean": round(float(after.mean()), 4),
            "iou80_before": round(float((before >= 0.8).mean()), 4), "iou80_after": round(float((after >= 0.8).mean()), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="scene folder with NAME.txt annotations (repeatable)")
    parser.add_argument("--crops", type=Path, required=True, help="real US plate crops (labels.csv): their training split is overlaid")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    parser.add_argument("--detector", type=Path, help="detector whose quads are refined (default: DETECTOR_FILE beside --out)")
    parser.add_argument("--photo-repeats", type=int, default=50, help="composites made of each training photo")
    parser.add_argument("--synthetic", type=int, default=4000, help="rendered plates")
    parser.add_argument("--windows", type=int, default=3, help="windows cut around each plate")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2468)
    parser.add_argument("--weights-out", type=Path, default=Path("/tmp/alpr_corners.weights.h5"))
    parser.add_argument("--time-budget-min", type=float, default=35, help="stop training after this many minutes (0: no limit)")
    args = parser.parse_args(argv)

    t0 = time.time()
    train_items, val_items = [], []
    for folder in args.data:
        tr, va = split_scenes(load_scene_annotations(folder))
        train_items += tr
        val_items += va
    usable = [r for r in load_real_crops(args.crops) if real_label_usable(r[1])]  # the OCR's split, exactly
    train_crops, held_out_crops = split_real(usable)
    detector_path = args.detector or args.out / DETECTOR_FILE
    _SHARED.update(photos=[(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), b) for p, b in train_items],
                   crops=[image for image, *_ in train_crops], detector=str(detector_path))
    x, y = make_samples(args.photo_repeats, args.synthetic, args.windows, args.seed, args.workers)
    print(f"windows: {len(x)} from {len(train_items)} training photos and {args.synthetic} rendered plates "
          f"in {time.time() - t0:.0f}s", flush=True)
    pairs = held_out_pairs(val_items, held_out_crops, detector_path)

    seed_everything(args.seed)  # after the sample pool: each of its chunks has its own seed
    import keras

    model = build_model(keras)
    print(f"params: {model.count_params()}", flush=True)
    optimizer = keras.optimizers.Adam(args.lr)
    model.compile(optimizer=optimizer, loss=keras.losses.Huber(delta=0.05))

    def predict_float(patch):
        return model(patch[None, ..., None].astype(np.float32), training=False).numpy()[0]

    budget_s = args.time_budget_min * 60
    t_train = time.time()
    for epoch in range(args.epochs):
        te = time.time()
        done = max(epoch / args.epochs, (time.time() - t_train) / budget_s if budget_s else 0)
        optimizer.learning_rate.assign(args.lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * min(1.0, done)))))
        flip = np.random.rand(len(x)) < 0.5
        xe, ye = x.copy(), y.copy()
        xe[flip], ye[flip] = mirrored(x[flip], y[flip])
        gain = np.random.uniform(0.7, 1.3, (len(x), 1, 1)).astype(np.float32)
        xe = np.clip(xe * gain + np.random.uniform(-25, 25, (len(x), 1, 1)), 0, 255).astype(np.float32)
        history = model.fit(xe[..., None], ye, batch_size=args.batch, epochs=1, shuffle=True, verbose=0)
        report = refine_report(predict_float, pairs)
        print(f"epoch {epoch + 1} loss {history.history['loss'][-1]:.5f} held-out {json.dumps(report)} ({time.time() - te:.0f}s)", flush=True)
        if budget_s and time.time() - t_train > budget_s:
            print("time budget reached", flush=True)
            break
    model.save_weights(args.weights_out)  # the final weights: held-out figures are only reported

    path = export_int8(model, x[np.random.choice(len(x), 300, replace=False)], args.out / "plate_corners_int8.tflite")
    from alpr_edge.vision.runtime import _TfliteModel

    int8 = _TfliteModel(path)
    report = {"held_out": refine_report(lambda patch: int8.run(patch)[0], pairs), "windows": len(x),
              "bytes": path.stat().st_size, "seconds": round(time.time() - t0)}
    print(json.dumps(report), flush=True)
    Path("/tmp/alpr_corners_report.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
