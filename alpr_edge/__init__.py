"""alpr-edge: an open, auditable automated licence plate reader appliance.

The daemon (`alpr_edge.daemon`) wires the stages together; each stage is a
subpackage with a small public surface:

    capture -> vision -> gps (tagging) -> store / hotlist / alerts -> uplink
"""

from pathlib import Path

__version__ = "0.1.0"

# The shipped models, package data (``recognition.models_dir`` overrides). Here,
# not in vision, so that `status` can name them without loading OpenCV.
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"
