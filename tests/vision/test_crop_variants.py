"""Reading a plate from slightly grown and shrunk copies of the detector's quad."""

import numpy as np

from alpr_edge.vision.runtime import PlateRecognizer, scaled_quad
from alpr_edge.vision.types import Candidate


def test_scaled_quad_grows_along_the_plates_own_axes():
    angle = np.radians(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    upright = np.array([[-50, -25], [50, -25], [50, 25], [-50, 25]], np.float64)
    turned = (upright @ rot.T + [300, 200]).astype(np.float32)
    grown = scaled_quad(turned, 1.2, 1.0)
    back = (grown - [300, 200]) @ rot  # undo the turn: the plate's own frame
    assert np.allclose(back, [[-60, -25], [60, -25], [60, 25], [-60, 25]], atol=1e-3)
    assert np.allclose(scaled_quad(turned, 1.0, 1.0), turned, atol=1e-4)


class _ScriptedOcr:
    """Reads crop number i (in the order the recognizer cuts them) as ``script[i]``."""

    def __init__(self, *script):
        self.script = script
        self.calls = 0

    def read(self, crop):
        text, confidence, state = self.script[self.calls]
        self.calls += 1
        return [Candidate(text, confidence)], (confidence,) * len(text), state, 0.8


QUAD = np.array([[100, 80], [300, 80], [300, 180], [100, 180]], np.float32)
GREY = np.full((200, 400), 120, np.uint8)


def test_a_tight_first_crop_is_corrected_by_the_others():
    ocr = _ScriptedOcr(("ABC12", 0.41, None), ("7ABC123", 0.93, "CA"), ("7ABC123", 0.8, "NV"), ("ABC12", 0.3, None))
    recognizer = PlateRecognizer(detector=None, ocr=ocr)
    plate = recognizer.read_crop(GREY, QUAD)
    assert ocr.calls == len(recognizer.crop_scales) == 4
    assert plate.text == "7ABC123"
    assert plate.state == "CA"  # from the crop that read the winner best
    assert plate.confidence == 0.93  # its best single crop: calibrated like a one-crop reading
    assert [c.text for c in plate.candidates] == ["7ABC123", "ABC12"]
    assert plate.corners == tuple((float(x), float(y)) for x, y in QUAD)  # reported as the detector found it


def test_one_confidently_wrong_crop_is_outvoted():
    ocr = _ScriptedOcr(("7ABC123", 0.6, "CA"), ("7ABC128", 0.9, "CA"), ("7ABC123", 0.6, "CA"), ("7ABC123", 0.6, "CA"))
    assert PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD).text == "7ABC123"


def test_a_sure_first_reading_needs_no_second_crop():
    class SureOcr:
        calls = 0

        def read(self, crop):
            SureOcr.calls += 1
            return [Candidate("7ABC123", 0.99)], (0.99,) * 7, "CA", 0.9

    recognizer = PlateRecognizer(detector=None, ocr=SureOcr())
    quad = np.array([[100, 80], [300, 80], [300, 180], [100, 180]], np.float32)
    assert recognizer.read_crop(np.full((200, 400), 120, np.uint8), quad).text == "7ABC123"
    assert SureOcr.calls == 1


def test_a_crop_with_nothing_to_read_is_not_tried_again():
    class BlankOcr:
        calls = 0

        def read(self, crop):
            BlankOcr.calls += 1
            return [], (), None, 0.0

    recognizer = PlateRecognizer(detector=None, ocr=BlankOcr())
    quad = np.array([[100, 80], [300, 80], [300, 180], [100, 180]], np.float32)
    assert recognizer.read_crop(np.full((200, 400), 120, np.uint8), quad) is None
    assert BlankOcr.calls == 1
    assert recognizer.rejected == 1


class _TwoQuadsOnOnePlate:
    """A detector whose two quads (kept apart at its own resolution) land on the same plate."""

    threshold = 0.4

    def detect(self, grey, zoom=False):
        from alpr_edge.vision.runtime import Detection

        whole = QUAD
        part = QUAD + np.float32([[-30, 5], [-60, 5], [-60, 5], [-30, 5]])  # shifted left, cut short
        return [Detection(whole, 0.9), Detection(part, 0.6)]


def test_two_readings_of_one_plate_give_one_plate_the_surest():
    ocr = _ScriptedOcr(("UW0789", 0.99, "OR"), ("UW07", 0.96, None))  # both sure: one crop each
    recognizer = PlateRecognizer(detector=_TwoQuadsOnOnePlate(), ocr=ocr)
    plates = recognizer.recognize(GREY)
    assert ocr.calls == 2, "both quads were read"
    assert [p.text for p in plates] == ["UW0789"]
