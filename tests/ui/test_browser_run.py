"""The whole device, as shipped: `alpr-edge run --profile sim` (whose demo hot list matches a simulated plate),
its touchscreen driven in headless Chromium, each step then found in the store's audit trail.

Skipped where the recognition models are not available (they come with the
vision stage); tests/ui/test_browser_device.py covers the same path with a
stand-in recogniser.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pyotp
import pytest

from alpr_edge.ui.server import free_port
from tests.conftest import ROOT, cli_env, run_cli
from tests.ui.chromium import VIEWPORT, launch, needs_chromium

SIM_PLATE, SIM_STATE = "HXP4471", "TX"  # firmware_profiles/sim-data/hotlist.csv: a car of the replayed drive


def _models_available() -> bool:
    try:
        from alpr_edge.vision import load_recognizer

        load_recognizer(None)
    except Exception:
        return False
    return True


# The whole shipped daemon (models, sim replay, Argon2 at full cost): 30 to 40 s here, hence slow.
pytestmark = [needs_chromium, pytest.mark.slow,
              pytest.mark.skipif(not _models_available(), reason="recognition models not available")]


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    data = tmp_path_factory.mktemp("run")
    admin = run_cli("users", "add", "ada", "--role", "admin", "--data-dir", str(data), "--password-stdin",
                    input="ada-secret-1\n")  # a device's first account is an admin
    assert admin.returncode == 0, admin.stderr
    admin_totp = pyotp.parse_uri(re.search(r"otpauth://\S+", admin.stdout).group(0))
    added = run_cli("users", "add", "sam", "--role", "supervisor", "--data-dir", str(data), "--password-stdin",
                    "--as", "ada", "--totp", admin_totp.now(), input="sam-secret-1\nada-secret-1\n")
    assert added.returncode == 0, added.stderr
    totp = pyotp.parse_uri(re.search(r"otpauth://\S+", added.stdout).group(0))
    port = free_port()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "alpr_edge", "run", "--profile", "sim", "--data-dir", str(data), "--ui-port", str(port)],
        cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.ConnectError:
            if daemon.poll() is not None or time.monotonic() > deadline:
                daemon.kill()
                pytest.fail(f"the daemon's UI never came up:\n{daemon.communicate()[0][-3000:]}")
            time.sleep(0.2)
    yield {"url": url, "totp": totp, "data": data, "process": daemon}
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(20)


def test_the_shipped_daemon_alerts_on_the_simulated_plate_and_audits_every_step(device):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(30000)
        page.goto(device["url"])
        page.fill("#login-name", "sam")
        page.fill("#login-secret", "sam-secret-1")
        page.click("#login-submit")
        expect(page.locator("#login-totp-row")).to_be_visible()
        page.fill("#login-totp", device["totp"].now())
        page.click("#login-submit")
        screen = page.locator("#alert-screen")
        expect(screen).to_be_visible(timeout=60_000)  # a car of the sim drive is on the demo hot list
        expect(page.locator("#alert-banner")).to_contain_text("UNVERIFIED")
        expect(page.locator("#a-hot-text")).to_have_text(SIM_PLATE)
        expect(page.locator("#a-hot-state")).to_have_text(SIM_STATE)
        alert_id = screen.get_attribute("data-alert")
        page.click("[data-step=verified]")
        expect(page.locator("#alert-banner")).to_contain_text("CLETS")
        page.click("[data-step=confirmed]")
        page.click("[data-step='disposed:vehicle_recovered']")
        expect(screen).to_be_hidden()
        browser.close()
    process = device["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0

    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store
    from alpr_edge.store.audit import records

    with Store.open(device["data"], StoreSection(), dev_keys=True) as store:
        steps = [(r["action"], r["user"]) for r in records(store) if (r.get("data") or {}).get("alert_id") == alert_id
                 and r["action"].startswith("alert_")]
    assert steps == [("alert_raised", "system"), ("alert_verified", "sam"), ("alert_confirmed", "sam"), ("alert_disposed", "sam")]
