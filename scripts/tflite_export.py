"""Full-integer int8 TFLite export shared by the training scripts."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def export_int8(model, representative_images: np.ndarray, path: Path) -> Path:
    """Convert a Keras model on grey images (N, H, W) to int8 in and out, calibrated on those images."""
    import tensorflow as tf

    def representative():
        for image in representative_images:
            yield [image[None, ..., None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(converter.convert())
    return path
