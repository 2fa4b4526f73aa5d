"""Issue 21: parallel guesses cannot get around the lockout, and unknown names cost a hash check like known ones.

Real store, real Argon2 (cheap parameters), real threads; what is counted is
how many guesses reached the account's password hash.
"""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts, AuthError


class CountingHasher(PasswordHasher):
    """Argon2 that remembers which hashes it checked (the real check runs)."""

    def __init__(self):
        super().__init__(time_cost=2, memory_cost=4096, parallelism=1)
        self.checked: list[str] = []
        self._lock = threading.Lock()

    def verify(self, hash, password):
        with self._lock:
            self.checked.append(hash)
        return super().verify(hash, password)


@pytest.fixture
def counted(store):
    return Accounts(store, hasher=CountingHasher())


def test_forty_parallel_wrong_pins_check_at_most_the_threshold_before_the_lock(counted, store):
    counted.add("olly", "officer", "4711-right")
    real_hash = store.db.execute("SELECT secret_hash FROM users WHERE name = 'olly'").fetchone()[0]
    start = threading.Barrier(40)
    codes: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        try:
            counted.authenticate("olly", f"wrong-{n:04}")
        except AuthError as refused:
            codes.append(refused.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    limit = counted.settings.max_failed_logins
    assert 1 <= counted.hasher.checked.count(real_hash) <= limit
    assert len(codes) == 40 and codes.count("locked_out") >= 40 - limit + 1
    with pytest.raises(AuthError) as refused:
        counted.authenticate("olly", "4711-right")  # the right PIN after the storm: still locked
    assert refused.value.code == "locked_out"
    assert counted.hasher.checked.count(real_hash) <= limit


def test_a_right_password_refunds_its_count(counted, clock):
    uri = counted.add("sue", "supervisor", "correct horse")
    for _ in range(4):
        with pytest.raises(AuthError):
            counted.authenticate("sue", "wrong horse")
    for _ in range(3):  # no second factor given: not a guess, the count stays at 4
        with pytest.raises(AuthError, match="needs a second factor"):
            counted.authenticate("sue", "correct horse")
    import pyotp
    from urllib.parse import parse_qs, urlparse

    code = pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0]).at(clock.now)
    assert counted.authenticate("sue", "correct horse", code).name == "sue"
    assert counted.list()[0]["locked"] is False


def test_an_unknown_name_costs_one_argon2_check_like_a_known_one(counted):
    counted.add("olly", "officer", "4711-right")
    with pytest.raises(AuthError):
        counted.authenticate("olly", "wrong-pin")
    with pytest.raises(AuthError) as unknown:
        counted.authenticate("nobody", "wrong-pin")
    assert unknown.value.reason == "unknown user or wrong password"
    known, dummy = counted.hasher.checked
    parameters = known.rsplit("$", 2)[0]  # same algorithm and cost, another hash
    assert dummy != known and dummy.rsplit("$", 2)[0] == parameters == "$argon2id$v=19$m=4096,t=2,p=1"
