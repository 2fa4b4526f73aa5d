"""The key-encryption key at rest: sealed by systemd-creds on a device, plain only for the sim and tests.

Where `systemd-creds` works here (it needs no running systemd; root reads the host key), the tests run it
for real, each with its own host key through $SYSTEMD_CREDENTIAL_SECRET, so no test touches this machine's.
"""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime

import pytest
from tests.store.store_fakes import make_read

from alpr_edge.config import StoreSection
from alpr_edge.store import KeysMissing, Store, create_keys
from alpr_edge.store.kek import (
    CREDENTIAL_NAME,
    HOST_KEY,
    PLAIN_FILE,
    TPM2,
    CredsError,
    KekFiles,
    SystemdCreds,
    sealed_by,
)

DAY1 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class RecordingRun:
    """subprocess.run that remembers each command line and its input, then really runs it."""

    def __init__(self):
        self.calls: list[tuple[list[str], bytes]] = []

    def __call__(self, command, **kwargs):
        self.calls.append((list(command), kwargs.get("input") or b""))
        return subprocess.run(command, **kwargs)


@pytest.fixture
def host_key(systemd_host_key):
    return systemd_host_key


def test_commands_pass_the_key_on_stdin_never_on_the_command_line(host_key):
    runner = RecordingRun()
    creds = SystemdCreds(run=runner)
    secret = bytes(range(32))
    sealed = creds.encrypt(secret, CREDENTIAL_NAME)
    assert creds.decrypt(sealed, CREDENTIAL_NAME) == secret
    assert [command for command, _ in runner.calls] == [
        ["systemd-creds", "encrypt", "--name=alpr-edge-kek", "--with-key=auto", "-", "-"],
        ["systemd-creds", "decrypt", "--name=alpr-edge-kek", "--newline=no", "-", "-"],
    ]
    assert runner.calls[0][1] == secret and secret not in sealed
    assert all(secret.hex() not in " ".join(command) for command, _ in runner.calls)


def test_the_protection_is_read_from_the_sealed_file(host_key):
    sealed = SystemdCreds().encrypt(b"k" * 32, CREDENTIAL_NAME)
    has_tpm2 = subprocess.run(["systemd-creds", "has-tpm2", "-q"], check=False).returncode == 0
    assert sealed_by(sealed) == (TPM2 if has_tpm2 else HOST_KEY)


@pytest.mark.parametrize("type_id, expected", [
    ("5a1c6a86df9d4096b1d5a65e0862f19a", HOST_KEY),
    ("0c7cc07b117645919c4b0bea08bc20fe", TPM2),
    ("93a894094874449090caf2fc93cab553", TPM2),
    ("00112233445566778899aabbccddeeff", "unknown (credential type 00112233445566778899aabbccddeeff)"),
])
def test_each_credential_type_is_named(type_id, expected):
    assert sealed_by(base64.b64encode(bytes.fromhex(type_id) + b"\0" * 40)) == expected
    assert sealed_by(b"short") == "unknown (too short to be a systemd credential)"


def test_a_sealed_key_serves_the_store_and_leaves_no_plain_key(host_key, tmp_path):
    data = tmp_path / "data"
    made = create_keys(data, creds=SystemdCreds())
    assert made["kek"] == data / "keys" / "kek.cred" and made["protection"] in (TPM2, HOST_KEY)
    assert not (data / "keys" / "kek").exists()
    assert (data / "keys" / "kek.cred").stat().st_mode & 0o777 == 0o600
    read = make_read("SEALED1", DAY1)
    with Store.open(data, StoreSection()) as store:  # not the sim: unsealed by systemd-creds
        store.add_read(read)
    with Store.open(data, StoreSection()) as store:
        assert store.get_read(read.read_id).text == "SEALED1"


def test_a_stolen_card_without_the_host_key_opens_nothing(host_key, tmp_path, monkeypatch):
    data = tmp_path / "data"
    create_keys(data, creds=SystemdCreds())
    with Store.open(data, StoreSection()) as store:
        store.add_read(make_read("STOLEN1", DAY1))
    other = tmp_path / "thief" / "credential.secret"  # another machine's host key
    other.parent.mkdir()
    monkeypatch.setenv("SYSTEMD_CREDENTIAL_SECRET", str(other))
    with pytest.raises(KeysMissing, match=r"keys/kek.cred: systemd-creds could not unseal the key"):
        Store.open(data, StoreSection())


