#!/usr/bin/env python3
"""Take the README's screenshots of the alert screen (day and night) in headless Chromium.

    PYTHONPATH=. .venv/bin/python scripts/ui_screenshots.py docs/

Runs the touchscreen on the device's own services over a temporary store
(``tests.ui.world``), logs an officer in, pushes a read that matches a hot
plate through the daemon's path, and captures the unverified alert at
1024x600 (a 7-inch car screen).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)

    backend = UiWorld(Path(tempfile.mkdtemp(prefix="ui-screenshots-")))
    backend.add_account("olive", "olive-pass-1", "officer")
    backend.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                    entered_by="NCIC", priority=1)
    server = UiServer(create_app(backend.services, UiSection()), "127.0.0.1", free_port())
    server.start()
    from playwright.sync_api import expect, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1024, "height": 600})
            page.goto(server.url + "?theme=night")
            page.fill("#login-name", "olive")
            page.fill("#login-secret", "olive-pass-1")
            page.click("#login-submit")
            page.click("#shift-ack")
            backend.push_read("4XYZ987")
            backend.push_read("7ABC123", "CA")
            expect(page.locator("#alert-screen")).to_be_visible()
            time.sleep(1.0)  # images decoded
            for theme in ("day", "night"):
                page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
                path = args.folder / f"alert-{theme}.png"
                page.screenshot(path=str(path))
                print(f"{path}: {path.stat().st_size} bytes")
            browser.close()
    finally:
        server.stop()
        backend.close()


if __name__ == "__main__":
    main()
