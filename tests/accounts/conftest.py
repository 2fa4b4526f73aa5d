from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts
from alpr_edge.config import StoreSection
from alpr_edge.store import Store
from tests.store.store_fakes import Clock  # the one hand-moved clock of the store tests


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path, clock):
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True, clock=clock)
    yield store
    store.close()


@pytest.fixture
def accounts(store):
    # Cheap Argon2 parameters keep the suite fast; the real default is argon2-cffi's.
    return Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