def test_the_service_reads_the_key_systemd_decrypted_for_it(host_key, tmp_path, monkeypatch):
    data = tmp_path / "data"
    create_keys(data, creds=SystemdCreds())
    read = make_read("SERVICE", DAY1)
    with Store.open(data, StoreSection()) as store:
        store.add_read(read)
    # What LoadCredentialEncrypted= does at start, done here with the same tool:
    given = tmp_path / "credentials"
    given.mkdir()
    (given / CREDENTIAL_NAME).write_bytes(SystemdCreds().decrypt((data / "keys/kek.cred").read_bytes(), CREDENTIAL_NAME))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(given))
    monkeypatch.setenv("SYSTEMD_CREDENTIAL_SECRET", str(tmp_path / "absent"))  # the service cannot unseal itself
    runner = RecordingRun()
    files = KekFiles(data / "keys", SystemdCreds(run=runner))
    assert len(files.read()) == 32 and runner.calls == []
    with Store.open(data, StoreSection()) as store:
        assert store.get_read(read.read_id).text == "SERVICE"


def test_sealing_a_plain_key_rotates_it_and_removes_the_plain_file(host_key, tmp_path):
    data = tmp_path / "data"
    read = make_read("MIGRATE", DAY1)
    with Store.open(data, StoreSection(), dev_keys=True) as store:  # a sim-made plain key
        store.add_read(read)
    plain = (data / "keys" / "kek").read_bytes()
    assert KekFiles(data / "keys").protection() == PLAIN_FILE
    made = create_keys(data, rotate=True, creds=SystemdCreds())
    assert made["rotated"] and made["protection"] in (TPM2, HOST_KEY)
    assert not (data / "keys" / "kek").exists() and not (data / "keys" / "kek.next.cred").exists()
    assert SystemdCreds().decrypt((data / "keys/kek.cred").read_bytes(), CREDENTIAL_NAME) != plain
    with Store.open(data, StoreSection()) as store:
        assert store.get_read(read.read_id).text == "MIGRATE"


def test_rotating_a_sealed_key_keeps_it_sealed(host_key, tmp_path):
    data = tmp_path / "data"
    create_keys(data, creds=SystemdCreds())
    read = make_read("ROTATE2", DAY1)
    with Store.open(data, StoreSection()) as store:
        store.add_read(read)
    before = (data / "keys/kek.cred").read_bytes()
    made = create_keys(data, rotate=True)  # no sealer given: the key in force decides
    assert made["kek"] == data / "keys/kek.cred" and not (data / "keys/kek").exists()
    assert (data / "keys/kek.cred").read_bytes() != before
    with Store.open(data, StoreSection()) as store:
        assert store.get_read(read.read_id).text == "ROTATE2"


def test_an_interrupted_sealed_rotation_is_finished_at_the_next_open(host_key, tmp_path):
    import json

    from alpr_edge.store.keys import _kek_id, _read_entries, _write_entries

    data = tmp_path / "data"
    create_keys(data, creds=SystemdCreds())
    read = make_read("CRASH01", DAY1)
    with Store.open(data, StoreSection()) as store:
        store.add_read(read)
    files = KekFiles(data / "keys", SystemdCreds())
    old, new = files.read(), bytes(range(32))
    entries = _read_entries(data / "keys/datakeys", old)
    files.write(new, "kek.next")  # the crash came after re-wrapping, before the new key replaced the old
    _write_entries(data / "keys/datakeys", new, entries)
    assert json.loads((data / "keys/datakeys").read_text())["kek_id"] == _kek_id(new)
    with Store.open(data, StoreSection()) as store:
        assert store.get_read(read.read_id).text == "CRASH01"
    assert files.read() == new and not (data / "keys/kek.next.cred").exists()


def test_a_missing_systemd_creds_is_a_clear_error(tmp_path):
    creds = SystemdCreds(executable=str(tmp_path / "systemd-creds"))
    assert not creds.available()
    with pytest.raises(CredsError, match=r"systemd-creds not found: systemd 250 or later is needed to seal the key"):
        creds.encrypt(b"k" * 32, CREDENTIAL_NAME)


def test_a_plain_key_is_reported_as_such(tmp_path):
    with Store.open(tmp_path / "data", StoreSection(), dev_keys=True):
        pass
    assert KekFiles(tmp_path / "data" / "keys").protection() == PLAIN_FILE
