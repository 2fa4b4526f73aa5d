import sys
from pathlib import Path

# The synthetic plate generator lives with the training scripts.
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
