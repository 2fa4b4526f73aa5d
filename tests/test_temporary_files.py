"""Tests leave nothing behind in /tmp: what code makes with tempfile goes under pytest's pruned tree."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def test_tempfile_and_tmpdir_point_into_pytests_own_tree(tmp_path_factory):
    base = tmp_path_factory.getbasetemp().resolve()
    made = Path(tempfile.mkdtemp(prefix="alpr-leftover-check-")).resolve()
    assert made.is_relative_to(base), made
    assert Path(os.environ["TMPDIR"]).resolve().is_relative_to(base)

