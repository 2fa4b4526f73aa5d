#!/usr/bin/env python3
"""Train the plate OCR (CRNN-style, CTC) with a state-of-issue head; export int8 TFLite.

Usage (from the repository root):
    PYTHONPATH=.:scripts python scripts/train_ocr.py --data /path/to/us-plate-crops --out models/

Data: synthetic plates from scripts/platesynth plus the real labelled crops of
``--data`` (labels.csv: file,state,text), split with a fixed seed 80/20; only
the 80% part is trained on; the 20% part is only reported, never used to pick weights.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision.contrast import INPUT_NAME_CLAHE, INPUT_NAME_PLAIN, normalise_contrast  # noqa: E402
from alpr_edge.vision.formats import ALPHABET, STATE_CLASSES  # noqa: E402
from alpr_edge.vision.geometry import OCR_H, OCR_W  # noqa: E402
from tflite_export import export_int8  # noqa: E402
from training_common import seed_everything  # noqa: E402
from platesynth.templates import load_templates  # noqa: E402
from platesynth.ocr_samples import TEMPLATE_SHARE, load_real_crops, negative_sample, real_label_usable, real_sample, row_sample, split_real, synthetic_sample  # noqa: E402

BLANK = len(ALPHABET)
MAX_LABEL = 10


STATE_MAP_COLUMNS = 24  # the state head's dense layer sees 3 x 24 cells (a 96-pixel-wide crop)
NEGATIVE_FRACTION = 0.07  # sign/sticker/clutter crops labelled "nothing to read"
ROW_FRACTION = 0.08  # one row of a two-row (motorcycle) plate, cut as the runtime cuts it


def _synth_chunk(args):
    seed, count, size, templates, template_share, row_share = args
    rng = random.Random(seed)
    np.random.seed(seed % (1 << 31))
    designs = load_templates(templates) if templates else None
    out = [_one_sample(rng, size, designs, template_share, row_share) for _ in range(count)]
    return np.stack([o[0] for o in out]), [o[1] for o in out], np.array([o[2] for o in out], np.int32)


def _one_sample(rng: random.Random, size: tuple[int, int], designs, template_share: float, row_share: float = ROW_FRACTION):
    draw = rng.random()
    if draw < NEGATIVE_FRACTION:
        return negative_sample(rng, size)
    if draw < NEGATIVE_FRACTION + row_share:
        return row_sample(rng, size, designs)
    return synthetic_sample(rng, size, designs, template_share)


def make_synthetic(count: int, seed: int, workers: int, size: tuple[int, int] = (OCR_H, OCR_W), templates: Path | None = None,
                   template_share: float = TEMPLATE_SHARE, row_share: float = ROW_FRACTION):
    chunks = [(seed * 1000 + i, min(1000, count - i * 1000), size, templates, template_share, row_share)
              for i in range((count + 999) // 1000)]
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_synth_chunk, chunks)
    return np.concatenate([p[0] for p in parts]), sum((p[1] for p in parts), []), np.concatenate([p[2] for p in parts])


def encode(texts):
    labels = np.full((len(texts), MAX_LABEL), 0, np.int32)
    lengths = np.zeros(len(texts), np.int32)
    for i, t in enumerate(texts):
        t = t[:MAX_LABEL]
        labels[i, : len(t)] = [ALPHABET.index(c) for c in t]
        lengths[i] = len(t)
    return labels, lengths


def build_model(keras, width: int = OCR_W, clahe: bool = False):
    layers = keras.layers
    # The input's name tells the runtime whether to normalise crops first (vision/contrast.py).
    inp = keras.Input((OCR_H, width, 1), name=INPUT_NAME_CLAHE if clahe else INPUT_NAME_PLAIN)
    x = layers.Rescaling(1 / 127.5, offset=-1)(inp)

    def block(x, ch, pool):
        x = layers.SeparableConv2D(ch, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU(6.0)(x)
        x = layers.SeparableConv2D(ch, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU(6.0)(x)
        return layers.MaxPooling2D(pool)(x) if pool else x

    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(x)  # 24x48
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.ReLU(6.0)(x)
    x = block(x, 64, 2)  # 12x24
    x = block(x, 128, (2, 1))  # 6x24
    feat = block(x, 160, (2, 1))  # 3x24
    # State head: the state name, slogan and graphics sit at known places (top band, bottom
    # band, left edge), so keep the layout: squeeze channels, then a dense layer over the map.
    s = layers.Conv2D(24, 1, activation="relu")(feat)
    if width > STATE_MAP_COLUMNS * 4:
        # A wider crop keeps the state head's layout (and the weights of a narrower run).
        s = layers.AveragePooling2D((1, width // (STATE_MAP_COLUMNS * 4)))(s)
    s = layers.Flatten()(s)
    s = layers.Dropout(0.3)(s)
    s = layers.Dense(128, activation="relu")(s)
    s = layers.Dropout(0.2)(s)
    state = layers.Dense(len(STATE_CLASSES), name="state_logits")(s)
    # Sequence: collapse height into channels, then 1-D context along the width.
    seq = layers.Permute((2, 1, 3))(feat)  # width-major
    seq = layers.Reshape((width // 4, (OCR_H // 16) * 160))(seq)
    seq = layers.Conv1D(256, 1, activation="relu")(seq)
    seq = layers.Dropout(0.1)(seq)
    seq = layers.Conv1D(256, 3, padding="same", activation="relu")(seq)
    seq = layers.Conv1D(256, 3, padding="same", activation="relu")(seq)
    chars = layers.Conv1D(len(ALPHABET) + 1, 1, name="char_logits")(seq)
    return keras.Model(inp, [chars, state])


def as_model_input(crops: np.ndarray, clahe: bool) -> np.ndarray:
    """uint8 crops (N, H, W) as the float batch (N, H, W, 1) the model trains on: contrast-
    normalised first with ``clahe``, exactly as the runtime's OcrModel does for such a model."""
    if clahe:
        crops = np.stack([normalise_contrast(c) for c in crops])
    return crops[..., None].astype(np.float32)


