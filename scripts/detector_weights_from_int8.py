#!/usr/bin/env python3
"""Rebuild float Keras weights for the plate detector from its shipped int8 TFLite file, to fine-tune it.

The shipped detector's float weights were not kept. As ``ocr_weights_from_int8.py`` does for the
OCR, this dequantises every weight of the int8 file into ``train_detector.build_model`` and
unfolds each BatchNorm (folded into the convolution before it) with statistics measured on
training frames, so that training starts where the file is. Layers are matched by following the
graph, not by position: the two heads' branches are interleaved differently in Keras and in the
file. The report compares the rebuilt float model's heatmap with the int8 file's on those frames.

Usage (from the repository root, in the training virtualenv):
    PYTHONPATH=.:scripts python scripts/detector_weights_from_int8.py --data DATA/eu-scenes --data DATA/br-scenes \\
        --out /tmp/detector_from_int8.weights.h5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision.geometry import letterbox  # noqa: E402
from ocr_weights_from_int8 import calibrate, int8_layers  # noqa: E402
from platesynth.scene import load_scene_annotations, split_scenes  # noqa: E402
from training_common import seed_everything  # noqa: E402


def producer(layer):
    """The layer whose output ``layer`` reads (single-input layers only)."""
    return layer.input._keras_history[0]


def chain(keras, last) -> list:
    """The weighted layers (convolutions) from the input up to ``last``, input first."""
    out, layer = [], last
    while not isinstance(layer, keras.layers.InputLayer):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            out.append(layer)
        if isinstance(layer, keras.layers.Concatenate):  # the skip connections: the upsampled path comes first
            layer = layer.input[0]._keras_history[0]
            continue
        layer = producer(layer)
    return out[::-1]


def file_order(model, keras) -> list:
    """The model's convolutions in the int8 file's order: the trunk, the corners head, the heat head."""
    heat, corners = model.get_layer("heat"), model.get_layer("corners")
    heat_chain, corner_chain = chain(keras, heat), chain(keras, corners)
    trunk = [la for la in model.layers if isinstance(la, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))
             and la in heat_chain and la in corner_chain]
    return trunk + [la for la in corner_chain if la not in trunk] + [la for la in heat_chain if la not in trunk]


def load_folded(model, keras, ops) -> list[tuple[object, np.ndarray]]:
    """Copy the file's weights into ``model``; returns [(BatchNorm layer, folded bias)] to calibrate."""
    norms = {id(producer(la)): la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)}
    layers = file_order(model, keras)
    if len(layers) != len(ops):
        raise ValueError(f"int8 file: {len(ops)} weighted ops, build_model has {len(layers)} convolutions")
    pending = []
    for layer, (name, weight, bias) in zip(layers, ops):
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        if name != ("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"):
            raise ValueError(f"int8 file: {name} where build_model has {layer.name}")
        kernel = weight[0][..., None] if depthwise else weight.transpose(1, 2, 3, 0)
        if id(layer) in norms:
            layer.set_weights([kernel])
            pending.append((norms[id(layer)], bias))
        else:  # a head's last convolution: its own bias, no BatchNorm
            layer.set_weights([kernel, bias])
    order = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    return sorted(pending, key=lambda item: order.index(item[0]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="scene folder with NAME.txt annotations (repeatable)")
    parser.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "models" / "plate_detector_int8.tflite")
    parser.add_argument("--out", type=Path, required=True, help="the .weights.h5 file to write")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    seed_everything(args.seed)
    import cv2
    import keras

    from alpr_edge.vision.runtime import DetectorModel
    from train_detector import build_model

    model = build_model(keras)
    pending = load_folded(model, keras, int8_layers(args.model))
    train_items = sum((split_scenes(load_scene_annotations(folder))[0] for folder in args.data), [])
    frames = np.stack([letterbox(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))[0] for path, _ in train_items])
    calibrate(model, keras, pending, frames[..., None].astype(np.float32))
    model.save_weights(args.out)

    detector = DetectorModel(args.model)
    probe = frames[:40]
    float_heat = np.concatenate([model(probe[i:i + 8][..., None].astype(np.float32), training=False)[0].numpy() for i in range(0, len(probe), 8)])
    int8_heat = np.stack([next(o for o in detector.model.run(f) if o.shape[-1] == 1)[0] for f in probe])
    report = {"frames": len(frames), "heat_correlation": round(float(np.corrcoef(float_heat.ravel(), int8_heat.ravel())[0, 1]), 4),
              "heat_peak_mean_abs_diff": round(float(np.abs(float_heat.max(axis=(1, 2, 3)) - int8_heat.max(axis=(1, 2, 3))).mean()), 4),
              "weights": str(args.out)}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
