#!/usr/bin/env python3
"""Rebuild float Keras weights for the OCR from its shipped int8 TFLite file, to fine-tune it.

No run kept the float weights of the shipped OCR (run 7), and fine-tuning needs them. The int8
file holds every weight (per-channel int8 with its scales) of the same architecture
(``train_ocr.build_model``), with each BatchNorm folded into the convolution before it. This
script dequantises the weights into a fresh model and unfolds each BatchNorm so that training
mode starts where the file is: the folded convolution's output statistics over real and
synthetic crops become the BatchNorm's moving mean and variance, and its scale and offset undo
them (so batch statistics near those reproduce the folded layer). The int8 rounding of the
weights stays (a fine-tuning run recovers from it); the report compares the rebuilt float model
with the int8 file on the held-out real crops.

Usage (from the repository root, in the training virtualenv):
    PYTHONPATH=.:scripts python scripts/ocr_weights_from_int8.py --data DATA/us-plate-crops \\
        --out /tmp/run7_from_int8.weights.h5
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

from alpr_edge.vision.geometry import OCR_H  # noqa: E402
from platesynth.ocr_samples import load_real_crops, real_label_usable, real_sample, split_real  # noqa: E402
from training_common import seed_everything  # noqa: E402

BN_EPSILON = 1e-3  # Keras' BatchNormalization default, as build_model uses it


def int8_layers(path: Path) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(op name, float weight, float bias or None) for each weighted op, in graph order."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}

    def dequantised(index: int) -> np.ndarray:
        raw = interpreter.get_tensor(index)
        q = details[index]["quantization_parameters"]
        scales, zeros = q["scales"], q["zero_points"]
        if not len(scales):
            return raw.astype(np.float32)
        dim = q["quantized_dimension"]
        shape = [1] * raw.ndim
        shape[dim] = -1
        return ((raw.astype(np.float32) - zeros.reshape(shape)) * scales.reshape(shape)).astype(np.float32)

    out = []
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            inputs = list(op["inputs"])
            bias = dequantised(inputs[2]) if len(inputs) > 2 and inputs[2] >= 0 else None
            out.append((op["op_name"], dequantised(inputs[1]), bias))
    return out


def load_folded(model, keras, ops) -> list[tuple[object, np.ndarray]]:
    """Copy the int8 file's weights into ``model``; returns [(BatchNorm layer, folded bias)] to calibrate."""
    layers = keras.layers
    convs = [la for la in model.layers if isinstance(la, (layers.Conv2D, layers.SeparableConv2D, layers.Conv1D, layers.Dense))]
    norms = [la for la in model.layers if isinstance(la, layers.BatchNormalization)]
    first_conv, *rest = [la for la in convs if type(la) is layers.Conv2D]
    separable = [la for la in convs if isinstance(la, layers.SeparableConv2D)]
    conv1d = [la for la in convs if isinstance(la, layers.Conv1D)]
    dense = [la for la in convs if isinstance(la, layers.Dense)]
    # Graph order in the file: first conv, 6 x (depthwise, pointwise), state 1x1 conv, dense,
    # 4 x 1-D conv (the last is the characters' logits), state logits.
    it = iter(ops)
    pending = []

    def take(kind):
        name, weight, bias = next(it)
        if name != kind:
            raise ValueError(f"int8 file: expected {kind}, found {name}: not the architecture of train_ocr.build_model")
        return weight, bias

    weight, bias = take("CONV_2D")
    first_conv.set_weights([weight.transpose(1, 2, 3, 0)])
    pending.append((norms[0], bias))
    for i, layer in enumerate(separable):
        depthwise, dw_bias = take("DEPTHWISE_CONV_2D")
        if dw_bias is not None and np.abs(dw_bias).max() > 1e-6:
            raise ValueError("int8 file: a depthwise convolution has a bias; build_model's has none")
        pointwise, bias = take("CONV_2D")
        layer.set_weights([depthwise[0][..., None], pointwise[:, 0, 0, :].T[None, None]])
        pending.append((norms[i + 1], bias))
    weight, bias = take("CONV_2D")  # the state head's 1x1 squeeze
    rest[0].set_weights([weight.transpose(1, 2, 3, 0), bias])
    weight, bias = take("FULLY_CONNECTED")
    dense[0].set_weights([weight.T, bias])
    for layer in conv1d:
        weight, bias = take("CONV_2D")
        layer.set_weights([weight[:, 0].transpose(1, 2, 0), bias])
    weight, bias = take("FULLY_CONNECTED")
    dense[1].set_weights([weight.T, bias])
    return pending


def calibrate(model, keras, pending, images: np.ndarray) -> None:
    """Unfold each BatchNorm: moving statistics of its input over ``images``, and a scale and
    offset that map them back to the folded layer's output (set one layer at a time, in order)."""
    for norm, bias in pending:
        norm.set_weights([np.ones_like(bias), bias, np.zeros_like(bias), np.full_like(bias, 1 - BN_EPSILON)])
    for norm, bias in pending:
        probe = keras.Model(model.inputs, norm.input)
        acts = np.concatenate([probe(images[i:i + 64], training=False).numpy() for i in range(0, len(images), 64)])
        acts = acts.reshape(-1, acts.shape[-1])
        mean, var = acts.mean(axis=0), acts.var(axis=0)
        norm.set_weights([np.sqrt(var + BN_EPSILON), bias + mean, mean, var])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="real US crops folder with labels.csv")
    parser.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "models" / "plate_ocr_int8.tflite")
    parser.add_argument("--out", type=Path, required=True, help="the .weights.h5 file to write")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    seed_everything(args.seed)
    import keras

    from alpr_edge.vision.runtime import OcrModel
    from train_ocr import build_model, greedy

    ocr = OcrModel(args.model)
    height, width = ocr.input_size
    if height != OCR_H:
        raise SystemExit(f"{args.model}: input {height}x{width}, build_model makes {OCR_H}-pixel-high crops")
    model = build_model(keras, width)
    pending = load_folded(model, keras, int8_layers(args.model))
    real_train, real_val = split_real([r for r in load_real_crops(args.data) if real_label_usable(r[1])])
    rng = random.Random(args.seed)
    calib = np.stack([real_sample(rng, r[0], size=(height, width)) for r in real_train])[..., None].astype(np.float32)
    calibrate(model, keras, pending, calib)
    model.save_weights(args.out)

    val = np.stack([real_sample(rng, r[0], augment=False, size=(height, width)) for r in real_val])
    float_chars, _ = model(val[..., None].astype(np.float32), training=False)
    float_text = greedy(float_chars.numpy())
    int8_text = [ocr.read(crop)[0][0].text if ocr.read(crop)[0] else "" for crop in val]
    truth = [r[1] for r in real_val]
    report = {"held_out": len(truth), "float_exact_greedy": round(float(np.mean([p == t for p, t in zip(float_text, truth)])), 4),
              "int8_exact_beam": round(float(np.mean([p == t for p, t in zip(int8_text, truth)])), 4),
              "float_int8_agree": round(float(np.mean([a == b for a, b in zip(float_text, int8_text)])), 4), "weights": str(args.out)}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
