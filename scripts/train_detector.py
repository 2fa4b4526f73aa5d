#!/usr/bin/env python3
"""Train the plate detector (centre heatmap + 4 corner offsets, fully convolutional); export int8 TFLite.

Usage (from the repository root):
    PYTHONPATH=.:scripts python scripts/train_detector.py --data /path/to/eu-scenes --data /path/to/br-scenes --out models/

Data: synthetic street scenes from scripts/platesynth (vehicles, plates, signs
and stickers as distractors, frames with no plate) and the real scene photos of
each ``--data`` folder (NAME.txt annotations). Each folder is split 80/20 with
a fixed seed; real training photos have their plates kept or overlaid with
rendered US plates; recall/precision are reported on the held-out 20% only.
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

from alpr_edge.vision.geometry import DET_H, DET_STRIDE, DET_W, corners_box, letterbox, order_corners  # noqa: E402
from alpr_edge.vision.geometry import box_iou  # noqa: E402
from alpr_edge.vision.runtime import OFFSET_UNIT_CELLS, decode_detections  # noqa: E402
from tflite_export import export_int8  # noqa: E402
from training_common import conv_block, seed_everything  # noqa: E402
from platesynth.ocr_samples import load_real_crops, real_label_usable, split_real  # noqa: E402
from platesynth.plate import degrade, jpeg_grey  # noqa: E402
from platesynth.scene import load_scene_annotations, real_scene, split_scenes, synthetic_scene, us_composites  # noqa: E402
from platesynth.templates import load_templates  # noqa: E402

OUT_H, OUT_W = DET_H // DET_STRIDE, DET_W // DET_STRIDE


def hard_jpeg(rng: random.Random, grey: np.ndarray, odds: float) -> np.ndarray:
    """With probability ``odds``, the whole frame JPEG-compressed hard (quality 10-40), as gate
    cameras send it: before any resizing, so the blocks shrink with the frame as they do at runtime."""
    if rng.random() >= odds:
        return grey
    return jpeg_grey(grey, rng.randint(10, 40))


def _synth_chunk(args):
    seed, count, templates, jpeg_odds = args
    rng = random.Random(seed)
    np.random.seed(seed % (1 << 31))
    designs = load_templates(templates) if templates else None
    images, quads = [], []
    for _ in range(count):
        img, q = synthetic_scene(rng, 640, 360, designs)
        canvas, scale = letterbox(hard_jpeg(rng, img, jpeg_odds))
        images.append(canvas)
        quads.append([c * scale for c in q])
    return np.stack(images), quads


def make_synthetic(count: int, seed: int, workers: int, cache: Path | None = None, templates: Path | None = None,
                   jpeg_odds: float = 0.0):
    if cache and cache.is_file():
        data = np.load(cache, allow_pickle=True)
        return data["x"], list(data["q"])
    chunks = [(seed * 1000 + i, min(200, count - i * 200), templates, jpeg_odds) for i in range((count + 199) // 200)]
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_synth_chunk, chunks)
    x, q = np.concatenate([p[0] for p in parts]), sum((p[1] for p in parts), [])
    if cache:
        quads = np.empty(len(q), dtype=object)
        quads[:] = q
        np.savez(cache, x=x, q=quads)
    return x, q


def augment_real(rng: random.Random, grey: np.ndarray, boxes, us_crops=None, designs=None,
                 jpeg_odds: float = 0.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Overlay (or keep) plates, zoom to a random window containing them, letterbox, degrade."""
    img, quads = real_scene(rng, grey, boxes, overlay=0.6, real_crops=us_crops, designs=designs)
    img = hard_jpeg(rng, img, jpeg_odds)
    h, w = img.shape
    pts = np.concatenate(quads) if quads else np.zeros((0, 2), np.float32)
    zoom = rng.uniform(0.45, 1.0)
    cw, ch = max(64, int(w * zoom)), max(36, int(h * zoom))
    lo_x = int(min(max(0, pts[:, 0].max() - cw) if len(pts) else 0, w - cw))
    hi_x = int(max(min(w - cw, pts[:, 0].min()) if len(pts) else w - cw, lo_x))
    lo_y = int(min(max(0, pts[:, 1].max() - ch) if len(pts) else 0, h - ch))
    hi_y = int(max(min(h - ch, pts[:, 1].min()) if len(pts) else h - ch, lo_y))
    x0, y0 = rng.randint(max(0, lo_x), max(0, hi_x)), rng.randint(max(0, lo_y), max(0, hi_y))
    crop = img[y0:y0 + ch, x0:x0 + cw]
    canvas, scale = letterbox(crop)
    out_quads = [(q - [x0, y0]) * scale for q in quads]
    return degrade(rng, canvas, strength=0.5), out_quads


