"""Launching Debian's Chromium for the end-to-end tests (never `playwright install`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from alpr_edge.config import UiSection
from alpr_edge.ui import UiServer, create_app
from alpr_edge.ui.server import free_port

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


@contextmanager
def chromium() -> Iterator:
    """A launched browser for the length of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@contextmanager
def serve(backend, clock: Callable[[], float] = time.monotonic) -> Iterator[dict]:
    """The real app under uvicorn over ``backend`` (a ``tests.ui.world.UiWorld``) and a browser for it:
    yields {"backend", "url", "browser"}; stops the server and closes the backend after."""
    server = UiServer(create_app(backend.services, UiSection(push_interval_s=0.2), clock=clock), "127.0.0.1", free_port())
    server.start()
    try:
        with chromium() as browser:
            yield {"backend": backend, "url": server.url, "browser": browser}
    finally:
        server.stop()
        backend.close()


def new_page(browser, viewport: dict = VIEWPORT):
    """A page in a fresh browser context (its own cookies); the caller closes ``page.context``."""
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15000)
    return page


def wait_js(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JS expression until true (page.evaluate, because the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.1)


def log_in(page, url: str | None, name: str, secret: str, *, code: Callable[[], str] | None = None,
           acknowledge_shift: bool = False, shift_checks: int | None = None, theme: str = "night") -> None:
    """The login screen as a user goes through it, ending on the main screen: name and password,
    the authenticator code when the account has one (``code`` gives a fresh one), and for the
    roles that get it the start-of-shift checks, seen (``shift_checks`` rows when given) and
    acknowledged. ``url`` None: the page already shows the login screen (not reloaded)."""
    from playwright.sync_api import expect

    if url is not None:
        page.goto(url + f"?theme={theme}")
    page.fill("#login-name", name)
    page.fill("#login-secret", secret)
    page.click("#login-submit")
    if code is not None:
        expect(page.locator("#login-totp-row")).to_be_visible()
        page.fill("#login-totp", code())
        page.click("#login-submit")
    if acknowledge_shift:
        expect(page.locator("#shift-screen")).to_be_visible()
        rows = page.locator("#shift-checks tr")
        if shift_checks is None:
            expect(rows.first).to_be_visible()
        else:
            expect(rows).to_have_count(shift_checks)
        page.click("#shift-ack")
    expect(page.locator("#main-screen")).to_be_visible()


@contextmanager
def fresh_page(browser, viewport: dict = VIEWPORT) -> Iterator:
    """``new_page`` closed after the block: what each test's ``page`` fixture yields."""
    page = new_page(browser, viewport)
    try:
        yield page
    finally:
        page.context.close()
