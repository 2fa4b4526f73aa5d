"""`alpr-edge login` sessions: short, the caller's alone, made by this device, ended by logout or the account's fate."""

from __future__ import annotations

import json
import os
import stat

import pytest

from alpr_edge.accounts import Accounts, AuthError
from alpr_edge.accounts.sessions import Caller, CliSessions
from alpr_edge.config import AccountsSection, StoreSection
from alpr_edge.store import Store

ME = Caller(os.getuid())


def plant(path, data: bytes) -> None:
    """Write a session file as its owner would (0600), whatever it holds."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, 0o600)


@pytest.fixture
def olly(accounts):
    accounts.add("olly", "officer", "123456", badge="5120")
    return accounts.authenticate("olly", "123456")


def test_a_session_lasts_the_configured_time_in_a_private_file(store, accounts, olly, clock):
    sessions = CliSessions(accounts, ME)
    sessions.open(olly)
    assert stat.S_IMODE(sessions.path.stat().st_mode) == 0o600 and stat.S_IMODE(sessions.path.parent.stat().st_mode) == 0o700
    assert sessions.current().name == "olly"
    clock.advance(minutes=14, seconds=59)
    assert sessions.current().name == "olly"
    clock.advance(seconds=1)
    with pytest.raises(AuthError, match="the session has expired"):
        sessions.current()
    assert not sessions.path.exists() and sessions.current() is None
    longer = CliSessions(Accounts(store, AccountsSection(cli_session_minutes=60), hasher=accounts.hasher), ME)
    longer.open(olly)
    clock.advance(minutes=59)
    assert longer.current().name == "olly"


def test_a_forged_edited_or_foreign_file_is_refused(store, accounts, olly, tmp_path, clock):
    sessions = CliSessions(accounts, ME)
    sessions.open(olly)
    fields = json.loads(sessions.path.read_text())
    good = sessions.path.read_bytes()
    for change in ({"user": "root"}, {"expires_at": fields["expires_at"] + 86400}, {"mac": "0" * 64}):
        plant(sessions.path, json.dumps({**fields, **change}).encode())
        with pytest.raises(AuthError, match="not made by this device"):
            sessions.current()
    # The same file on another device (its own keys, the same account and token in its store) is refused too.
    other = Store.open(tmp_path / "other", StoreSection(), dev_keys=True, clock=clock)
    other_accounts = Accounts(other, hasher=accounts.hasher)
    other_accounts.add("olly", "officer", "123456")
    elsewhere = CliSessions(other_accounts, ME)
    plant(elsewhere.path, good)
    with pytest.raises(AuthError, match="not made by this device"):
        elsewhere.current()
    other.close()


def test_the_session_is_the_unix_users_alone(store, accounts, olly):
    sessions = CliSessions(accounts, ME)
    sessions.open(olly)
    os.chmod(sessions.path, 0o644)
    with pytest.raises(AuthError, match="not yours alone"):
        sessions.current()
    assert not sessions.path.exists()
    sessions.open(olly)
    someone = CliSessions(accounts, Caller(ME.uid, sudo_uid=4242))  # another analyst through sudo: another file
    assert someone.path != sessions.path and someone.current() is None
    plant(someone.path, sessions.path.read_bytes())
    with pytest.raises(AuthError, match="belongs to another Unix user"):
        someone.current()


def test_logout_deletion_and_disabling_end_it(store, accounts, olly):
    sessions = CliSessions(accounts, ME)
    sessions.open(olly)
    copy = sessions.path.read_bytes()
    assert sessions.close() == "olly" and sessions.current() is None
    plant(sessions.path, copy)  # a copy kept from before the logout
    with pytest.raises(AuthError, match="was ended"):
        sessions.current()
    sessions.open(olly)
    accounts.disable("olly", actor="root", actor_role="admin")
    with pytest.raises(AuthError, match="disabled"):
        sessions.current()
    accounts.enable("olly", actor="root", actor_role="admin")
    with pytest.raises(AuthError, match="training"):
        sessions.current()
    accounts.add("root", "admin", "root-pass")
    accounts.delete("olly", actor="root", actor_role="admin")
    with pytest.raises(AuthError, match="was ended"):
        sessions.current()
    uses = [r[0] for r in store.db.execute("SELECT action FROM audit WHERE user = 'olly' ORDER BY seq")]
    assert uses.count("login.session_start") == 2 and "logout" in uses
