"""Evidence packages: what goes in, who may receive one, and that any change is caught."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.store.store_fakes import make_read

from alpr_edge.alerts import AlertDesk
from alpr_edge.hotlist import HotListEngine, MemoryListStorage
from alpr_edge.store import AccessRefused, audit as audit_trail
from alpr_edge.store.evidence import PackageError, check_recipient, verify_package, write_package

PERMITTED = ["Oakland Police Department", "Alameda County Sheriff's Office"]
CASE = dict(user="sue", role="supervisor", purpose="stolen-wanted-or-suspect-vehicle", detail="stolen vehicle report 24-1187",
            case_number="24-1187")


@pytest.fixture
def store(open_store, clock):
    store = open_store()
    store.add_reads([
        make_read("7ABC123", clock() - timedelta(hours=3), crop=b"\xff\xd8" + bytes(range(256)) * 40),
        make_read("7ABC123", clock() - timedelta(hours=2)),
        make_read("8XYZ999", clock() - timedelta(hours=1)),
    ])
    return store


def _package(store, tmp_path, recipient="oakland police department / Det. R. Ortiz", **kwargs):
    return write_package(store, tmp_path / "pkg", "7ABC123", recipient=recipient, permitted=PERMITTED, **{**CASE, **kwargs})


def test_package_holds_each_read_its_images_and_a_signed_manifest(store, tmp_path):
    case = _package(store, tmp_path)
    folder = tmp_path / "pkg"
    assert case["recipient"] == "Oakland Police Department / Det. R. Ortiz" and len(case["reads"]) == 2
    first = store.get_read(case["reads"][0])
    read_folder = folder / "reads" / first.read_id
    assert (read_folder / "plate.jpg").read_bytes() == first.crop_jpeg  # as stored, not re-encoded
    assert (read_folder / "overview.jpg").read_bytes() == first.overview_jpeg
    document = json.loads((read_folder / "read.json").read_text())
    assert document["text"] == "7ABC123" and document["position"] == {"lat": 37.77, "lon": -122.42, "speed_mps": None}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["files"]) == 2 * 3 + 1  # read.json, plate.jpg, overview.jpg per read; case.json
    intact, problems, signer = verify_package(folder)
    assert intact and problems == [] and len(signer) == 64
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    exported = [r for r in audit_trail.records(store) if r["action"] == "evidence.export"]
    assert exported[-1]["data"]["recipient"] == case["recipient"] and exported[-1]["case_number"] == "24-1187"


def test_one_changed_byte_a_removed_file_or_an_added_file_fail(store, tmp_path):
    case = _package(store, tmp_path)
    folder = tmp_path / "pkg"
    crop = folder / "reads" / case["reads"][0] / "plate.jpg"
    original = crop.read_bytes()
    crop.write_bytes(original[:100] + bytes([original[100] ^ 1]) + original[101:])
    intact, problems, _ = verify_package(folder)
    assert not intact and problems == [f"reads/{case['reads'][0]}/plate.jpg: changed (SHA-256 differs from the manifest)"]
    crop.write_bytes(original)
    assert verify_package(folder)[0]
    (folder / "case.json").unlink()
    assert verify_package(folder)[1] == ["case.json: missing"]
    (folder / "case.json").write_text("{}")
    (folder / "reads" / "note.txt").write_text("slipped in")
    assert "reads/note.txt: added (not in the manifest)" in verify_package(folder)[1]


def test_a_rewritten_manifest_or_another_key_fails_the_signature(store, tmp_path):
    _package(store, tmp_path)
    folder = tmp_path / "pkg"
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"].pop("case.json")
    (folder / "case.json").unlink()  # a forger drops a file and fixes the manifest...
    (folder / "manifest.json").write_text(json.dumps(manifest))
    intact, problems, _ = verify_package(folder)
    assert not intact and problems == ["manifest.sig: the signature does not match manifest.json (changed, or signed by another key)"]
    other = Ed25519PrivateKey.generate().public_key()
    assert "device.pub: not the expected device key" in verify_package(folder, other)[1][0]


@pytest.mark.parametrize("recipient, why", [
    ("FBI / Special Agent Doe", "recipient agency 'FBI' is not a permitted recipient"),
    ("Reno Police Department / Sgt. Lee", "recipient agency 'Reno Police Department' is not a permitted recipient"),
    ("Acme Data Brokers / sales", "not a permitted recipient"),
    ("Oakland Police Department", "expected \"AGENCY / person\""),
])
def test_a_recipient_outside_the_permitted_list_is_refused_and_audited(store, tmp_path, recipient, why):
    with pytest.raises(AccessRefused, match=why):
        _package(store, tmp_path, recipient=recipient)
    assert not (tmp_path / "pkg").exists()
    last = audit_trail.records(store)[-1]
    assert last["action"] == "evidence.export" and last["outcome"].startswith("refused: ") and why in last["outcome"]
    assert last["data"]["recipient"] == recipient and last["case_number"] == "24-1187"


def test_no_permitted_recipients_configured_refuses_every_recipient():
    with pytest.raises(AccessRefused, match="no recipients are permitted on this device"):
        check_recipient("Oakland Police Department / Det. Ortiz", [])


def test_a_refused_search_writes_nothing_and_an_existing_folder_is_never_overwritten(store, tmp_path):
    with pytest.raises(AccessRefused, match="not one of this agency's authorised purposes"):
        _package(store, tmp_path, purpose="investigation")
    assert not (tmp_path / "pkg").exists()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "old.txt").write_text("x")
    with pytest.raises(PackageError, match="is not an empty folder"):
        _package(store, tmp_path)


def test_a_read_that_raised_an_alert_carries_the_entry_and_its_history(store, tmp_path, clock):
    now = lambda: clock().timestamp()  # noqa: E731
    engine = HotListEngine(MemoryListStorage(), clock=now, audit=store.audit)
    engine.add_manual("7ABC123", "CA", "Stolen vehicle", "sue", "24-1187", "grey sedan", clock().date() + timedelta(days=5))
    desk = AlertDesk(store, clock=now)
    read_id = store.iter_reads(plate_hmacs=store.read_hmacs("7ABC123"))[0]["id"]
    [alert] = desk.raise_for(read_id, engine.match("7ABC123", "CA"))
    desk.step(alert.alert_id, "verified", "ofc", "officer")
    _package(store, tmp_path)
    history = json.loads((tmp_path / "pkg" / "reads" / read_id / "alerts.json").read_text())
    assert [(a["alert_id"], a["reason"], a["case_number"], a["list_name"]) for a in history] == [
        (alert.alert_id, "Stolen vehicle", "24-1187", "manual")]
    assert [s["to_state"] for s in history[0]["steps"]] == ["raised", "verified"]
    assert "suppress_key" not in history[0]
    assert verify_package(tmp_path / "pkg")[0]


def test_the_permitted_recipients_setting_is_checked(tmp_path):
    from alpr_edge.config import load_config
    from alpr_edge.schema import SchemaError

    path = tmp_path / "config.toml"
    path.write_text('[evidence]\npermitted_recipients = ["Oakland PD", " ", "A / B", 3]\nhistorical_window_hours = -1\n')
    with pytest.raises(SchemaError) as caught:
        load_config(path)
    problems = "\n".join(caught.value.problems)
    assert "evidence.permitted_recipients[2]: expected an agency name without '/', got ' '" in problems
    assert "evidence.permitted_recipients[3]: expected an agency name without '/', got 'A / B'" in problems
    assert "evidence.historical_window_hours: expected 0 to 8784, got -1" in problems
    path.write_text('[evidence]\npermitted_recipients = ["Oakland PD"]\n')
    assert load_config(path).evidence.permitted_recipients == ["Oakland PD"]


def test_a_package_of_chosen_results_holds_only_those_and_refuses_a_read_the_search_did_not_return(store, tmp_path):
    """The touchscreen's export (issue 23): the chosen reads of a look-up, never one beyond it."""
    results = store.search("7ABC123", **CASE)
    chosen = results[1]["id"]
    case = _package(store, tmp_path, chosen=[chosen])
    assert case["reads"] == [chosen]
    assert [p.name for p in (tmp_path / "pkg" / "reads").iterdir()] == [chosen]
    assert verify_package(tmp_path / "pkg")[0]
    other = store.search("8XYZ999", **CASE)[0]["id"]
    with pytest.raises(AccessRefused, match="not among this look-up's results"):
        write_package(store, tmp_path / "pkg2", "7ABC123", recipient="Oakland Police Department / Det. R. Ortiz",
                      permitted=PERMITTED, chosen=[chosen, other], **CASE)
    assert not (tmp_path / "pkg2").exists()
    last = audit_trail.records(store)[-1]
    assert last["action"] == "evidence.export" and last["outcome"].startswith("refused: read ")


