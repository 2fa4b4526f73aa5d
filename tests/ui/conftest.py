"""Fixtures for the touchscreen: a fake backend with one account per role, a controllable clock, clients."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from alpr_edge.config import UiSection
from alpr_edge.ui import create_app
from alpr_edge.ui.testing import FakeBackend

PASSWORDS = {"olive": "olive-pass-1", "sam": "sam-pass-22", "ada": "ada-pass-333", "tim": "4321"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def backend() -> FakeBackend:
    backend = FakeBackend()
    backend.add_account("olive", PASSWORDS["olive"], "officer", totp=True)
    backend.add_account("sam", PASSWORDS["sam"], "supervisor")
    backend.add_account("ada", PASSWORDS["ada"], "admin")
    backend.add_account("tim", PASSWORDS["tim"], "technician")
    backend.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                    entered_by="NCIC", priority=1)
    return backend


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> UiSection:
    return UiSection(lock_after_s=300, session_hours=12, push_interval_s=0.05, push_max_s=0.3)


@pytest.fixture
def app(backend, settings, clock):
    return create_app(backend, settings, clock=clock)


@pytest.fixture
def make_client(app):
    def make() -> TestClient:
        return TestClient(app, base_url="https://testserver")

    return make


def totp_now(backend: FakeBackend, name: str) -> str:
    return pyotp.TOTP(backend.accounts[name].totp_secret).now()


@pytest.fixture
def login(make_client, backend):
    """login(name) -> (client, csrf token), with the right TOTP code where the account has one."""

    def do(name: str):
        client = make_client()
        code = totp_now(backend, name) if backend.accounts[name].totp_secret else None
        response = client.post("/api/login", json={"name": name, "secret": PASSWORDS[name], "totp": code})
        assert response.status_code == 200, response.text
        return client, response.json()["csrf"]

    return do
