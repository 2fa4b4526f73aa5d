"""Issue 23 in real headless Chromium: the look-up screen and a supervisor's tools on its results.

The server is the real app under uvicorn over the device's own services and a
real store (``tests.ui.world``); the reads are an earlier shift's, in the store
only, so every image shown came through the look-up's own grant.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from alpr_edge.store.evidence import verify_package
from tests.ui.chromium import fresh_page, log_in, needs_chromium, serve, wait_js
from tests.ui.conftest import PASSWORDS
from tests.ui.world import UiWorld

pytestmark = needs_chromium
ROLES = {"olive": "officer", "sam": "supervisor", "ada": "admin"}
PURPOSE = "stolen-wanted-or-suspect-vehicle: Armed robbery at 5th and Main, getaway car"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    backend = UiWorld(tmp_path_factory.mktemp("lookup"))
    for name, role in ROLES.items():
        backend.add_account(name, PASSWORDS[name], role)
    with serve(backend) as world:
        yield world


@pytest.fixture
def page(world):
    with fresh_page(world["browser"]) as page:
        yield page


def login(page, world, name: str, *, load: bool = True) -> None:
    backend = world["backend"]
    backend.clock.advance(seconds=31)  # a fresh TOTP code: each is good once
    log_in(page, world["url"] if load else None, name, PASSWORDS[name], theme="day",
           code=(lambda: backend.code(name)) if name in backend.totp else None, acknowledge_shift=ROLES[name] == "officer")


def look_up(page, plate: str, case_number: str = "24-7001") -> None:
    from playwright.sync_api import expect

    page.click("[data-tab=search]")
    page.fill("#search-plate", plate)
    page.fill("#search-purpose", PURPOSE)
    page.fill("#search-case", case_number)
    page.click("#search-submit")
    expect(page.locator("#search-results th")).to_contain_text("read(s) for")


def result(page, read_id: str):
    return page.locator(f'#search-results tr[data-read="{read_id}"]')


def test_results_show_image_time_place_map_link_and_hold_state(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read = backend.earlier_read("6LKP101", hours_ago=26)
    login(page, world, "sam")
    look_up(page, "6LKP101")
    row = result(page, read.read_id)
    expect(row).to_contain_text("6LKP101")
    expect(row).to_contain_text("no hold")
    expect(row.locator(".map-link")).to_have_text("37.80440, -122.27110")
    assert row.locator(".map-link").get_attribute("href") == "https://maps.example.gov/?q=37.804400,-122.271100"
    assert row.locator(".map-link").get_attribute("rel") == "noopener noreferrer"
    wait_js(page, f"document.querySelector('#search-results tr[data-read=\"{read.read_id}\"] img').naturalWidth > 0")
    shown = page.evaluate(f"document.querySelector('#search-results tr[data-read=\"{read.read_id}\"] .meta').textContent")
    assert shown.startswith(page.evaluate(f"new Date({read.capture_wall_time} * 1000).toLocaleString([], "
                                          "{dateStyle: 'short', timeStyle: 'medium'})"))
    assert backend.actions("reads.search", outcome="ok")[-1].detail["case_number"] == "24-7001"


def test_a_supervisor_exports_chosen_results_and_a_refused_recipient_is_said_and_audited(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    first, second = backend.earlier_read("6EXP202", hours_ago=30), backend.earlier_read("6EXP202", hours_ago=29)
    login(page, world, "sam")
    look_up(page, "6EXP202", "24-7002")
    expect(page.locator("#export-agency option")).to_have_text(list(backend.config.evidence.permitted_recipients))
    page.click("#export-submit")
    expect(page.locator("#lookup-error")).to_contain_text("Choose the reads")
    result(page, second.read_id).locator(".pick").check()
    # A recipient the agency does not permit (as a tampered page would send it): refused, said, audited.
    page.evaluate("document.querySelector('#export-agency').append(new Option('FBI', 'FBI'))")
    page.select_option("#export-agency", "FBI")
    page.fill("#export-person", "Agent Smith")
    page.click("#export-submit")
    expect(page.locator("#lookup-error")).to_contain_text("not a permitted recipient")
    refused = backend.actions("evidence.export", outcome="refused")[-1]
    assert refused.user == "sam" and refused.detail["recipient"] == "FBI / Agent Smith"
    page.select_option("#export-agency", "Oakland Police Department")
    page.fill("#export-person", "Det. R. Ortiz")
    page.click("#export-submit")
    expect(page.locator("#lookup-done")).to_contain_text("1 read(s) for case 24-7002 to Oakland Police Department / Det. R. Ortiz")
    folder = Path(page.locator("#lookup-done").text_content().rsplit("written to ", 1)[1])
    intact, problems, _ = verify_package(folder)
    assert intact, problems
    assert [p.name for p in (folder / "reads").iterdir()] == [second.read_id]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.rglob("*") if p.is_file())
    done = backend.actions("evidence.export", outcome="ok")[-1]
    assert done.user == "sam" and done.detail["read_ids"] == [second.read_id] and first.read_id not in str(done.detail)


def test_a_supervisor_places_and_releases_a_hold(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read = backend.earlier_read("6HLD303", hours_ago=28)
    login(page, world, "sam")
    look_up(page, "6HLD303", "24-7003")
    result(page, read.read_id).locator("[data-do=hold]").click()
    expect(page.locator("#dialog-case_number")).to_have_value("24-7003")  # the look-up's case, to change if need be
    page.click("#dialog-submit")
    expect(page.locator("#dialog-error")).to_contain_text("case number and a reason")
    page.fill("#dialog-reason", "DA asked to keep it for trial")
    page.click("#dialog-submit")
    expect(result(page, read.read_id).locator(".held")).to_contain_text("HELD case 24-7003 · DA asked to keep it for trial · sam")
    assert backend.actions("hold.add", outcome="ok")[-1].detail["reason"] == "DA asked to keep it for trial"
    result(page, read.read_id).locator("[data-do=release]").click()
    page.fill("#dialog-reason", "Case closed, verdict in")
    page.click("#dialog-submit")
    expect(result(page, read.read_id)).to_contain_text("no hold")
    release = backend.actions("hold.release", outcome="ok")[-1]
    assert release.user == "sam" and release.detail["reason"] == "Case closed, verdict in"


def test_a_supervisor_corrects_a_read_and_both_values_show(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read = backend.earlier_read("6COR404", hours_ago=27)
    login(page, world, "sam")
    look_up(page, "6COR404", "24-7004")
    result(page, read.read_id).locator("[data-do=correct]").click()
    page.fill("#dialog-text", "6COR484")
    page.fill("#dialog-reason", "ok")
    page.click("#dialog-submit")
    expect(page.locator("#dialog-error")).to_contain_text("reason is required")
    page.fill("#dialog-reason", "8 read as 0, checked on the overview image")
    page.click("#dialog-submit")
    row = result(page, read.read_id)
    expect(row.locator(".read-text")).to_have_text("6COR484")
    expect(row.locator(".corrected")).to_contain_text("camera read 6COR404 CA")
    expect(row.locator(".correction")).to_contain_text("6COR404 CA → 6COR484 CA by sam: 8 read as 0")
    audited = backend.actions("reads.correct", outcome="ok")[-1]
    assert audited.detail["from"]["text"] == "6COR404" and audited.detail["to"]["text"] == "6COR484"
    assert backend.store.get_read(read.read_id).text == "6COR484"


def test_an_officer_has_no_look_up_and_the_server_refuses_the_tools_and_the_images(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read = backend.earlier_read("6OFF505", hours_ago=25)
    login(page, world, "olive")
    expect(page.locator("[data-tab=search]")).to_be_hidden()
    csrf = page.evaluate("window.alpr.session.csrf")
    for path, body in (("/api/lookup/export", {"plate": "6OFF505", "purpose": PURPOSE, "case_number": "24-1",
                                                "read_ids": [read.read_id], "recipient": "Oakland Police Department / X"}),
                       ("/api/lookup/hold", {"read_id": read.read_id, "case_number": "24-1", "reason": "Keep it"}),
                       ("/api/lookup/correct", {"read_id": read.read_id, "text": "6OFF506", "reason": "misread on scene"})):
        status = page.evaluate("([path, body, csrf]) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json',"
                               " 'X-CSRF-Token': csrf}, body: JSON.stringify(body)}).then(r => r.status)", [path, body, csrf])
        assert status == 403, path
    assert page.evaluate(f"fetch('/api/reads/{read.read_id}/crop.jpg').then(r => r.status)") == 404
    assert backend.store.get_read(read.read_id).text == "6OFF505"


def test_the_next_user_of_the_screen_does_not_find_the_last_ones_results(world, page):
    from playwright.sync_api import expect

    backend = world["backend"]
    read = backend.earlier_read("6LOG606", hours_ago=24)
    login(page, world, "sam")
    look_up(page, "6LOG606", "24-7006")
    expect(result(page, read.read_id)).to_be_visible()
    page.click("#btn-logout")
    expect(page.locator("#login-screen")).to_be_visible()
    login(page, world, "ada", load=False)  # the same page, not reloaded
    page.click("[data-tab=search]")
    expect(page.locator("#search-plate")).to_have_value("")
    expect(page.locator("#search-results tr")).to_have_count(0)
    assert "6LOG606" not in page.content()


def test_without_permitted_recipients_the_screen_says_so_and_offers_no_export(world, page):
    from dataclasses import replace

    from playwright.sync_api import expect

    backend = world["backend"]
    investigations = backend.services.investigations
    read = backend.earlier_read("6NON707", hours_ago=23)
    investigations.config = replace(backend.config, evidence=replace(backend.config.evidence, permitted_recipients=[]))
    try:
        login(page, world, "sam")
        look_up(page, "6NON707", "24-7007")
        expect(result(page, read.read_id)).to_be_visible()
        expect(page.locator("#export-none")).to_contain_text("permitted_recipients")
        expect(page.locator("#export-submit")).to_be_disabled()
    finally:
        investigations.config = backend.config