def test_every_sighting_an_alert_absorbed_carries_that_alert(store, tmp_path, clock):
    """A re-sighting between an alert's first and last read is one of its hits (alert_sightings); its
    package folder once had no alerts.json, as if the read had matched nothing."""
    now = lambda: clock().timestamp()  # noqa: E731
    store.add_reads([make_read("7ABC123", clock() - timedelta(minutes=30))])
    engine = HotListEngine(MemoryListStorage(), clock=now, audit=store.audit)
    engine.add_manual("7ABC123", "CA", "Stolen vehicle", "sue", "24-1187", "grey sedan", clock().date() + timedelta(days=5))
    desk = AlertDesk(store, clock=now)
    first, middle, last = sorted(store.iter_reads(plate_hmacs=store.read_hmacs("7ABC123")), key=lambda r: r["captured_at"])
    [alert] = desk.raise_for(first["id"], engine.match("7ABC123", "CA"))
    for read in (middle, last):
        assert [a.alert_id for a in desk.raise_for(read["id"], engine.match("7ABC123", "CA"))] == [alert.alert_id]  # absorbed
    _package(store, tmp_path)
    for read in (first, middle, last):
        history = json.loads((tmp_path / "pkg" / "reads" / read["id"] / "alerts.json").read_text())
        assert [a["alert_id"] for a in history] == [alert.alert_id], read["id"]
    assert verify_package(tmp_path / "pkg")[0]
