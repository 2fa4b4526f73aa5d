"""Login, second factor, lockout, refusals with reasons, sessions, screen lock, CSRF."""

from __future__ import annotations

from datetime import date

from tests.ui.conftest import PASSWORDS, totp_now


def test_login_sets_a_strict_httponly_secure_cookie_and_shows_the_shift_check(make_client, world):
    client = make_client()
    response = client.post("/api/login", json={"name": "olive", "secret": PASSWORDS["olive"]})
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == "olive" and body["role"] == "officer"
    assert [c["name"] for c in body["start_of_shift"]] == ["camera", "ir", "gps", "clock", "storage", "hotlist", "uplink"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert body["csrf"] not in response.headers["set-cookie"]
    assert world.actions("login")[-1].user == "olive"


def test_a_supervisor_does_not_get_the_shift_check(login):
    client, _ = login("sam")
    assert "start_of_shift" not in client.get("/api/session").json()


def test_wrong_password_and_unknown_user_read_the_same(make_client):
    client = make_client()
    wrong = client.post("/api/login", json={"name": "olive", "secret": "nope"})
    unknown = client.post("/api/login", json={"name": "nobody", "secret": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]
    assert "wrong password" in wrong.json()["message"].lower()
    assert client.get("/api/live").status_code == 401


def test_totp_is_asked_for_then_checked(make_client, world):
    client = make_client()
    first = client.post("/api/login", json={"name": "sam", "secret": PASSWORDS["sam"]})
    assert first.status_code == 401 and first.json()["error"] == "totp_needed"
    wrong_code = "000000" if totp_now(world, "sam") != "000000" else "111111"
    second = client.post("/api/login", json={"name": "sam", "secret": PASSWORDS["sam"], "totp": wrong_code})
    assert second.json()["error"] == "totp_wrong"
    third = client.post("/api/login", json={"name": "sam", "secret": PASSWORDS["sam"], "totp": totp_now(world, "sam")})
    assert third.status_code == 200


def test_lockout_after_repeated_failures_refuses_even_the_right_password(make_client, world):
    client = make_client()
    reasons = [client.post("/api/login", json={"name": "tim", "secret": "0000-0000"}).json()["error"] for _ in range(5)]
    assert reasons[:4] == ["wrong_secret"] * 4 and reasons[4] in ("wrong_secret", "locked_out")
    right = client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]})
    assert right.status_code == 401 and right.json()["error"] == "locked_out"
    assert "locked" in right.json()["message"]
    assert world.actions("login.failed")


def test_unused_account_and_old_training_are_refused_with_the_reason(make_client, world):
    world.accounts.set_training("ada", date(2025, 1, 1), actor="root", actor_role="admin")
    client = make_client()
    training = client.post("/api/login", json={"name": "ada", "secret": PASSWORDS["ada"], "totp": totp_now(world, "ada")}).json()
    assert training["error"] == "training_out_of_date" and "training" in training["message"]
    assert client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]}).status_code == 200
    world.clock.advance(days=91)
    unused = client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]}).json()
    assert unused["error"] == "expired_account" and "90 days" in unused["message"]


def test_session_expires_after_its_lifetime(world, clock):
    from fastapi.testclient import TestClient

    from alpr_edge.config import UiSection
    from alpr_edge.ui import create_app

    client = TestClient(create_app(world.services, UiSection(session_hours=0.5, lock_after_s=300), clock=clock),
                        base_url="https://testserver")
    csrf = client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]}).json()["csrf"]
    # Keep the screen awake so only the absolute lifetime can end the session.
    for _ in range(8):
        clock.advance(200)
        assert client.post("/api/activity", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    clock.advance(199)
    assert client.get("/api/start-of-shift").status_code == 200
    clock.advance(1)
    assert client.get("/api/start-of-shift").status_code == 401
    assert client.get("/api/session").status_code == 401


def test_idle_screen_locks_and_unlocks_with_the_pin(login, clock, world):
    client, csrf = login("tim")
    clock.advance(299)
    assert client.get("/api/start-of-shift").status_code == 200  # reading does not count as activity...
    clock.advance(2)
    assert client.get("/api/start-of-shift").status_code == 423  # ...so the screen locked
    assert client.get("/api/session").json()["locked"] is True
    headers = {"X-CSRF-Token": csrf}
    wrong = client.post("/api/unlock", json={"secret": "9999-9999"}, headers=headers)
    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong_secret"
    assert client.post("/api/unlock", json={"secret": PASSWORDS["tim"]}).status_code == 403  # no CSRF token
    assert client.post("/api/unlock", json={"secret": PASSWORDS["tim"]}, headers=headers).status_code == 200
    assert client.get("/api/start-of-shift").status_code == 200
    assert world.actions("ui_screen_unlocked")


def test_activity_keeps_the_screen_unlocked(login, clock):
    client, csrf = login("tim")
    for _ in range(5):
        clock.advance(200)
        assert client.post("/api/activity", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/start-of-shift").status_code == 200


def test_manual_lock_and_logout(login, world):
    client, csrf = login("tim")
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/lock", json={}, headers=headers).status_code == 200
    assert client.get("/api/live").status_code == 423
    assert client.post("/api/logout", json={}, headers=headers).status_code == 200
    assert client.get("/api/session").status_code == 401
    assert [r.action for r in world.actions()][-2:] == ["ui_screen_locked", "ui_logout"]


def test_state_changes_need_the_csrf_token_and_the_same_origin(login, world):
    _, alert = world.push_read("7ABC123")
    alert_id = alert.alert_id
    client, csrf = login("olive")
    url = f"/api/alerts/{alert_id}/step"
    assert client.post(url, json={"step": "verified"}).status_code == 403
    assert client.post(url, json={"step": "verified"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    foreign = {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert client.post(url, json={"step": "verified"}, headers=foreign).status_code == 403
    assert world.alert(alert_id).state == "raised"
    assert not world.actions("alert_verified")
    ok = client.post(url, json={"step": "verified"}, headers={"X-CSRF-Token": csrf, "Origin": "https://testserver"})
    assert ok.status_code == 200 and ok.json()["state"] == "verified"


def test_a_csrf_token_belongs_to_its_session(login, world):
    _, alert = world.push_read("7ABC123")
    alert_id = alert.alert_id
    client, _ = login("olive")
    _, other_csrf = login("sam")
    response = client.post(f"/api/alerts/{alert_id}/step", json={"step": "verified"}, headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403


def test_pages_carry_security_headers(make_client):
    response = make_client().get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_the_page_gets_the_car_speakers_tone_per_priority(make_client):
    client = make_client()
    tones = [client.get(f"/tones/{p}.wav") for p in (1, 2, 3)]
    assert all(t.status_code == 200 and t.content[:4] == b"RIFF" for t in tones)
    assert len({t.content for t in tones}) == 3  # a distinct sound per priority
    assert client.get("/tones/9.wav").status_code == 404
