"""Pieces the training scripts share: fixed seeds and the small MobileNet-style conv block."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int):
    """Seed Python, NumPy and TensorFlow (imported here, quietly); returns the tensorflow module.
    Call it after any multiprocessing pool has done its work: forking a process that has
    TensorFlow loaded is best avoided."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.random.set_seed(seed)
    return tf


def conv_block(layers, x, channels: int, stride: int = 1, separable: bool = True):
    """3x3 depthwise + 1x1 pointwise (or a plain 3x3 conv), each with BatchNorm and ReLU6."""
    if separable:
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU(6.0)(x)
        x = layers.Conv2D(channels, 1, use_bias=False)(x)
    else:
        x = layers.Conv2D(channels, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU(6.0)(x)