def greedy(logits: np.ndarray) -> list[str]:
    out = []
    for row in logits.argmax(-1):
        prev, text = BLANK, []
        for k in row:
            if k != prev and k != BLANK:
                text.append(ALPHABET[k])
            prev = k
        out.append("".join(text))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="real US crops folder with labels.csv")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    parser.add_argument("--synthetic", type=int, default=24000, help="synthetic plates rendered once")
    parser.add_argument("--templates", type=Path, help="blank state designs (us-plate-templates): half the synthetic plates are drawn on them")
    parser.add_argument("--template-share", type=float, default=TEMPLATE_SHARE,
                        help="with --templates: the share of synthetic plates drawn on the real state designs")
    parser.add_argument("--real-repeats", type=int, default=16, help="augmented copies of each real training crop per epoch")
    parser.add_argument("--real-small", type=float, default=0.0, metavar="ODDS",
                        help="share of the real crops' copies shrunk to 50-130 px and JPEG-compressed there first (default 0)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--init", type=Path, help="start from these weights (.weights.h5), e.g. to fine-tune a previous run")
    parser.add_argument("--weights-out", type=Path, default=Path("/tmp/alpr_ocr.weights.h5"), help="where the final float weights are kept")
    parser.add_argument("--width", type=int, default=OCR_W, choices=[96, OCR_W],
                        help="crop width in pixels (96: the narrower model that runs 1 to 3 of the shipped chain used)")
    parser.add_argument("--time-budget-min", type=float, default=55, help="stop training after this many minutes (0: no limit)")
    parser.add_argument("--row-share", type=float, default=ROW_FRACTION, metavar="SHARE",
                        help=f"share of the synthetic crops that are one row of a two-row plate (default {ROW_FRACTION})")
    parser.add_argument("--clahe", action="store_true",
                        help="train on contrast-normalised crops (CLAHE); the exported model asks the runtime for them")
    args = parser.parse_args(argv)
    if not 0.0 <= args.template_share <= 1.0:
        parser.error(f"--template-share: expected a number from 0 to 1, got {args.template_share}")
    if not 0.0 <= args.row_share <= 1.0 - NEGATIVE_FRACTION:
        parser.error(f"--row-share: expected a number from 0 to {1.0 - NEGATIVE_FRACTION:g}, got {args.row_share}")
    if not 0.0 <= args.real_small <= 1.0:
        parser.error(f"--real-small: expected a number from 0 to 1, got {args.real_small}")

    tf = seed_everything(args.seed)
    import keras

    t0 = time.time()
    real = [r for r in load_real_crops(args.data) if real_label_usable(r[1])]
    real_train, real_val = split_real(real)
    print(f"real crops: {len(real_train)} train, {len(real_val)} held out", flush=True)
    size = (OCR_H, args.width)
    xs, texts, states = make_synthetic(args.synthetic, args.seed, args.workers, size, args.templates, args.template_share, args.row_share)
    print(f"synthetic: {len(xs)} in {time.time() - t0:.0f}s", flush=True)
    syn_labels, syn_lengths = encode(texts)

    rng = random.Random(args.seed)
    val_x = as_model_input(np.stack([real_sample(rng, r[0], augment=False, size=size) for r in real_val]), args.clahe)
    val_text = [r[1] for r in real_val]
    val_state = np.array([STATE_CLASSES.index(r[2]) if r[2] in STATE_CLASSES else len(STATE_CLASSES) - 1 for r in real_val])
    real_labels, real_lengths = encode([r[1] for r in real_train])
    real_states = np.array([STATE_CLASSES.index(r[2]) if r[2] in STATE_CLASSES else len(STATE_CLASSES) - 1 for r in real_train], np.int32)

    model = build_model(keras, args.width, args.clahe)
    if args.init:
        model.load_weights(args.init)
        print(f"initialised from {args.init}", flush=True)
    print(f"params: {model.count_params()}", flush=True)
    steps_per_epoch = (len(xs) + len(real_train) * args.real_repeats) // args.batch
    optimizer = keras.optimizers.Adam(args.lr)
    total_steps = steps_per_epoch * args.epochs
    budget_s = args.time_budget_min * 60

    def set_lr(step: int) -> None:
        # Cosine decay over whichever ends first: the epochs or the time budget.
        done = step / total_steps
        if budget_s:
            done = max(done, (time.time() - t_train) / budget_s)
        optimizer.learning_rate.assign(args.lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * min(1.0, done)))))
    timesteps = args.width // 4

    @tf.function
    def train_step(x, labels, lengths, state):
        with tf.GradientTape() as tape:
            chars, state_logits = model(x, training=True)
            ctc = tf.nn.ctc_loss(labels, chars, lengths, tf.fill([tf.shape(x)[0]], timesteps), logits_time_major=False, blank_index=BLANK)
            ce = tf.keras.losses.sparse_categorical_crossentropy(state, state_logits, from_logits=True)
            loss = tf.reduce_mean(ctc) + 0.5 * tf.reduce_mean(ce)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def evaluate(predict):
        chars, state_logits = predict(val_x)
        pred = greedy(chars)
        exact = np.mean([p == t for p, t in zip(pred, val_text)])
        state_acc = np.mean(state_logits.argmax(-1) == val_state)
        return exact, state_acc

    best = -1.0
    step = 0
    t_train = time.time()
    weights_path = args.weights_out
    for epoch in range(args.epochs):
        te = time.time()
        rx = np.stack([real_sample(rng, real_train[i % len(real_train)][0], size=size, small_odds=args.real_small)
                       for i in range(len(real_train) * args.real_repeats)])
        ridx = np.arange(len(rx)) % len(real_train)
        all_x = np.concatenate([xs, rx])
        all_labels = np.concatenate([syn_labels, real_labels[ridx]])
        all_lengths = np.concatenate([syn_lengths, real_lengths[ridx]])
        all_states = np.concatenate([states, real_states[ridx]])
        order = np.random.permutation(len(all_x))
        losses = []
        for b in range(len(order) // args.batch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            crops = all_x[idx]
            if rng.random() < 0.5:  # photometric inversion keeps light-on-dark plates readable
                flip = np.random.random(len(idx)) < 0.1
                crops[flip] = 255 - crops[flip]
            x = as_model_input(crops, args.clahe)
            set_lr(step)
            step += 1
            losses.append(float(train_step(x, all_labels[idx], all_lengths[idx], all_states[idx])))
            if budget_s and time.time() - t_train > budget_s:
                break  # the budget holds within an epoch too: on a shared machine one epoch can take most of it
        exact, state_acc = evaluate(lambda v: [t.numpy() for t in model(v, training=False)])
        print(f"epoch {epoch + 1}/{args.epochs} loss {np.mean(losses):.3f} held-out exact {exact:.3f} state {state_acc:.3f} ({time.time() - te:.0f}s)", flush=True)
        best = exact  # reported only: the held-out crops never choose the weights (no selection bias)
        if budget_s and time.time() - t_train > budget_s:
            print("time budget reached", flush=True)
            break
    model.save_weights(weights_path)

    # Export: softmax on both heads, int8 everywhere (input int8 = grey - 128).
    chars_logits, state_logits = model.outputs
    export = keras.Model(model.inputs, [keras.layers.Softmax(name="chars")(chars_logits), keras.layers.Softmax(name="state")(state_logits)])
    rep = np.concatenate([xs[: 400], np.stack([real_sample(rng, r[0], size=size) for r in real_train[:200]])])
    rep = as_model_input(rep, args.clahe)[..., 0]  # the crops as the model trains on them

    tflite_path = export_int8(export, rep, args.out / "plate_ocr_int8.tflite")

    from alpr_edge.vision.runtime import OcrModel

    ocr = OcrModel(tflite_path)
    preds = [ocr.read(real_sample(rng, r[0], augment=False, size=size)) for r in real_val]
    exact = np.mean([p[0][0].text == t for p, t in zip(preds, val_text)])
    top10 = np.mean([any(c.text == t for c in p[0]) for p, t in zip(preds, val_text)])
    state_acc = np.mean([p[2] == r[2] for p, r in zip(preds, real_val)])
    report = {"held_out": len(real_val), "exact_top1_int8": round(float(exact), 4), "exact_top10_int8": round(float(top10), 4),
              "state_accuracy_int8": round(float(state_acc), 4), "final_float_exact": round(float(best), 4),
              "bytes": tflite_path.stat().st_size, "seconds": round(time.time() - t0)}
    print(json.dumps(report), flush=True)
    (Path("/tmp") / "alpr_ocr_report.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
