"""Accounts: hashing, second factor, lockout, inactivity, training, permissions, audit."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from alpr_edge.accounts import AuthError, can, needs_second_factor
from alpr_edge.store import audit


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def code(uri: str, clock) -> str:
    return pyotp.TOTP(secret_of(uri)).at(clock.now)


def actions(store):
    return [(r[0], r[1], r[2]) for r in store.db.execute("SELECT user, action, outcome FROM audit ORDER BY seq")]


def test_password_is_hashed_with_argon2_and_totp_sealed(accounts, store):
    uri = accounts.add("sue", "supervisor", "correct horse")
    assert uri.startswith("otpauth://totp/") and "issuer=alpr-edge" in uri
    row = next(iter(store.db.query("SELECT * FROM users")))
    assert row["secret_hash"].startswith("$argon2id$") and "correct horse" not in row["secret_hash"]
    assert secret_of(uri).encode() not in row["totp"]
    assert accounts.add("olly", "officer", "123456") is None  # officers cannot search stored data: no TOTP


def test_login_with_password_and_totp(accounts, store, clock):
    uri = accounts.add("sue", "supervisor", "correct horse")
    with pytest.raises(AuthError, match="second factor"):
        accounts.authenticate("sue", "correct horse")
    user = accounts.authenticate("sue", "correct horse", code(uri, clock))
    assert (user.name, user.role, user.second_factor) == ("sue", "supervisor", True)
    with pytest.raises(AuthError, match="already used"):
        accounts.authenticate("sue", "correct horse", code(uri, clock))
    clock.advance(seconds=30)
    accounts.authenticate("sue", "correct horse", code(uri, clock))
    assert ("sue", "login", "ok") in actions(store)
    assert any(a == ("sue", "login.failed", "refused: second-factor code already used: wait for the next one") for a in actions(store))


def test_wrong_password_and_unknown_user_look_alike(accounts, store):
    accounts.add("olly", "officer", "123456")
    with pytest.raises(AuthError) as wrong:
        accounts.authenticate("olly", "654321")
    with pytest.raises(AuthError) as unknown:
        accounts.authenticate("nobody", "654321")
    assert wrong.value.reason == unknown.value.reason == "unknown user or wrong password"
    assert [a[1] for a in actions(store)][-2:] == ["login.failed", "login.failed"]


def test_lockout_after_repeated_failures(accounts, clock):
    accounts.add("olly", "officer", "123456")
    for _ in range(4):
        with pytest.raises(AuthError, match="wrong password"):
            accounts.authenticate("olly", "000000")
    with pytest.raises(AuthError, match="locked for 15 minutes"):
        accounts.authenticate("olly", "000000")
    with pytest.raises(AuthError, match="locked after repeated failures"):
        accounts.authenticate("olly", "123456")  # even the right password
    clock.advance(minutes=16)
    assert accounts.authenticate("olly", "123456").role == "officer"


def test_unused_accounts_are_refused_until_enabled(accounts, clock):
    accounts.add("olly", "officer", "123456")
    accounts.authenticate("olly", "123456")
    clock.advance(days=91)
    with pytest.raises(AuthError, match=r"unused since 2026-11-01 \(more than 90 days\)"):
        accounts.authenticate("olly", "123456")
    accounts.enable("olly", actor="root", actor_role="admin")
    with pytest.raises(AuthError, match="re-enabled: an admin must record the user's current training") as refused:
        accounts.authenticate("olly", "123456")
    assert refused.value.code == "training_out_of_date"
    accounts.set_training("olly", date(2027, 1, 30), actor="root", actor_role="admin")
    accounts.authenticate("olly", "123456")


def test_a_training_date_in_the_future_or_out_of_date_is_refused(accounts, store):
    with pytest.raises(AuthError, match="training date 2026-11-02 is in the future"):
        accounts.add("olly", "officer", "123456", training_date=date(2026, 11, 2))
    accounts.add("olly", "officer", "123456")
    with pytest.raises(AuthError, match="in the future"):
        accounts.set_training("olly", date(2027, 1, 1), actor="root", actor_role="admin")
    (refused,) = [a for a in actions(store) if a[1] == "users.training"]
    assert refused[2] == "refused: training date 2027-01-01 is in the future: record the date the training was completed"


def test_every_role_can_enrol_a_second_factor_and_the_policy_can_require_it(store, accounts, clock):
    from alpr_edge.accounts import Accounts
    from alpr_edge.config import AccountsSection

    uri = accounts.add("olly", "officer", "123456", second_factor=True)
    assert uri is not None
    with pytest.raises(AuthError, match="second factor") as refused:
        accounts.authenticate("olly", "123456")
    assert refused.value.code == "totp_needed"
    assert accounts.authenticate("olly", "123456", code(uri, clock)).second_factor
    accounts.add("tina", "technician", "123456")
    strict = Accounts(store, AccountsSection(require_second_factor="all"), hasher=accounts.hasher)
    with pytest.raises(AuthError, match="requires a second factor for every account") as refused:
        strict.authenticate("tina", "123456")
    assert refused.value.code == "enrolment_needed"
    tina = strict.enrol_second_factor("tina", actor="root", actor_role="admin")
    assert strict.authenticate("tina", "123456", code(tina, clock)).role == "technician"
    assert strict.add("otto", "officer", "123456") is not None  # the policy enrols every new account


def test_delete_is_audited_and_the_trail_keeps_the_name(accounts, store):
    accounts.add("root", "admin", "root-pass")
    accounts.add("olly", "officer", "123456", agency="CA0010000", badge="5120")
    accounts.authenticate("olly", "123456")
    accounts.delete("olly", actor="root", actor_role="admin")
    assert [u["name"] for u in accounts.list()] == ["root"]
    with pytest.raises(AuthError, match="unknown user or wrong password"):
        accounts.authenticate("olly", "123456")
    assert ("olly", "login", "ok") in actions(store) and ("root", "users.delete", "ok") in actions(store)
    (deleted,) = [r for r in audit.records(store) if r["action"] == "users.delete"]
    assert deleted["data"] == {"name": "olly", "role": "officer", "agency": "CA0010000", "badge": "5120"}
    with pytest.raises(AuthError, match="last admin"):
        accounts.delete("root", actor="root", actor_role="admin")
    with pytest.raises(AuthError) as missing:
        accounts.delete("olly", actor="root", actor_role="admin")
    assert missing.value.code == "no_such_user"


def test_users_carry_agency_and_badge_and_audit_rows_include_them(accounts, store):
    accounts.add("olly", "officer", "123456", agency="CA0010000", badge="5120")
    user = accounts.authenticate("olly", "123456")
    assert (user.agency, user.badge) == ("CA0010000", "5120")
    row = store.db.execute("SELECT user, agency, badge FROM audit WHERE action = 'login'").fetchone()
    assert row == ("olly", "CA0010000", "5120")
    assert store.verify_audit()[0]
    with pytest.raises(AuthError, match="badge number"):
        accounts.add("otto", "officer", "123456", badge="5120; DROP")


def test_stale_training_is_refused_with_the_reason(accounts, clock):
    accounts.add("olly", "officer", "123456", training_date=date(2025, 10, 1))
    with pytest.raises(AuthError, match="training dated 2025-10-01 is more than 365 days old"):
        accounts.authenticate("olly", "123456")
    accounts.set_training("olly", date(2026, 10, 30), actor="root", actor_role="admin")
    accounts.authenticate("olly", "123456")


def test_disabled_account(accounts, store):
    accounts.add("olly", "officer", "123456")
    accounts.disable("olly", actor="root", actor_role="admin")
    with pytest.raises(AuthError, match="disabled"):
        accounts.authenticate("olly", "123456")
    assert ("root", "users.disable", "ok") in actions(store)


def test_bad_accounts_are_refused(accounts):
    for name, role, password, reason in [
        ("Bad Name", "officer", "123456", "user name"),
        ("ok", "janitor", "123456", "role"),
        ("ok", "officer", "123", "too short"),
    ]:
        with pytest.raises(AuthError, match=reason):
            accounts.add(name, role, password)
    accounts.add("ok", "officer", "123456")
    with pytest.raises(AuthError, match="already exists"):
        accounts.add("ok", "officer", "123456")


def test_permissions():
    assert not can("technician", "plates.view") and not can("technician", "images.view")
    assert not can("technician", "reads.search") and can("technician", "purge")
    assert not can("officer", "reads.search") and can("officer", "alerts.verify")
    assert can("supervisor", "reads.search") and not can("supervisor", "audit.export")
    assert can("admin", "audit.export") and can("admin", "users.manage")
    assert [r for r in ("officer", "supervisor", "admin", "technician") if can(r, "reads.correct")] == ["supervisor", "admin"]
    assert [r for r in ("officer", "supervisor", "admin", "technician") if needs_second_factor(r)] == ["supervisor", "admin"]
    assert not can(None, "live.view") and not can("ghost", "live.view")


def test_list_has_no_secrets(accounts):
    accounts.add("sue", "supervisor", "correct horse")
    (row,) = accounts.list()
    assert row["name"] == "sue" and row["second_factor"] and "secret_hash" not in row and "totp" not in row


def test_every_refusal_carries_a_code_for_programs_and_the_audit(accounts, store, clock):
    accounts.add("sue", "supervisor", "correct horse")
    accounts.add("olly", "officer", "123456")

    def code_of(*attempt):
        with pytest.raises(AuthError) as refused:
            accounts.authenticate(*attempt)
        return refused.value.code

    assert code_of("nobody", "123456") == "wrong_secret"
    assert code_of("sue", "correct horse") == "totp_needed"
    assert code_of("sue", "correct horse", "000000") == "totp_wrong"
    for _ in range(4):
        assert code_of("olly", "000000") == "wrong_secret"
    assert code_of("olly", "000000") == "locked_out"  # the failure that locks says so
    assert code_of("olly", "123456") == "locked_out"
    accounts.disable("olly", actor="root", actor_role="admin")
    assert code_of("olly", "123456") == "disabled"
    with pytest.raises(AuthError) as missing:
        accounts.disable("nobody", actor="root", actor_role="admin")
    assert missing.value.code == "no_such_user"
    with pytest.raises(AuthError) as bad:
        accounts.add("Bad Name", "officer", "123456")
    assert bad.value.code == "invalid"
    codes = [r["data"]["code"] for r in audit.records(store) if r["action"] == "login.failed"]
    assert codes[:3] == ["wrong_secret", "totp_needed", "totp_wrong"]


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="AuthError code 'oops'"):
        AuthError("no", "oops")


def test_refused_account_changes_stay_in_the_audit_trail(accounts, store):
    # The refusal is decided inside the change's write transaction: its audit row must outlive the rollback.
    accounts.add("root", "admin", "correct horse battery")
    for change in (lambda: accounts.disable("ghost", actor="root", actor_role="admin"),
                   lambda: accounts.delete("ghost", actor="root", actor_role="admin"),
                   lambda: accounts.delete("root", actor="root", actor_role="admin")):
        with pytest.raises(AuthError):
            change()
    refused = [(user, action, outcome) for user, action, outcome in actions(store) if outcome.startswith("refused")]
    assert refused == [("root", "users.disable", "refused: no such user"),
                       ("root", "users.delete", "refused: no user 'ghost'"),
                       ("root", "users.delete", "refused: the last admin cannot be deleted: create another admin first")]