def _downscaled(path: Path, boxes, longest: int = 800):
    """A training photo at most ``longest`` pixels wide/high (augmenting full-size photos is slow)."""
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ValueError(f"{path}: unreadable image")
    f = min(1.0, longest / max(grey.shape))
    if f < 1.0:
        grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return grey, [tuple(int(round(v * f)) for v in b) for b in boxes]


def targets(quads_batch, batch: int):
    heat = np.zeros((batch, OUT_H, OUT_W, 1), np.float32)
    offs = np.zeros((batch, OUT_H, OUT_W, 8), np.float32)
    mask = np.zeros((batch, OUT_H, OUT_W, 1), np.float32)
    yy, xx = np.mgrid[0:OUT_H, 0:OUT_W]
    for b, quads in enumerate(quads_batch):
        for q in quads:
            q = order_corners(q)
            centre = q.mean(axis=0) / DET_STRIDE
            _, _, bw, bh = corners_box(q / DET_STRIDE)
            if bw < 1.5 or centre[0] < 0 or centre[1] < 0 or centre[0] >= OUT_W or centre[1] >= OUT_H:
                continue
            sx, sy = max(0.7, 0.2 * bw), max(0.7, 0.25 * bh)  # elongated like the plate
            g = np.exp(-((xx + 0.5 - centre[0]) ** 2 / (2 * sx ** 2) + (yy + 0.5 - centre[1]) ** 2 / (2 * sy ** 2)))
            heat[b, ..., 0] = np.maximum(heat[b, ..., 0], g)
            cx, cy = int(centre[0]), int(centre[1])
            heat[b, cy, cx, 0] = 1.0
            ys, xs = np.nonzero(g > 0.3)
            cells = np.stack([(xs + 0.5) * DET_STRIDE, (ys + 0.5) * DET_STRIDE], axis=1).astype(np.float32)
            off = (q[None, :, :] - cells[:, None, :]) / (DET_STRIDE * OFFSET_UNIT_CELLS)
            better = g[ys, xs] >= mask[b, ys, xs, 0]  # where plates overlap, the nearer centre wins
            offs[b, ys[better], xs[better]] = off[better].reshape(-1, 8)
            mask[b, ys[better], xs[better], 0] = g[ys, xs][better]
    return heat, offs, mask


def build_model(keras):
    layers = keras.layers
    inp = keras.Input((DET_H, DET_W, 1), name="image")
    x = layers.Rescaling(1 / 127.5, offset=-1)(inp)

    def conv(x, ch, stride=1, sep=True):
        return conv_block(layers, x, ch, stride, sep)

    x = conv(x, 16, 2, sep=False)  # 1/2
    x = conv(x, 24, 2)  # 1/4
    s4 = conv(x, 24)
    x = conv(s4, 48, 2)  # 1/8
    s8 = conv(x, 48)
    x = conv(s8, 96, 2)  # 1/16
    x = conv(x, 96)
    x = conv(x, 96)
    x = layers.UpSampling2D(2)(x)
    x = layers.Concatenate()([x, s8])
    x = conv(x, 48)
    x = layers.UpSampling2D(2)(x)
    x = layers.Concatenate()([x, s4])
    x = conv(x, 32)
    heat = layers.Conv2D(1, 1, activation="sigmoid", name="heat", bias_initializer=keras.initializers.Constant(-2.2))(conv(x, 32))
    offs = layers.Conv2D(8, 1, name="corners")(conv(x, 32))
    return keras.Model(inp, [heat, offs])


