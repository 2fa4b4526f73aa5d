#!/usr/bin/env python3
"""Sign an alpr-edge update (wheel or wheelhouse folder) with an Ed25519 private key (PEM).

    scripts/sign-update.py --key vendor-update.key dist/alpr_edge-0.2.0-py3-none-any.whl

writes ARTIFACT.sig next to it. Devices verify it against keys/update-signing.pub,
pinned with `alpr-edge provision --update-key PUBLIC.pem`.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alpr_edge.ops.update import sign_artifact

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--key", type=Path, required=True, help="Ed25519 private key, PEM")
parser.add_argument("artifact", type=Path)
args = parser.parse_args()
print(sign_artifact(args.artifact, args.key))
