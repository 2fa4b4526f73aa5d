"""The corner refiner's window: where it looks, how its answers map back to the frame, and when it is ignored."""

import numpy as np

from alpr_edge.vision.geometry import REFINE_H, REFINE_W, from_window, quad_iou, refine_window, to_window
from alpr_edge.vision.runtime import CornerRefiner, Detection, PlateRecognizer

QUAD = np.array([[400, 300], [520, 306], [518, 366], [398, 360]], np.float32)  # a slightly skewed plate


class _Answers:
    """Stands in for the TFLite model: always answers the same unit-square corners."""

    def __init__(self, unit_corners):
        self.unit = np.asarray(unit_corners, np.float32)
        self.seen = []

    def run(self, patch):
        self.seen.append(patch.shape)
        return [self.unit.reshape(1, 8)]


class _ScriptedRefiner(CornerRefiner):
    def __init__(self, unit_corners):
        self.model = _Answers(unit_corners)
        self.passes = 1


def test_the_window_holds_the_quad_in_its_middle_with_room_around_it():
    unit = to_window(refine_window(QUAD), QUAD)
    # Grown 1.5x across and 2x down: the quad spans the middle two thirds across and half down.
    assert np.allclose(unit[:, 0], [1 / 6, 5 / 6, 5 / 6, 1 / 6], atol=0.02)
    assert np.allclose(unit[:, 1], [1 / 4, 1 / 4, 3 / 4, 3 / 4], atol=0.02)


def test_window_points_map_back_to_the_frame():
    window = refine_window(QUAD)
    points = np.array([[0.1, 0.2], [0.9, 0.3], [0.5, 0.5], [0.0, 1.0]], np.float32)
    assert np.allclose(to_window(window, from_window(window, points)), points, atol=1e-4)


def test_refined_corners_are_the_models_answer_in_frame_pixels():
    truth = QUAD + np.array([[-6, -3], [6, -3], [6, 4], [-6, 4]], np.float32)  # the detector's quad was tight
    window = refine_window(QUAD)
    refiner = _ScriptedRefiner(to_window(window, truth))
    refined = refiner.refine(np.zeros((720, 1280), np.uint8), QUAD)
    assert np.allclose(refined, truth, atol=0.5)
    assert refiner.model.seen == [(REFINE_H, REFINE_W)]


def test_an_answer_of_another_size_keeps_the_detectors_quad():
    # A window with no plate in it can make the model answer a sliver; the detector's quad stands.
    sliver = [[0.45, 0.49], [0.55, 0.49], [0.55, 0.51], [0.45, 0.51]]
    refined = _ScriptedRefiner(sliver).refine(np.zeros((720, 1280), np.uint8), QUAD)
    assert np.allclose(refined, QUAD)


def test_the_recognizer_reads_from_refined_corners():
    class OneDetection:
        def detect(self, grey, zoom=False):
            return [Detection(QUAD, 0.9)]

    truth = QUAD + np.array([[-6, -3], [6, -3], [6, 4], [-6, 4]], np.float32)
    recognizer = PlateRecognizer(OneDetection(), ocr=None, refiner=_ScriptedRefiner(to_window(refine_window(QUAD), truth)))
    [found] = recognizer.find_plates(np.zeros((720, 1280), np.uint8))
    assert quad_iou(found, truth) > 0.99
    assert quad_iou(PlateRecognizer(OneDetection(), ocr=None).find_plates(np.zeros((720, 1280), np.uint8))[0], QUAD) > 0.99


def test_quad_iou_of_a_plate_and_its_half():
    half = QUAD.copy()
    half[1] = (QUAD[0] + QUAD[1]) / 2
    half[2] = (QUAD[3] + QUAD[2]) / 2
    assert abs(quad_iou(QUAD, half) - 0.5) < 0.02
    assert quad_iou(QUAD, QUAD + 1000) == 0.0
