"""The training data generator: US plates warped into real photos, and detector-like crop errors."""

import random

import cv2
import numpy as np

from alpr_edge.vision.geometry import corners_box
from platesynth.ocr_samples import jitter_corners
from platesynth.scene import overlay_plate, us_composites, us_plate_width


def _street(tmp_path, name="car.jpg"):
    """A grey 'photo' with a wide European-shaped plate box in it, saved like the shared scene sets."""
    photo = np.full((480, 640), 90, np.uint8)
    cv2.rectangle(photo, (260, 300), (380, 326), 230, -1)  # a 120 x 26 EU plate
    path = tmp_path / name
    cv2.imwrite(str(path), photo)
    return path, [(260, 300, 120, 26)]


def _us_crop(text_value=40):
    crop = np.full((160, 320), 235, np.uint8)
    cv2.putText(crop, "ABC123", (20, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.5, text_value, 8)
    return crop


def test_a_us_plate_replaces_an_eu_plate_at_the_size_it_would_have_there():
    # 305 mm of US plate where 520 mm of EU plate stood: 120 px * 305 / 520 = 70 px.
    assert abs(us_plate_width((0, 0, 120, 26)) - 70.4) < 0.1
    # A Brazilian plate (400 mm, aspect about 3:1) scales differently.
    assert abs(us_plate_width((0, 0, 120, 40)) - 91.5) < 0.1


def test_overlay_puts_the_plate_over_the_box_and_covers_the_old_one():
    photo = np.full((480, 640), 90, np.uint8)
    cv2.rectangle(photo, (260, 300), (380, 326), 230, -1)
    out, corners = overlay_plate(random.Random(1), photo, (260, 300, 120, 26), _us_crop(), width=70)
    x, y, w, h = corners_box(corners)
    assert abs((x + w / 2) - 320) < 8 and abs((y + h / 2) - 313) < 8
    assert 55 < w < 90 and 25 < h < 50  # the crop's 2:1 shape, not the EU box's
    # The bright EU plate's ends, outside the narrower US plate, now carry the bumper tone.
    assert out[313, 265] < 200 and out[313, 375] < 200
    # Dark characters of the crop are now in the photo.
    assert out[y:y + h, x:x + w].min() < 90


def test_composites_pair_each_crop_with_a_photo_and_keep_the_label(tmp_path):
    scenes = [_street(tmp_path, "a.jpg"), _street(tmp_path, "b.jpg")]
    crops = [(_us_crop(), "ABC123", "CA", f"ca{i}.png") for i in range(3)]
    first = list(us_composites(scenes, crops, seed=5))
    again = list(us_composites(scenes, crops, seed=5))
    assert [c[2:] for c in first] == [("ABC123", "CA", "a.jpg+ca0.png"), ("ABC123", "CA", "b.jpg+ca1.png"), ("ABC123", "CA", "a.jpg+ca2.png")]
    assert all(np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1]) for a, b in zip(first, again))  # deterministic


def test_detector_like_jitter_is_mostly_loose_never_wild():
    rng = random.Random(0)
    square = np.array([[0, 0], [100, 0], [100, 50], [0, 50]], np.float32)
    widths = []
    for _ in range(400):
        x, y, w, h = corners_box(jitter_corners(rng, square, 100, 50))
        widths.append(w)
        assert 70 < w < 150 and 30 < h < 100  # a turned quad is taller than the plate
    widths = np.array(widths)
    assert (widths > 110).mean() > 0.2  # loose quads, like the detector's on small plates
    assert (abs(widths - 100) < 8).mean() > 0.3  # and near-exact ones


def test_negative_samples_are_plate_sized_crops_with_nothing_to_read():
    from alpr_edge.vision.formats import STATE_CLASSES
    from alpr_edge.vision.geometry import OCR_H, OCR_W
    from platesynth.ocr_samples import negative_sample

    rng = random.Random(2)
    samples = [negative_sample(rng) for _ in range(20)]
    assert all(crop.shape == (OCR_H, OCR_W) and crop.dtype == np.uint8 for crop, _, _ in samples)
    assert {text for _, text, _ in samples} == {""}
    assert {state for _, _, state in samples} == {STATE_CLASSES.index("unknown")}
    assert len({crop.tobytes() for crop, _, _ in samples}) == 20  # each one different


def test_rendered_serials_use_q_about_as_often_as_other_letters():
    # Q is issued in many states; a generator that makes it rare teaches the OCR to read it as 0.
    from collections import Counter

    from platesynth.plate import STATE_FORMATS, random_text

    rng = random.Random(4)
    letters = Counter(c for _ in range(3000) for c in random_text(rng, rng.choice(sorted(STATE_FORMATS)))[0] if c.isalpha())
    typical = sorted(letters.values())[len(letters) // 2]
    assert letters["Q"] > 0.6 * typical
    assert letters["O"] < 0.6 * typical  # O and I stay rare: most states skip them


def test_ocr_samples_can_be_cut_at_the_narrower_width_of_the_first_training_runs():
    # scripts/reproduce_ocr.sh trains its first three runs on 48 x 96 crops, then widens them.
    from alpr_edge.vision.geometry import OCR_H, OCR_W
    from platesynth.ocr_samples import negative_sample, real_sample, synthetic_sample

    rng = random.Random(3)
    narrow = (OCR_H, 96)
    assert synthetic_sample(rng, narrow)[0].shape == narrow
    assert negative_sample(rng, narrow)[0].shape == narrow
    photo = np.full((60, 120), 200, np.uint8)
    assert real_sample(rng, photo, size=narrow).shape == narrow
    assert real_sample(rng, photo, augment=False).shape == (OCR_H, OCR_W)


def test_real_crops_can_be_shrunk_and_compressed_as_far_plates_before_the_cut():
    from platesynth.ocr_samples import real_sample, small_and_compressed

    from alpr_edge.vision.geometry import OCR_H, OCR_W

    crop = np.random.default_rng(4).integers(0, 255, (120, 240), dtype=np.uint8)
    rng = random.Random(9)
    widths = {small_and_compressed(rng, crop).shape[1] for _ in range(30)}
    assert min(widths) >= 50 and max(widths) <= 130 and len(widths) > 5
    assert real_sample(random.Random(1), crop, small_odds=1.0).shape == (OCR_H, OCR_W)
    same = real_sample(random.Random(1), crop, augment=False, small_odds=1.0)
    assert np.array_equal(same, real_sample(random.Random(1), crop, augment=False)), "never when not augmenting (held-out crops)"
