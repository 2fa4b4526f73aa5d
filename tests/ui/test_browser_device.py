"""End to end in real headless Chromium against a real daemon (tests/ui/device_world.py).

Real encrypted store, Argon2 accounts with TOTP, hot list engine, alert book,
buzzer signals and UI server; only the camera and the recogniser are
stand-ins. Every step is looked for in the store's hash-chained audit trail.
"""

from __future__ import annotations

import pytest

from tests.ui.chromium import chromium, fresh_page, log_in, needs_chromium, wait_js
from tests.ui.device_world import SECRETS, start_device

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    device = start_device(tmp_path_factory.mktemp("device"))
    try:
        with chromium() as browser:
            device.browser = browser
            yield device
    finally:
        device.stop()


@pytest.fixture
def page(world):
    with fresh_page(world.browser) as page:
        yield page


def login(page, world, name: str) -> None:
    log_in(page, world.url, name, SECRETS[name], code=(lambda: world.code(name)) if name in world.totp else None,
           acknowledge_shift=name in ("olive", "tim", "lou"))


def outcomes(world, alert_id: str) -> list[tuple[str, str, str]]:
    return [(r["action"], r["user"], r["outcome"]) for r in world.audit("alert_")
            if (r.get("data") or {}).get("alert_id") == alert_id]


def test_supervisor_with_totp_handles_a_live_alert_and_the_audit_trail_has_each_step(world, page):
    from playwright.sync_api import expect

    login(page, world, "sam")
    world.show("ABC1234")  # the camera sees the hot plate while the page is open
    screen = page.locator("#alert-screen")
    expect(screen).to_be_visible()
    expect(page.locator("#alert-banner")).to_contain_text("UNVERIFIED")
    expect(page.locator("#a-read-text")).to_have_text("ABC1234")
    expect(page.locator("#a-hot-text")).to_have_text("ABC1234")
    expect(page.locator("#a-entry")).to_contain_text("24-001234")
    wait_js(page, "document.querySelector('#a-crop').naturalWidth > 0 && document.querySelector('#a-overview').naturalWidth > 0")
    wait_js(page, "window.alpr.beeps >= 1")
    alert_id = screen.get_attribute("data-alert")
    page.click("[data-step=verified]")
    expect(page.locator("#alert-banner")).to_contain_text("confirm with dispatch (CLETS)")
    page.click("[data-step=confirmed]")
    expect(page.locator("#alert-banner")).to_contain_text("CONFIRMED BY DISPATCH")
    page.click("[data-step='disposed:arrest']")
    expect(screen).to_be_hidden()
    assert outcomes(world, alert_id) == [
        ("alert_raised", "system", "raised"), ("alert_verified", "sam", "verified"),
        ("alert_confirmed", "sam", "confirmed"), ("alert_disposed", "sam", "disposed"),
    ]
    ok, _, why = world.store.verify_audit()
    assert ok, why


def test_a_misread_closes_the_alert(world, page):
    from playwright.sync_api import expect

    login(page, world, "olive")
    world.show("ABC1234", state="NV")
    expect(page.locator("#alert-screen")).to_be_visible()
    alert_id = page.locator("#alert-screen").get_attribute("data-alert")
    page.click("[data-step='misread:characters_differ']")
    expect(page.locator("#alert-screen")).to_be_hidden()
    expect(page.locator("#alert-count")).to_have_text("0")
    assert outcomes(world, alert_id)[-1] == ("alert_misread", "olive", "misread")


def test_a_look_up_without_a_case_number_is_refused(world, page):
    from playwright.sync_api import expect

    login(page, world, "ada")
    page.click("[data-tab=search]")
    page.fill("#search-plate", "ABC12*")
    page.fill("#search-purpose", "stolen-wanted-or-suspect-vehicle: Stolen vehicle report, grey Civic")
    page.click("#search-submit")
    expect(page.locator("#search-error")).to_contain_text("case number is required")
    page.fill("#search-case", "24-001234")
    page.click("#search-submit")
    expect(page.locator("#search-results")).to_contain_text("ABC1234")
    searches = [(r["outcome"][:7], r["case_number"]) for r in world.audit("reads.search")]
    assert searches[-2:] == [("refused", ""), ("ok", "24-001234")]


def test_a_technician_sees_no_plates(world, page):
    from playwright.sync_api import expect

    world.show("ABC1234")
    login(page, world, "tim")
    expect(page.locator("#live-hidden")).to_be_visible()
    expect(page.locator("[data-tab=alerts]")).to_be_hidden()
    wait_js(page, "window.alpr.snapshot && window.alpr.snapshot.reads_count > 0")
    assert "ABC1234" not in page.content()
    assert page.evaluate("fetch('/api/alerts').then(r => r.status)") == 403


def test_lockout_after_failed_logins(world, page):
    from playwright.sync_api import expect

    page.goto(world.url)
    for attempt in range(5):
        page.fill("#login-name", "lou")
        page.fill("#login-secret", f"wrong-secret-{attempt}")
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_contain_text("locked" if attempt == 4 else "wrong password")
    page.fill("#login-secret", SECRETS["lou"])
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("locked")
    assert world.audit("login.failed")[-1]["user"] == "lou"
