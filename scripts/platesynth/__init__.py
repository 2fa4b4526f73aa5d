"""Synthetic US licence plate generator for training and testing the recognition models.

Run training and tests from the repository root with ``PYTHONPATH=.:scripts``.
"""

from .plate import FONT_LICENCES, RenderedPlate, degrade, render_plate, to_grey

__all__ = ["FONT_LICENCES", "RenderedPlate", "degrade", "render_plate", "to_grey"]