def evaluate_detections(predict, val_images, val_boxes, threshold=0.35, iou_needed=0.5):
    """Recall and precision on held-out photos (plates matched by IoU of the axis-aligned box)."""
    tp = fp = total = 0
    for img, boxes in zip(val_images, val_boxes):
        canvas, scale = letterbox(img)
        heat, offs = predict(canvas)
        found = decode_detections(heat, offs, scale, threshold)
        total += len(boxes)
        matched = set()
        for d in found:
            box = corners_box(d.corners)
            hits = [i for i, b in enumerate(boxes) if i not in matched and box_iou(box, b) >= iou_needed]
            if hits:
                matched.add(hits[0])
                tp += 1
            else:
                fp += 1
    return tp / max(total, 1), tp / max(tp + fp, 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="scene folder with NAME.txt annotations (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    parser.add_argument("--crops", type=Path, help="real US plate crops (labels.csv): their training split is overlaid on the real photos")
    parser.add_argument("--synthetic", type=int, default=2000)
    parser.add_argument("--real-repeats", type=int, default=3, help="augmented copies of each real training photo per epoch")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--init", type=Path, help="start from these weights (.weights.h5)")
    parser.add_argument("--weights-out", type=Path, default=Path("/tmp/alpr_detector.weights.h5"))
    parser.add_argument("--cache-dir", type=Path, help="keep the rendered synthetic scenes here between runs")
    parser.add_argument("--time-budget-min", type=float, default=55)
    parser.add_argument("--templates", type=Path, metavar="DIR",
                        help="blank state designs (us-plate-templates): plates on real designs and two-row motorcycle plates in the scenes")
    parser.add_argument("--hard-jpeg", type=float, default=0.0, metavar="ODDS",
                        help="share of training frames JPEG-compressed at quality 10-40 first (default 0)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.hard_jpeg <= 1.0:
        parser.error(f"--hard-jpeg: expected a number from 0 to 1, got {args.hard_jpeg}")
    if args.templates and not args.templates.is_dir():
        parser.error(f"--templates: {args.templates}: no such folder")

    tf = seed_everything(args.seed)
    import keras

    t0 = time.time()
    train_items, val_items = [], []
    for folder in args.data:
        tr, va = split_scenes(load_scene_annotations(folder))
        train_items += tr
        val_items += va
    train_real = [_downscaled(p, b) for p, b in train_items]
    val_images = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in val_items]
    val_boxes = [b for _, b in val_items]
    print(f"real scenes: {len(train_real)} train, {len(val_items)} held out", flush=True)
    us_crops = None
    if args.crops:  # the OCR's training split only: the held-out crops stay unseen by both models
        usable = [r for r in load_real_crops(args.crops) if real_label_usable(r[1])]  # the OCR's split, exactly
        train_crops, held_out_crops = split_real(usable)
        us_crops = [image for image, *_ in train_crops]
        print(f"real US crops to overlay: {len(us_crops)}", flush=True)
        # Reported each epoch: held-out US crops over held-out photos (never trained on).
        composites = [(photo, [corners_box(corners)]) for photo, corners, *_ in us_composites(val_items, held_out_crops)]
    looks = ("_templates" if args.templates else "") + (f"_jpeg{args.hard_jpeg:g}" if args.hard_jpeg else "")
    cache = args.cache_dir / f"alpr_det_synth_{args.synthetic}_{args.seed}{looks}.npz" if args.cache_dir else None
    syn_x, syn_q = make_synthetic(args.synthetic, args.seed, args.workers, cache, args.templates, args.hard_jpeg)
    designs = load_templates(args.templates) if args.templates else None
    print(f"synthetic scenes: {len(syn_x)} in {time.time() - t0:.0f}s", flush=True)

    model = build_model(keras)
    if args.init:
        model.load_weights(args.init)
        print(f"initialised from {args.init}", flush=True)
    print(f"params: {model.count_params()}", flush=True)
    optimizer = keras.optimizers.Adam(args.lr)
    rng = random.Random(args.seed)

    @tf.function
    def train_step(x, heat_t, offs_t, mask):
        with tf.GradientTape() as tape:
            heat, offs = model(x, training=True)
            heat = tf.clip_by_value(heat, 1e-4, 1 - 1e-4)
            # Dense soft-target BCE on the gaussian blob, positives up-weighted: converges in far
            # fewer steps than CenterNet's focal loss, which matters on a CPU budget.
            weight = 1.0 + 30.0 * heat_t
            bce = -(heat_t * tf.math.log(heat) + (1 - heat_t) * tf.math.log(1 - heat))
            focal = tf.reduce_sum(bce * weight) / tf.reduce_sum(weight) * 10.0
            l1 = tf.reduce_sum(tf.abs(offs - offs_t) * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
            loss = focal + 2.0 * l1
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    predict_fn = tf.function(lambda v: model(v, training=False))

    def predict_float(canvas):
        heat, offs = predict_fn(canvas[None, ..., None].astype(np.float32))
        return heat.numpy()[0, ..., 0], offs.numpy()[0]

    weights_path = args.weights_out
    budget_s = args.time_budget_min * 60
    t_train = time.time()
    steps_per_epoch = (len(syn_x) + len(train_real) * args.real_repeats) // args.batch
    total_steps = steps_per_epoch * args.epochs
    step = 0
    for epoch in range(args.epochs):
        te = time.time()
        real_aug = [augment_real(rng, g, b, us_crops, designs, args.hard_jpeg) for _ in range(args.real_repeats) for g, b in train_real]
        all_x = np.concatenate([syn_x, np.stack([r[0] for r in real_aug])])
        all_q = syn_q + [r[1] for r in real_aug]
        order = np.random.permutation(len(all_x))
        losses = []
        for b in range(len(order) // args.batch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x = all_x[idx].astype(np.float32)
            quads = [list(all_q[i]) for i in idx]
            for i in range(len(idx)):
                if rng.random() < 0.5:  # mirror: plates are found by shape and contrast, not by reading
                    x[i] = x[i, :, ::-1]
                    quads[i] = [np.stack([DET_W - q[:, 0], q[:, 1]], axis=1) for q in quads[i]]
                if rng.random() < 0.5:
                    x[i] = np.clip(x[i] * rng.uniform(0.6, 1.4) + rng.uniform(-30, 30), 0, 255)
            heat_t, offs_t, mask = targets(quads, len(idx))
            done = max(step / total_steps, (time.time() - t_train) / budget_s if budget_s else 0)
            optimizer.learning_rate.assign(args.lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * min(1.0, done)))))
            step += 1
            losses.append(float(train_step(x[..., None], heat_t, offs_t, mask)))
        # Refresh BatchNorm's moving statistics with a few training-mode passes (no gradients):
        # they lag the fast-changing weights, and inference mode (and the int8 export) uses them.
        for k in range(8):
            idx = order[k * args.batch:(k + 1) * args.batch]
            model(all_x[idx][..., None].astype(np.float32), training=True)
        recall, precision = evaluate_detections(predict_float, val_images, val_boxes)
        line = f"epoch {epoch + 1} loss {np.mean(losses):.3f} held-out recall {recall:.3f} precision {precision:.3f}"
        if args.crops:
            us_recall, us_precision = evaluate_detections(predict_float, [c[0] for c in composites], [c[1] for c in composites])
            line += f" US composites recall {us_recall:.3f} precision {us_precision:.3f}"
        print(f"{line} ({time.time() - te:.0f}s)", flush=True)
        # The held-out photos are only reported: the final weights are kept (no selection on them).
        if budget_s and time.time() - t_train > budget_s:
            print("time budget reached", flush=True)
            break
    model.save_weights(weights_path)

    rep = np.concatenate([syn_x[:200], np.stack([augment_real(rng, g, b, us_crops)[0] for g, b in train_real[:100]])])

    path = export_int8(model, rep, args.out / "plate_detector_int8.tflite")

    from alpr_edge.vision.runtime import DetectorModel

    detector = DetectorModel(path)

    def predict_int8(canvas):
        outs = detector.model.run(canvas)
        return next(o for o in outs if o.shape[-1] == 1)[0, ..., 0], next(o for o in outs if o.shape[-1] == 8)[0]

    recall, precision = evaluate_detections(predict_int8, val_images, val_boxes)
    recall30, precision30 = evaluate_detections(predict_int8, val_images, val_boxes, iou_needed=0.3)
    report = {"held_out_photos": len(val_items), "recall_iou50_int8": round(recall, 4), "precision_iou50_int8": round(precision, 4),
              "recall_iou30_int8": round(recall30, 4), "precision_iou30_int8": round(precision30, 4),
              "bytes": path.stat().st_size, "seconds": round(time.time() - t0)}
    if args.crops:
        us_recall, us_precision = evaluate_detections(predict_int8, [c[0] for c in composites], [c[1] for c in composites])
        report.update({"us_composites": len(composites), "us_composite_recall_iou50_int8": round(us_recall, 4),
                       "us_composite_precision_iou50_int8": round(us_precision, 4)})
    print(json.dumps(report), flush=True)
    Path("/tmp/alpr_detector_report.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
