"""The device services over the real encrypted store and accounts, and the app on top of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from alpr_edge.accounts import Accounts
from alpr_edge.config import AccountsSection, Config, StoreSection, UiSection
from alpr_edge.ids import uuid7
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.ui import LoginRefused, NotFound, Refused, SessionUser, create_app
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.types import Components, LiveFeed
from alpr_edge.ui.services import DeviceServices
from alpr_edge.vision.types import Candidate, Read

OFFICER = SessionUser("olive", "officer")
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # Argon2, cheap for tests


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


class Source:
    name = "front"

    def status(self):
        return {"camera": "front", "connected": True}


def make_read(text: str, when: datetime = NOW, state: str = "CA") -> Read:
    return Read(
        read_id=uuid7(int(when.timestamp() * 1000)), text=text, confidence=0.91, candidates=(Candidate(text, 0.91),),
        camera="front", capture_monotonic_s=1.0, capture_wall_time=when.timestamp(), first_seen_monotonic_s=0.5,
        frames=4, box=(0, 0, 10, 10), crop_jpeg=b"\xff\xd8crop-" + text.encode(), overview_jpeg=b"\xff\xd8overview",
        state=state,
    )


@pytest.fixture
def device(tmp_path):
    clock = Clock()
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True, clock=clock)
    accounts = Accounts(store, AccountsSection(max_failed_logins=3), hasher=FAST_HASHER)
    enrol = {}
    for name, role in (("olive", "officer"), ("sam", "supervisor"), ("ada", "admin"), ("tim", "technician")):
        uri = accounts.add(name, role, f"{name}-secret")
        if uri:
            enrol[name] = pyotp.parse_uri(uri)
    config = replace(Config(), device=replace(Config().device, data_dir=tmp_path / "data"))
    parts = Components(source=Source(), recognizer=None, aggregator=None, store=store)  # type: ignore[arg-type]
    feed, counters = LiveFeed(), PipelineCounters()
    counters.frames_in = 120
    backend = DeviceServices(config, load_profile("sim"), parts, feed=feed, counters=counters, accounts=accounts,
                             disk_usage=lambda _path: SimpleNamespace(free=50e9))
    yield SimpleNamespace(backend=backend, store=store, accounts=accounts, clock=clock, feed=feed, counters=counters,
                          enrol=enrol)
    store.close()


def code(device, name: str) -> str:
    return device.enrol[name].at(device.clock.now)


def test_login_refusals_carry_a_code_and_the_accounts_words(device):
    backend = device.backend
    assert backend.authenticate("olive", "olive-secret", None) == SessionUser("olive", "officer")
    with pytest.raises(LoginRefused) as wrong:
        backend.authenticate("olive", "nope-nope", None)
    assert wrong.value.reason == "wrong_secret" and "wrong password" in wrong.value.message.lower()
    with pytest.raises(LoginRefused) as totp:
        backend.authenticate("sam", "sam-secret", None)
    assert totp.value.reason == "totp_needed"
    assert backend.authenticate("sam", "sam-secret", code(device, "sam")).role == "supervisor"
    for _ in range(3):
        with pytest.raises(LoginRefused):
            backend.authenticate("tim", "bad-secret", None)
    with pytest.raises(LoginRefused) as locked:
        backend.authenticate("tim", "tim-secret", None)
    assert locked.value.reason == "locked_out"


def test_unused_accounts_and_old_training_are_refused(device):
    device.accounts.set_training("ada", date(2025, 1, 1), actor="root", actor_role="admin")
    with pytest.raises(LoginRefused) as training:
        device.backend.authenticate("ada", "ada-secret", code(device, "ada"))
    assert training.value.reason == "training_out_of_date"
    device.clock.now = NOW + timedelta(days=91)
    with pytest.raises(LoginRefused) as unused:
        device.backend.authenticate("olive", "olive-secret", None)
    assert unused.value.reason == "expired_account" and "90 days" in unused.value.message




def test_start_of_shift_names_every_check_and_what_is_missing(device):
    checks = {c.name: c for c in device.backend.start_of_shift(OFFICER)}
    assert list(checks) == ["camera", "ir", "gps", "clock", "storage", "hotlist", "uplink"]
    assert checks["camera"].status == "pass" and "120" in checks["camera"].detail
    assert checks["hotlist"].status == "fail" and "not being checked" in checks["hotlist"].detail
    assert checks["uplink"].status == "warn"
    device.counters.frames_in = 0
    assert device.backend.start_of_shift(OFFICER)[0].status == "fail"


def test_live_reads_and_images_come_from_memory_then_the_encrypted_store(device):
    old, new = make_read("4XYZ987", NOW - timedelta(minutes=5)), make_read("7ABC123")
    device.store.add_reads([old, new])
    device.feed.add([new])
    live = device.backend.live(SessionUser("olive", "officer"))
    assert [r.text for r in live.reads] == ["7ABC123"]
    assert "No hot list engine" in live.warnings[0]
    olive, sam = SessionUser("olive", "officer"), SessionUser("sam", "supervisor")
    assert device.backend.read_image(new.read_id, "crop", olive) == b"\xff\xd8crop-7ABC123"
    # Off the live view, a stored read's image is decrypted for the session whose look-up returned it, no one else.
    assert device.backend.read_image(old.read_id, "crop", sam, looked_up=True) == b"\xff\xd8crop-4XYZ987"
    for user, looked_up in ((olive, True), (sam, False)):
        with pytest.raises(NotFound):
            device.backend.read_image(old.read_id, "crop", user, looked_up=looked_up)


def test_search_goes_through_the_store_rules_and_audit(device):
    device.store.add_reads([make_read("7ABC123"), make_read("7ABD123"), make_read("4XYZ987")])
    sam = SessionUser("sam", "supervisor")
    with pytest.raises(Refused, match="not one of this agency's authorised purposes"):
        device.backend.search("7ABC123", False, "investigation", "24-1", sam)
    with pytest.raises(Refused, match="SB 54"):
        device.backend.search("7ABC123", False, "special-event: immigration enforcement sweep", "24-1", sam)
    hits = device.backend.search("7AB?123", True, "stolen-wanted-or-suspect-vehicle: Stolen vehicle report, grey Civic", "24-1187", sam)
    assert sorted(h.text for h in hits) == ["7ABC123", "7ABD123"]
    with pytest.raises(Refused, match="may not search"):
        device.backend.search("7ABC123", False, "Stolen vehicle report", "24-1187", SessionUser("olive", "officer"))
    actions = [(r.action, r.detail.get("case_number"), r.detail.get("outcome", "")[:7])
               for r in device.backend.audit(SessionUser("ada", "admin"))]
    assert ("reads.search", "24-1187", "ok") in actions
    assert ("reads.search", "24-1", "refused") in actions


def test_the_app_over_the_device_services(device):
    device.store.add_reads([make_read("7ABC123")])
    client = TestClient(create_app(device.backend, UiSection()), base_url="https://testserver")
    response = client.post("/api/login", json={"name": "sam", "secret": "sam-secret", "totp": code(device, "sam")})
    assert response.status_code == 200, response.text
    csrf = response.json()["csrf"]
    result = client.post("/api/search", json={"plate": "7ABC123", "purpose": "stolen-wanted-or-suspect-vehicle: Stolen vehicle report 24-1187",
                                               "case_number": "24-1187"}, headers={"X-CSRF-Token": csrf})
    assert [h["text"] for h in result.json()["hits"]] == ["7ABC123"]
    refused = client.post("/api/search", json={"plate": "7ABC123", "purpose": "stolen-wanted-or-suspect-vehicle: Stolen vehicle report", "case_number": ""},
                          headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 400 and "case number" in refused.json()["message"]
    assert client.get("/api/audit").status_code == 403  # supervisors do not read the audit trail
    assert client.post("/api/logout", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    trail = [r.action for r in device.backend.audit(SessionUser("ada", "admin"))]
    assert "ui_logout" in trail and "login" in trail


def test_an_officer_is_never_told_that_a_covert_list_is_stale(device):
    """The live view and the start-of-shift check named a stale covert list to officers."""
    from alpr_edge.hotlist import EntryTable, HotList, HotListEngine, HotListEntry, MemoryListStorage

    now = NOW.timestamp()
    engine = HotListEngine(MemoryListStorage(), clock=lambda: now)
    for name, covert in (("stolen", False), ("covert-ops", True)):
        entry = HotListEntry(plate="7ABC123", state="CA", list_type="BOLO", reason="Stolen vehicle", vehicle="",
                             entered_by="sam", case_number="26-1", synopsis="stolen from a lot")
        engine.replace(HotList(name=name, source="csv", entries=EntryTable.from_entries([entry]), version=1,
                               received_at=now - 7200, max_age_s=3600, covert=covert))  # both stale: 2 h old, 1 h allowed
    device.backend.hotlists = engine
    sam = SessionUser("sam", "supervisor")
    officer_sees = " ".join(device.backend.live(OFFICER).warnings)
    shift = {c.name: c for c in device.backend.start_of_shift(OFFICER)}["hotlist"].detail
    assert "'stolen' is stale" in officer_sees and "covert-ops" not in officer_sees + shift
    assert "'covert-ops' is stale" in " ".join(device.backend.live(sam).warnings)
