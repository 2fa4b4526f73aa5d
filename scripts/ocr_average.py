#!/usr/bin/env python3
"""Average the float weights of two OCR runs and export the average as int8 (weight-space ensembling).

A fine-tuning run on a new generator (run 9) learns new looks but drifts from the real crops its
starting point (run 7) reads well. Interpolating the two weight sets (WiSE-FT, Wortsman et al.
2022: "Robust fine-tuning of zero-shot models") often keeps both, because a fine-tuned model stays
in its starting point's basin. Every weight is averaged, BatchNorm statistics included, with
``--alpha`` the share of the second run. The int8 export is train_ocr's, with a representative set
of synthetic and augmented real training crops drawn from ``--seed``; the report reads the held-out
real crops as train_ocr's does (one pass, int8).

Usage (from the repository root, in the training virtualenv):
    PYTHONPATH=.:scripts python scripts/ocr_average.py --data DATA/us-plate-crops \\
        --weights run7.weights.h5 run9.weights.h5 --alpha 0.5 --out /tmp/avg/
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision.geometry import OCR_H, OCR_W  # noqa: E402
from platesynth.ocr_samples import load_real_crops, real_label_usable, real_sample, split_real  # noqa: E402
from tflite_export import export_int8  # noqa: E402
from train_ocr import build_model, make_synthetic  # noqa: E402
from training_common import seed_everything  # noqa: E402


def averaged(keras, first: Path, second: Path, alpha: float):
    """A model holding (1 - alpha) * first + alpha * second, weight by weight."""
    a, b = build_model(keras, OCR_W), build_model(keras, OCR_W)
    a.load_weights(first)
    b.load_weights(second)
    a.set_weights([(1 - alpha) * wa + alpha * wb for wa, wb in zip(a.get_weights(), b.get_weights())])
    return a


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="real US crops folder with labels.csv")
    parser.add_argument("--weights", type=Path, nargs=2, required=True, metavar=("FIRST", "SECOND"))
    parser.add_argument("--alpha", type=float, default=0.5, help="share of SECOND in the average (0..1)")
    parser.add_argument("--out", type=Path, required=True, help="folder for plate_ocr_int8.tflite")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    if not 0.0 <= args.alpha <= 1.0:
        parser.error(f"--alpha: expected a number from 0 to 1, got {args.alpha}")
    for path in args.weights:
        if not path.is_file():
            parser.error(f"--weights: {path} is not a file")

    seed_everything(args.seed)
    import keras

    real_train, real_val = split_real([r for r in load_real_crops(args.data) if real_label_usable(r[1])])
    model = averaged(keras, args.weights[0], args.weights[1], args.alpha)
    chars, state = model.outputs
    export = keras.Model(model.inputs, [keras.layers.Softmax(name="chars")(chars), keras.layers.Softmax(name="state")(state)])
    rng = random.Random(args.seed)
    synthetic, _texts, _states = make_synthetic(400, args.seed, 2, (OCR_H, OCR_W))
    rep = np.concatenate([synthetic, np.stack([real_sample(rng, r[0], size=(OCR_H, OCR_W)) for r in real_train[:200]])])
    args.out.mkdir(parents=True, exist_ok=True)
    path = export_int8(export, rep, args.out / "plate_ocr_int8.tflite")

    from alpr_edge.vision.runtime import OcrModel

    ocr = OcrModel(path)
    preds = [ocr.read(real_sample(rng, r[0], augment=False, size=(OCR_H, OCR_W))) for r in real_val]
    report = {"weights": [str(w) for w in args.weights], "alpha": args.alpha, "held_out": len(real_val),
              "exact_top1_int8": round(float(np.mean([p[0][0].text == r[1] for p, r in zip(preds, real_val)])), 4),
              "state_accuracy_int8": round(float(np.mean([p[2] == r[2] for p, r in zip(preds, real_val)])), 4),
              "bytes": path.stat().st_size}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
