"""Reading a plate from slightly grown and shrunk copies of the detector's quad."""

import numpy as np
import pytest

from alpr_edge.vision.runtime import Detection, PlateRecognizer, scaled_quad
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
    ocr = _ScriptedOcr(("ABC12", 0.41, "CA"), ("7ABC123", 0.93, "CA"), ("7ABC123", 0.8, "NV"), ("ABC12", 0.3, "CA"))
    recognizer = PlateRecognizer(detector=None, ocr=ocr)
    plate = recognizer.read_crop(GREY, QUAD)
    assert ocr.calls == len(recognizer.crop_scales) == 4
    assert plate.text == "7ABC123"
    assert plate.state == "CA"  # voted by the crops: 3 x 0.8 of 4 crops
    assert plate.state_confidence == 0.6
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


def test_two_readings_of_one_plate_give_one_plate():
    ocr = _ScriptedOcr(("UW0789", 0.99, "OR"), ("UW07", 0.96, None))  # both sure: one crop each
    recognizer = PlateRecognizer(detector=_TwoQuadsOnOnePlate(), ocr=ocr)
    plates = recognizer.recognize(GREY)
    assert ocr.calls == 2, "both quads were read"
    assert [p.text for p in plates] == ["UW0789"]


def test_a_state_the_crops_do_not_agree_on_is_not_reported():
    ocr = _ScriptedOcr(("7ABC123", 0.6, "CA"), ("7ABC123", 0.6, "NV"), ("7ABC123", 0.6, "AZ"), ("7ABC123", 0.6, None))
    plate = PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD)
    assert plate.text == "7ABC123"
    assert plate.state is None  # each state has 0.2 of the vote, under STATE_MIN_CONFIDENCE
    assert plate.format_ok  # checked against any state's formats


def test_a_candidate_that_fits_the_states_format_outranks_a_likelier_one_that_does_not():
    # California issues 9LLL999: the 8/B swap that no state issues loses to the format.
    ocr = _ScriptedOcr(*[("7A8C123", 0.5, "CA")] * 4)
    ocr.read = lambda crop, _read=ocr.read: ([*_read(crop)[0], Candidate("7ABC123", 0.2)], (), "CA", 0.9)
    plate = PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD)
    assert plate.state == "CA"
    assert [c.text for c in plate.candidates] == ["7ABC123", "7A8C123"]
    assert plate.confidence == 0.2 and plate.format_ok
    without = PlateRecognizer(detector=None, ocr=_ScriptedOcr(*[("7A8C123", 0.5, "CA")] * 4), format_weight=1.0)
    assert without.read_crop(GREY, QUAD).text == "7A8C123"


def test_a_vanity_plate_keeps_its_reading_flagged():
    ocr = _ScriptedOcr(*[("BUBBIE2", 0.7, "CA")] * 4)
    ocr.read = lambda crop, _read=ocr.read: ([*_read(crop)[0], Candidate("8UBB1E2", 0.01)], (), "CA", 0.9)
    plate = PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD)
    assert plate.text == "BUBBIE2"  # 0.7 against 11 x 0.01: far likelier than any format's fit
    assert plate.format_ok is False


def test_every_quad_that_saw_the_plate_votes():
    # The detector's best quad alone leans to UW0789 (1.1 against 1.0); the second quad on the
    # same plate reads UWQ789 four times, and the vote over all eight crops follows it.
    ocr = _ScriptedOcr(("UW0789", 0.6, None), ("UWQ789", 0.5, None), ("UW0789", 0.5, None), ("UWQ789", 0.5, None),
                       *[("UWQ789", 0.5, None)] * 4)
    plates = PlateRecognizer(detector=_TwoQuadsOnOnePlate(), ocr=ocr).recognize(GREY)
    assert ocr.calls == 8
    assert [p.text for p in plates] == ["UWQ789"]
    assert plates[0].box == (100, 80, 200, 100)  # the detector's best quad reports the box


class _Found:
    """A detector that returns the given detections."""

    threshold = 0.4

    def __init__(self, *detections):
        self.detections = list(detections)

    def detect(self, grey, zoom=False):
        return self.detections


@pytest.mark.parametrize("detection", [
    Detection(QUAD, 0.45),  # unsure: fences, lamps, lettering
    Detection(np.float32([[0, 80], [390, 80], [390, 110], [0, 110]]), 0.9),  # wider than any plate in a 400-pixel frame
    Detection(np.float32([[100, 20], [130, 20], [130, 180], [100, 180]]), 0.9),  # upright: a pole, not a plate
])
def test_a_detection_that_is_no_plate_is_never_read(detection):
    ocr = _ScriptedOcr(("7ABC123", 0.99, "CA"))
    recognizer = PlateRecognizer(detector=_Found(Detection(QUAD + 0.5, 0.9), detection), ocr=ocr)
    assert [p.text for p in recognizer.recognize(GREY)] == ["7ABC123"]
    assert ocr.calls == 1, "only the plausible plate was read"
    assert recognizer.gated == 1


