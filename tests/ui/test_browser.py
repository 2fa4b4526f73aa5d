"""End to end in real headless Chromium: the officer's night, as the browser sees it.

One browser for the module; each test gets a fresh browser context (its own
cookies). The server is the real app under uvicorn over the device's own services,
alert desk and store (``tests.ui.world``).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from tests.ui.chromium import fresh_page, log_in, needs_chromium, serve, wait_js
from tests.ui.conftest import PASSWORDS
from tests.ui.world import UiWorld

pytestmark = needs_chromium
ROLES = {"olive": "officer", "sam": "supervisor", "tim": "technician", "lou": "officer"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    backend = UiWorld(tmp_path_factory.mktemp("browser"))
    for name, role in ROLES.items():
        backend.add_account(name, PASSWORDS[name], role)
    backend.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                    entered_by="NCIC", priority=1)
    backend.add_hot("6TRK550", "CA", "Felony warrant, registered owner", list_name="ca-svs", case_number="24-7788",
                    priority=2)
    with serve(backend) as world:
        yield world


@pytest.fixture
def page(world):
    with fresh_page(world["browser"]) as page:
        yield page


def login(page, world, name: str, theme: str = "night"):
    backend = world["backend"]
    log_in(page, world["url"], name, PASSWORDS[name], theme=theme, code=(lambda: backend.code(name)) if name in backend.totp else None,
           acknowledge_shift=ROLES[name] in ("officer", "technician"), shift_checks=7)


def steps_of(backend, alert_id) -> list[tuple[str, str]]:
    return [(r.action, r.user) for r in backend.actions()
            if r.detail.get("alert_id") == alert_id and r.action.startswith("alert_")]


def test_officer_verifies_confirms_and_disposes_a_pushed_alert(world, page, tmp_path):
    from playwright.sync_api import expect

    backend = world["backend"]
    login(page, world, "olive")
    assert backend.actions("start_of_shift")[-1].user == "olive"
    _, alert = backend.push_read("7ABC123", "CA")  # arrives while the page is open: pushed, not polled
    screen = page.locator("#alert-screen")
    expect(screen).to_be_visible()
    expect(page.locator("#alert-banner")).to_contain_text("UNVERIFIED")
    expect(page.locator("#a-read-text")).to_have_text("7ABC123")
    expect(page.locator("#a-read-state")).to_have_text("CA")
    expect(page.locator("#a-entry")).to_contain_text("24-001234")
    for image in ("#a-crop", "#a-overview"):
        wait_js(page, f"document.querySelector('{image}').naturalWidth > 0")
    # Unverified: only the visual check is offered, never a dispatch or disposition button.
    expect(page.locator("#alert-actions button")).to_have_text([
        "Matches: characters AND state", "Camera misread: characters differ", "Camera misread: not a plate",
        "Same characters, wrong state", "Silence (still to check)"])
    wait_js(page, "window.alpr.beeps >= 1")
    wait_js(page, "Object.keys(window.alpr.tones).length === 5")  # the car's tones, decoded by Web Audio
    _screenshots(page, tmp_path)

    page.click("[data-step=verified]")
    expect(page.locator("#alert-banner")).to_contain_text("NOT CONFIRMED: confirm with dispatch (CLETS)")
    assert steps_of(backend, alert.alert_id)[-1] == ("alert_verified", "olive")
    beeps = page.evaluate("window.alpr.beeps")
    page.fill("#a-note", "dispatch: still stolen")
    page.click("[data-step=confirmed]")
    expect(page.locator("#alert-banner")).to_contain_text("CONFIRMED BY DISPATCH")
    time.sleep(3)  # verified alerts stop sounding
    assert page.evaluate("window.alpr.beeps") == beeps
    page.click("[data-step='disposed:vehicle_recovered']")
    expect(screen).to_be_hidden()
    assert steps_of(backend, alert.alert_id) == [
        ("alert_raised", "system"), ("alert_verified", "olive"), ("alert_confirmed", "olive"), ("alert_disposed", "olive"),
    ]
    assert backend.actions("alert_confirmed", outcome="confirmed")[-1].detail["note"] == "dispatch: still stolen"
    assert backend.alert(alert.alert_id).state == "disposed"
    assert backend.actions("ui_alert_viewed")[0].detail["alert_id"] == alert.alert_id

    page.click("#btn-lock")  # and the screen lock
    expect(page.locator("#lock-screen")).to_be_visible()
    page.fill("#unlock-secret", "not-her-pin")
    page.click("#unlock-submit")
    expect(page.locator("#unlock-error")).to_contain_text(re.compile("wrong password", re.I))
    page.fill("#unlock-secret", PASSWORDS["olive"])
    page.click("#unlock-submit")
    expect(page.locator("#main-screen")).to_be_visible()


def _screenshots(page, folder: Path) -> None:
    """Day and night shots of the unverified alert: small, and night really is darker."""
    from PIL import Image, ImageStat

    brightness = {}
    for theme in ("night", "day"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        data = page.screenshot(path=str(folder / f"alert-{theme}.png"))
        assert len(data) < 500_000
        brightness[theme] = ImageStat.Stat(Image.open(io.BytesIO(data)).convert("L")).mean[0]
    page.evaluate("document.documentElement.dataset.theme = 'night'")
    assert brightness["night"] < brightness["day"] / 2


def test_a_misread_closes_the_alert(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    login(page, world, "olive", theme="day")
    _, alert = backend.push_read("6TRK550", "NV")
    expect(page.locator("#alert-screen")).to_be_visible()
    expect(page.locator("#a-hot-state")).to_have_text("CA")
    expect(page.locator("#a-read-state")).to_have_text("NV")
    expect(page.locator("#a-prompt")).to_contain_text("STATES DIFFER")
    page.click("[data-step='misread:characters_differ']")
    expect(page.locator("#alert-screen")).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("misread")
    assert backend.alert(alert.alert_id).state == "misread"
    assert steps_of(backend, alert.alert_id)[-1] == ("alert_misread", "olive")
    expect(page.locator("#alert-count")).to_have_text("0")


def test_a_look_up_needs_a_case_number_and_a_real_purpose(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    backend.push_read("5SRC901")
    login(page, world, "sam")
    page.click("[data-tab=search]")
    page.fill("#search-plate", "5SRC*")
    page.fill("#search-purpose", "stolen-wanted-or-suspect-vehicle: Hit and run on Route 9, white van")
    page.click("#search-submit")
    expect(page.locator("#search-error")).to_contain_text("case number is required")
    page.fill("#search-purpose", "investigation")
    page.fill("#search-case", "24-5555")
    page.click("#search-submit")
    expect(page.locator("#search-error")).to_contain_text("not one of this agency's authorised purposes")
    assert not [r for r in backend.actions("reads.search", outcome="ok") if r.user == "sam"]
    page.fill("#search-purpose", "stolen-wanted-or-suspect-vehicle: Hit and run on Route 9, white van")
    page.click("#search-submit")
    expect(page.locator("#search-results")).to_contain_text("5SRC901")
    assert backend.actions("reads.search", outcome="ok")[-1].detail["case_number"] == "24-5555"


def test_a_technician_sees_no_plates(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read, _ = backend.push_read("9TEC111")
    login(page, world, "tim")
    expect(page.locator("#live-hidden")).to_be_visible()
    expect(page.locator("#bar-gps")).to_contain_text("GPS")
    assert "9TEC111" not in page.content()
    expect(page.locator("#live-reads li")).to_have_count(0)
    for tab in ("alerts", "search", "hotlist", "add", "audit"):
        expect(page.locator(f"[data-tab={tab}]")).to_be_hidden()
    # Hidden is not enough: the server refuses the image even when asked directly.
    status = page.evaluate(f"fetch('/api/reads/{read.read_id}/crop.jpg').then(r => r.status)")
    assert status == 403


def test_lockout_after_failed_logins(world, page):
    from playwright.sync_api import expect

    page.goto(world["url"])
    for attempt in range(5):
        page.fill("#login-name", "lou")
        page.fill("#login-secret", f"wrong-{attempt}")
        page.click("#login-submit")
        expected = re.compile("locked|wrong password", re.I) if attempt == 4 else re.compile("wrong password", re.I)
        expect(page.locator("#login-error")).to_contain_text(expected)
    page.fill("#login-secret", PASSWORDS["lou"])
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("locked")
    expect(page.locator("#main-screen")).to_be_hidden()


def test_an_alert_closed_elsewhere_leaves_the_screen(world, page):
    from playwright.sync_api import expect

    from alpr_edge.ui.backend import SessionUser

    backend = world["backend"]
    login(page, world, "olive")
    _, alert = backend.push_read("7ABC123", "CA")
    expect(page.locator("#alert-screen")).to_be_visible()
    backend.services.transition(alert.alert_id, "verified", SessionUser("sam", "supervisor"))  # from another screen
    expect(page.locator("#alert-banner")).to_contain_text("VISUALLY VERIFIED")
    backend.services.transition(alert.alert_id, "not_confirmed", SessionUser("sam", "supervisor"))
    expect(page.locator("#alert-screen")).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("closed elsewhere")


def test_an_alert_closed_while_the_screen_fetches_it_stays_closed(world, page):
    """A push re-opens the alert (it changed) and the fetch is slow (a loaded box); the alert closes
    elsewhere meanwhile: the late answer must not bring the closed alert back on screen."""
    from playwright.sync_api import expect

    from alpr_edge.ui.backend import SessionUser

    backend = world["backend"]
    sam = SessionUser("sam", "supervisor")
    login(page, world, "olive")
    _, alert = backend.push_read("7ABC123", "CA")
    expect(page.locator("#a-read-text")).to_have_text("7ABC123")

    def slow_fetch(route):  # closed elsewhere while this fetch is on its way
        backend.services.transition(alert.alert_id, "not_confirmed", sam)
        time.sleep(1.5)  # the next push (every 0.2 s) closes the screen first
        route.continue_()

    page.route(f"**/api/alerts/{alert.alert_id}", slow_fetch, times=1)
    backend.services.transition(alert.alert_id, "verified", sam)  # the push that re-opens it
    expect(page.locator("#toast")).to_contain_text("closed elsewhere")
    time.sleep(1.0)  # the late answer has arrived by now
    expect(page.locator("#alert-screen")).to_be_hidden()


def test_a_note_being_typed_survives_the_alert_changing_elsewhere(world, page):
    """A push that re-draws the alert (another screen stepped it) keeps what the officer is typing."""
    from playwright.sync_api import expect

    from alpr_edge.ui.backend import SessionUser

    backend = world["backend"]
    login(page, world, "olive")
    _, alert = backend.push_read("7ABC123", "CA")
    expect(page.locator("#a-read-text")).to_have_text("7ABC123")
    page.fill("#a-note", "grey Civic, two occupants")
    backend.services.transition(alert.alert_id, "verified", SessionUser("sam", "supervisor"))  # from another screen
    expect(page.locator("#alert-banner")).to_contain_text("NOT CONFIRMED")
    expect(page.locator("#a-note")).to_have_value("grey Civic, two occupants")
    page.click("[data-step=confirmed]")
    expect(page.locator("#alert-banner")).to_contain_text("CONFIRMED BY DISPATCH")
    expect(page.locator("#a-note")).to_have_value("")  # sent with the step, then cleared
    confirmed = [r for r in backend.actions("alert_confirmed", outcome="confirmed") if r.detail.get("alert_id") == alert.alert_id]
    assert confirmed[-1].detail["note"] == "grey Civic, two occupants"
    page.click("[data-step='disposed:vehicle_recovered']")
    expect(page.locator("#alert-screen")).to_be_hidden()


def test_the_banner_shows_the_servers_words_and_look(world, page, monkeypatch):
    from playwright.sync_api import expect

    from alpr_edge.alerts import lifecycle
    from alpr_edge.ui.backend import SessionUser

    backend = world["backend"]
    login(page, world, "olive")
    _, alert = backend.push_read("7ABC123", "CA")
    raised = lifecycle.banner("raised")
    expect(page.locator("#alert-banner")).to_have_text(raised.text)
    expect(page.locator("#a-prompt")).to_have_text(raised.prompt)
    # The lifecycle says something new for a state: the screen says it, in the look it was told, with no copy to edit.
    monkeypatch.setitem(lifecycle.BANNERS, "verified", lifecycle.Banner("confirmed", "CHECKED BY EYE — ask dispatch", "Dispatch said?"))
    page.click("[data-step=verified]")
    expect(page.locator("#alert-banner")).to_have_text("CHECKED BY EYE — ask dispatch")
    expect(page.locator("#alert-banner")).to_have_class("banner confirmed")
    expect(page.locator("#a-prompt")).to_have_text("Dispatch said?")
    # A look the page has no style for is drawn neutral (grey), never unstyled; the words are still the server's.
    monkeypatch.setitem(lifecycle.BANNERS, "confirmed", lifecycle.Banner("sparkly", "NEW WORDS", "New question?"))
    page.click("[data-step=confirmed]")
    expect(page.locator("#alert-banner")).to_have_text("NEW WORDS")
    expect(page.locator("#alert-banner")).to_have_class("banner closed")
    backend.services.transition(alert.alert_id, "disposed", SessionUser("olive", "officer"), disposition="no_action")
    expect(page.locator("#alert-screen")).to_be_hidden()
