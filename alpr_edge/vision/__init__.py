"""Plate recognition: TFLite detector + OCR on grey frames, and the per-passage read aggregator.

Public surface: ``load_recognizer`` (models from ``models/``), ``ReadAggregator``
and the data types. Training code and the synthetic generator live in
``scripts/`` and are not needed at run time.
"""

from alpr_edge.vision.aggregator import ReadAggregator
from alpr_edge.vision.runtime import PlateRecognizer, load_recognizer
from alpr_edge.vision.types import Candidate, PlateObservation, Read, Recognizer

__all__ = ["Candidate", "PlateObservation", "PlateRecognizer", "Read", "ReadAggregator", "Recognizer", "load_recognizer"]