def test_a_part_plate_read_four_times_unsure_does_not_outvote_the_whole_plate_read_once_sure():
    ocr = _ScriptedOcr(("UW0789", 0.96, "OR"), *[("UW07", 0.5, None)] * 4)
    plates = PlateRecognizer(detector=_TwoQuadsOnOnePlate(), ocr=ocr).recognize(GREY)
    assert ocr.calls == 5
    assert [p.text for p in plates] == ["UW0789"]  # each quad's mean is one vote: 0.96 against 0.5
    assert plates[0].state == "OR"  # the state is the first quad's vote


def test_with_the_state_unknown_the_common_formats_are_preferred():
    # 8BC1234 fits Maryland's 9LL9999, but with no state the usual LLL9999 of most states wins.
    ocr = _ScriptedOcr(*[("8BC1234", 0.5, None)] * 4)
    ocr.read = lambda crop, _read=ocr.read: ([*_read(crop)[0], Candidate("BBC1234", 0.2)], (), None, 0.0)
    plate = PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD)
    assert plate.state is None
    assert plate.text == "BBC1234" and plate.format_ok


def test_the_surest_detection_is_read_even_unsure_but_not_when_it_has_no_plates_shape():
    ocr = _ScriptedOcr(("7ABC123", 0.99, "CA"), ("8XYZ999", 0.99, "CA"))
    faded = Detection(QUAD, 0.45)  # a lone faded plate: under MIN_PLATE_SCORE, but the frame's surest
    lamp = Detection(np.float32([[300, 20], [330, 20], [330, 60], [300, 60]]), 0.42)
    recognizer = PlateRecognizer(detector=_Found(faded, lamp), ocr=ocr)
    assert [p.text for p in recognizer.recognize(GREY)] == ["7ABC123"]
    assert ocr.calls == 1 and recognizer.gated == 1
    pole = Detection(np.float32([[100, 20], [130, 20], [130, 180], [100, 180]]), 0.45)
    assert PlateRecognizer(detector=_Found(pole), ocr=_ScriptedOcr()).recognize(GREY) == []


def test_a_few_characters_read_unsure_are_no_plate_and_not_read_again():
    # Off-plate boxes (lamps, emblems, lettering) mostly read two characters, unsure (issue 19).
    ocr = _ScriptedOcr(("4M", 0.2, None), *[("4M", 0.2, None)] * 3)
    assert PlateRecognizer(detector=None, ocr=ocr).read_crop(GREY, QUAD) is None
    assert ocr.calls == 1
    sure = _ScriptedOcr(("AB1", 0.6, None), *[("AB1", 0.6, None)] * 3)  # short but sure: worth the copies
    assert PlateRecognizer(detector=None, ocr=sure).read_crop(GREY, QUAD).text == "AB1"
    assert sure.calls == 4


def test_a_box_that_is_not_the_surest_stops_when_its_first_two_crops_agree():
    sign = [("10000", 0.73, None), ("10000", 0.7, None), ("10000", 0.7, None), ("10000", 0.7, None)]
    second = _ScriptedOcr(*sign)
    assert PlateRecognizer(detector=None, ocr=second).read_crop(GREY, QUAD, surest=False).text == "10000"
    assert second.calls == 2
    surest = _ScriptedOcr(*sign)  # the frame's surest box gets every copy: its plate is the one that matters
    PlateRecognizer(detector=None, ocr=surest).read_crop(GREY, QUAD)
    assert surest.calls == 4
    differing = _ScriptedOcr(("ABC12", 0.6, None), ("7ABC123", 0.7, None), ("7ABC123", 0.7, None), ("ABC12", 0.5, None))
    assert PlateRecognizer(detector=None, ocr=differing).read_crop(GREY, QUAD, surest=False).text == "7ABC123"
    assert differing.calls == 4


def test_in_a_frame_only_the_surest_box_is_read_to_the_end():
    ocr = _ScriptedOcr(*[("7ABC123", 0.8, "CA")] * 4, *[("0215", 0.7, None)] * 4)
    other = Detection(QUAD + np.float32([150, 0]), 0.7)
    plates = PlateRecognizer(detector=_Found(Detection(QUAD, 0.9), other), ocr=ocr).recognize(GREY)
    assert ocr.calls == 4 + 2
    assert [p.text for p in plates] == ["7ABC123", "0215"]
