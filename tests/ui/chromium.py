"""Launching Debian's Chromium for the end-to-end tests (never `playwright install`)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1024, "height": 600}  # a 7-inch car screen
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                    reason="chromium not installed")


def launch(playwright):
    from playwright.sync_api import expect

    # Generous waits: the box is shared and a loaded CI machine is slow; a real failure still fails.
    expect.set_options(timeout=15_000)
    return playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=ARGS)


def wait_js(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JS expression until true (page.evaluate, because the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.1)
