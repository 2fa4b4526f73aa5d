"""Fixtures for the touchscreen: the device's real pieces over a temporary store (``tests.ui.world``),
one account per role, a controllable session clock, clients."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from alpr_edge.config import UiSection
from alpr_edge.ui import create_app
from tests.ui.world import UiWorld

PASSWORDS = {"olive": "olive-pass-1", "sam": "sam-pass-22", "ada": "ada-pass-333", "tim": "tim-4321", "lou": "lou-pass-4"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def world(tmp_path) -> UiWorld:
    world = UiWorld(tmp_path)
    world.add_account("olive", PASSWORDS["olive"], "officer")
    world.add_account("sam", PASSWORDS["sam"], "supervisor")
    world.add_account("ada", PASSWORDS["ada"], "admin")
    world.add_account("tim", PASSWORDS["tim"], "technician")
    world.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                  entered_by="NCIC", priority=1)
    yield world
    world.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> UiSection:
    return UiSection(lock_after_s=300, session_hours=12, push_interval_s=0.05, push_max_s=0.3)


@pytest.fixture
def app(world, settings, clock):
    return create_app(world.services, settings, clock=clock)


@pytest.fixture
def make_client(app):
    def make() -> TestClient:
        return TestClient(app, base_url="https://testserver")

    return make


def totp_now(world: UiWorld, name: str) -> str | None:
    return world.code(name) if name in world.totp else None


@pytest.fixture
def login(make_client, world):
    """login(name) -> (client, csrf token), with the right TOTP code where the account has one."""

    def do(name: str):
        client = make_client()
        response = client.post("/api/login", json={"name": name, "secret": PASSWORDS[name], "totp": totp_now(world, name)})
        assert response.status_code == 200, response.text
        return client, response.json()["csrf"]

    return do
