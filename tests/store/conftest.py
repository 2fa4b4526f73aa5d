"""Fixtures of the store tests (helpers in store_fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.store.store_fakes import Clock

from alpr_edge.config import StoreSection
from alpr_edge.store import Store


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def open_store(tmp_path, clock):
    opened = []

    def _open(data_dir=None, settings=None, **kwargs):
        kwargs.setdefault("clock", clock)
        store = Store.open(data_dir or tmp_path / "data", settings or StoreSection(), dev_keys=True, **kwargs)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        try:
            store.close()
        except Exception:
            pass
