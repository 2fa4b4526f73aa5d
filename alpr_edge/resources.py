"""Where the package's shipped files are: found as package data, never through a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_models_dir() -> Path:
    """The shipped .tflite models (alpr_edge/models: a link to the checkout's models/ that a built
    wheel turns into files). ``recognition.models_dir`` in the config overrides them."""
    return Path(str(resources.files("alpr_edge") / "models"))
