"""`alpr-edge recognize --json` output schema on a rendered image, and per-file errors."""

import argparse
import json
import re

import cv2
import pytest

from alpr_edge.cli import common_options
from alpr_edge.cli import recognize


def run(argv):
    parser = argparse.ArgumentParser()
    recognize.register(parser.add_subparsers(dest="command"), common_options())
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.fixture()
def rendered(tmp_path):
    from bench_recognition import frame_with_one_plate

    path = tmp_path / "car.jpg"
    cv2.imwrite(str(path), frame_with_one_plate(1280, 720))
    return path


def test_json_schema(rendered, capsys):
    assert run(["recognize", "--json", str(rendered)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["image"] == str(rendered)
    assert isinstance(result["ms"], (int, float)) and result["ms"] > 0
    assert result["plates"], "the rendered plate was not read"
    confidences = [p["confidence"] for p in result["plates"]]
    assert confidences == sorted(confidences, reverse=True)
    for plate in result["plates"]:
        assert set(plate) == {"text", "confidence", "box", "corners", "state", "state_confidence", "format_ok", "candidates"}
        assert isinstance(plate["format_ok"], bool)
        assert re.fullmatch(r"[A-Z0-9]+", plate["text"])
        assert 0 <= plate["confidence"] <= 1
        assert len(plate["box"]) == 4 and all(isinstance(v, int) for v in plate["box"])
        assert len(plate["corners"]) == 4 and all(len(c) == 2 for c in plate["corners"])
        assert plate["state"] is None or re.fullmatch(r"[A-Z]{2}", plate["state"])
        assert 0 <= plate["state_confidence"] <= 1
        assert 1 <= len(plate["candidates"]) <= 10
        assert all(set(c) == {"text", "confidence"} for c in plate["candidates"])
    assert result["plates"][0]["text"] == "7KDM482"
    assert result["plates"][0]["format_ok"], "9LLL999 is a standard format (California's, and others')"


def test_unreadable_files_are_reported_and_others_processed(rendered, tmp_path, capsys):
    junk = tmp_path / "notes.jpg"
    junk.write_text("not an image")
    status = run(["recognize", "--json", str(junk), str(rendered), str(tmp_path / "missing.png")])
    assert status == 1
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["image"] for r in results] == [str(junk), str(rendered), str(tmp_path / "missing.png")]
    assert "error" in results[0] and "error" in results[2]
    assert "plates" in results[1]


def test_table_output_and_folders(rendered, capsys):
    assert run(["recognize", str(rendered.parent)]) == 0
    out = capsys.readouterr().out
    assert "car.jpg" in out and "7KDM482" in out
