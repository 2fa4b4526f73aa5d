"""Malformed input at every endpoint: never a server error (5xx), never a state change."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ui.conftest import PASSWORDS, totp_now

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["name", "secret", "totp", "step", "note", "disposition", "plate", "purpose", "case_number", "reason",
          "state", "expires", "priority", "vehicle", "synopsis", "entered_by", "read_id", "read_ids", "recipient", "hold_id", "text"]
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
POSTS = ["/api/login", "/api/unlock", "/api/logout", "/api/lock", "/api/activity", "/api/start-of-shift/ack",
         "/api/search", "/api/hotlist", "/api/alerts/{alert}/step", "/api/alerts/{junk}/step",
         "/api/lookup/export", "/api/lookup/hold", "/api/lookup/release", "/api/lookup/correct"]
GETS = ["/api/session", "/api/live", "/api/alerts", "/api/alerts/{alert}", "/api/alerts/{junk}", "/api/hotlist",
        "/api/audit?limit={junk}", "/api/reads/{junk}/crop.jpg", "/api/reads/{read}/{junk}.jpg", "/api/start-of-shift", "/api/lookup/recipients", "/"]
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=30)


def _login(client, world, name):
    code = totp_now(world, name)
    return client.post("/api/login", json={"name": name, "secret": PASSWORDS[name], "totp": code}).json()["csrf"]


@pytest.fixture
def fuzzed(app, world):
    """Clients for a technician (may move nothing) and an admin (reaches every endpoint), and one open alert."""
    read, alert = world.push_read("7ABC123", "CA")
    clients = {}
    for name in ("tim", "ada"):
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        clients[name] = [client, _login(client, world, name)]
    return {"clients": clients, "read": read.read_id, "alert": alert.alert_id}


def _url(path: str, fuzzed: dict, junk_value: str) -> str:
    return path.format(alert=fuzzed["alert"], read=fuzzed["read"], junk=quote(junk_value, safe=""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=st.sampled_from(["tim", "ada"]), path=st.sampled_from(POSTS), body=bodies, raw=st.binary(max_size=60),
       use_raw=st.booleans(), junk_value=junk, with_csrf=st.booleans())
def test_posts_never_fail_on_the_server(fuzzed, world, who, path, body, raw, use_raw, junk_value, with_csrf):
    client, csrf = fuzzed["clients"][who]
    url = _url(path, fuzzed, junk_value)
    headers = {"X-CSRF-Token": csrf} if with_csrf else {}
    before = world.alert(fuzzed["alert"]).state
    if use_raw:
        response = client.post(url, content=raw, headers={**headers, "Content-Type": "application/json"})
    else:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code < 500, (url, body, response.text)
    if who == "tim":
        assert world.alert(fuzzed["alert"]).state == before
    if client.get("/api/session").status_code != 200 or client.get("/api/live").status_code == 423:
        client.cookies.clear()  # the fuzz logged out, locked, or logged in as nobody: start again
        world.clock.advance(minutes=16)  # past a lockout its wrong unlocks caused, and a fresh TOTP step
        fuzzed["clients"][who][1] = _login(client, world, who)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(GETS), junk_value=junk)
def test_gets_never_fail_on_the_server(fuzzed, path, junk_value):
    for client, _ in fuzzed["clients"].values():
        response = client.get(_url(path, fuzzed, junk_value))
        assert response.status_code < 500, (path, junk_value, response.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_login_with_garbage_never_logs_in(make_client, body):
    client = make_client()
    response = client.post("/api/login", json=body)
    assert response.status_code in (401, 422)
    assert client.get("/api/session").status_code == 401
