"""alpr_edge.memory: glibc's allocator asked to return and share memory, and told nothing when it cannot."""

from __future__ import annotations

import platform

import pytest

from alpr_edge import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim and mallopt")
def test_trim_and_arena_limit_work_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert memory.release_freed_memory() is True
    assert memory.limit_arenas() is True


def test_an_operators_arena_setting_is_left_alone(monkeypatch):
    calls = []
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setattr(memory, "_libc_function", lambda name: lambda *args: calls.append((name, args)) or 1)
    assert memory.limit_arenas() is False and calls == []


def test_a_c_library_without_them_is_no_error(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(memory, "_libc_function", lambda name: None)
    assert memory.release_freed_memory() is False and memory.limit_arenas() is False
