#!/usr/bin/env python3
"""Take the README's screenshots of the touchscreen in headless Chromium.

    PYTHONPATH=. .venv/bin/python scripts/ui_screenshots.py docs/

Runs the touchscreen on the device's own services over a temporary store
(``tests.ui.world``), logs an officer in, pushes reads through the daemon's
path (one a lenient hit: B read as 8), and captures:

- ``alert-day.png``, ``alert-night.png``: the unverified alert at 1024x600 (a 7-inch car screen);
- ``alert-locked.png``: the same alert after the idle lock, over the lock screen (night);
- ``alert-800x480.png``: the alert on a 5-inch 800x480 screen (night);
- ``lookup-800x480.png``: a supervisor's look-up results at 800x480 (day).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from alpr_edge.config import UiSection
from alpr_edge.ui import UiServer, create_app
from alpr_edge.ui.server import free_port
from tests.ui.world import UiWorld

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORDS = {"olive": "olive-pass-1", "sam": "sam-pass-22"}


class HandClock:
    """The sessions' clock, moved by hand to show the idle lock without waiting five minutes."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)

    backend = UiWorld(Path(tempfile.mkdtemp(prefix="ui-screenshots-")))
    backend.add_account("olive", PASSWORDS["olive"], "officer")
    backend.add_account("sam", PASSWORDS["sam"], "supervisor")
    backend.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                    entered_by="NCIC", priority=1, synopsis="Taken from a parking lot on 5th and Main; driver may be armed")
    clock = HandClock()
    server = UiServer(create_app(backend.services, UiSection(push_interval_s=0.2), clock=clock), "127.0.0.1", free_port())
    server.start()
    from playwright.sync_api import expect, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = login(browser, server.url, backend, "olive", {"width": 1024, "height": 600})
            backend.push_read("4XYZ987")
            backend.push_read("7A8C123", "CA")
            expect(page.locator("#alert-screen")).to_be_visible()
            time.sleep(1.0)  # images decoded
            for theme in ("day", "night"):
                shoot(page, args.folder / f"alert-{theme}.png", theme)
            clock.now += 301  # past lock_after_s: the screen locks, the alert stays over it
            expect(page.locator("#a-unlock")).to_be_visible()
            shoot(page, args.folder / "alert-locked.png", "night")
            page.set_viewport_size({"width": 800, "height": 480})
            page.fill("#a-unlock-secret", PASSWORDS["olive"])
            page.click("#a-unlock-submit")
            expect(page.locator("#alert-actions")).to_be_visible()
            shoot(page, args.folder / "alert-800x480.png", "night")

            sam = login(browser, server.url, backend, "sam", {"width": 800, "height": 480})
            sam.click("#a-back")  # the alert showed for her too: back to the tabs
            sam.click("[data-tab=search]")
            sam.fill("#search-plate", "7A?C*")
            sam.fill("#search-purpose", "stolen-wanted-or-suspect-vehicle: stolen Honda Civic, 5th and Main")
            sam.fill("#search-case", "24-001234")
            sam.click("#search-submit")
            expect(sam.locator("#search-results")).to_contain_text("7A8C123")
            shoot(sam, args.folder / "lookup-800x480.png", "day")
            browser.close()
    finally:
        server.stop()
        backend.close()


def login(browser, url: str, backend: UiWorld, name: str, viewport: dict[str, int]):
    page = browser.new_page(viewport=viewport)
    page.goto(url + "?theme=night")
    page.fill("#login-name", name)
    page.fill("#login-secret", PASSWORDS[name])
    page.click("#login-submit")
    if name in backend.totp:  # supervisors have an authenticator
        page.locator("#login-totp-row").wait_for()
        page.fill("#login-totp", backend.code(name))
        page.click("#login-submit")
    if name == "olive":
        page.click("#shift-ack")
    page.locator("#main-screen").wait_for()
    return page


def shoot(page, path: Path, theme: str) -> None:
    page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
    page.screenshot(path=str(path))
    print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
