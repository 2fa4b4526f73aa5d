"""`alpr-edge uplink flush|status|open-sealed|keygen|sign-hotlist`.

flush and status act on this device's store; open-sealed, keygen and
sign-hotlist are the agency's side (they run anywhere, with the agency's keys),
shipped so that a receiver and a hot list publisher can be built and tested.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError, load_config_or_exit
from alpr_edge.fileio import write_atomically


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("uplink", help="MQTT uplink: flush the backlog, status, agency-side tools")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    flush = actions.add_parser("flush", parents=[common], help="publish the whole backlog; exit 0 once all is acknowledged")
    flush.add_argument("--broker", metavar="URL", help="broker to use instead of the configured one (mqtt:// only to loopback)")
    flush.add_argument("--timeout", type=float, default=300.0, metavar="S", help="give up after S seconds, exit 1 (default 300)")
    flush.set_defaults(handler=flush_backlog)

    status = actions.add_parser("status", parents=[common],
                                help="connection, backlog by kind, sent/acknowledged/receipted, oldest pending, last PUBACK")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.set_defaults(handler=show_status)

    opener = actions.add_parser("open-sealed", help="agency side: decrypt sealed read messages (one JSON per line)")
    opener.add_argument("--key", type=Path, required=True, metavar="FILE", help="agency X25519 private key (PEM or 32 raw bytes)")
    opener.add_argument("--without-images", action="store_true", help="leave out the base64 images")
    opener.add_argument("message", nargs="?", default="-", metavar="MESSAGE_FILE|-", help="sealed messages (default stdin)")
    opener.set_defaults(handler=open_sealed_messages)

    keygen = actions.add_parser("keygen", help="agency side: make a key pair (PREFIX.key 0600, PREFIX.pub)")
    keygen.add_argument("kind", choices=["seal", "hotlist-signing", "update-signing"],
                        help="X25519 for sealing, Ed25519 for signing hot lists or software updates (provision --update-key)")
    keygen.add_argument("prefix", type=Path, metavar="PREFIX")
    keygen.set_defaults(handler=make_keys)

    sign = actions.add_parser("sign-hotlist", help="agency side: wrap a hot list file in a signed envelope")
    sign.add_argument("--key", type=Path, required=True, metavar="FILE", help="Ed25519 signing key (PEM)")
    sign.add_argument("--list", required=True, dest="list_name", metavar="NAME")
    sign.add_argument("--version", type=int, required=True, dest="list_version", metavar="N", help="must grow with each issue")
    sign.add_argument("--format", required=True, choices=["csv", "ncic", "clew"])
    sign.add_argument("--issued-at", metavar="ISO", help="default: now")
    sign.add_argument("body", type=Path, metavar="LIST_FILE")
    sign.add_argument("-o", "--output", type=Path, metavar="FILE", help="default stdout")
    sign.set_defaults(handler=sign_list)


def _open_store(args):
    try:
        from alpr_edge.cli.store_access import open_store
    except ImportError:
        raise CliError("this build has no store") from None
    return open_store(args)


def flush_backlog(args) -> int:
    from alpr_edge import logs
    from alpr_edge.uplink import UplinkConfigError, build_uplink

    config = load_config_or_exit(args)
    logs.configure(config.logging.level)
    if not (args.broker or config.uplink.broker):
        raise CliError("no broker: set uplink.broker or pass --broker")
    config, store = _open_store(args)
    try:
        try:
            uplink = build_uplink(config, store=store, hotlist_sink=None, broker_override=args.broker,
                                  subscribe_downlink=False)
        except UplinkConfigError as error:
            raise CliError(str(error)) from None
        before = store.upload_backlog()
        started = time.monotonic()
        uplink.start()
        try:
            done = uplink.flush(args.timeout)
        finally:
            uplink.stop()
        status = uplink.status()
    finally:
        store.close()
    elapsed = time.monotonic() - started
    if done:
        print(f"flushed {before} read(s) in {elapsed:.1f} s; backlog 0")
        return EXIT_OK
    awaiting = status.get("awaiting_receipt")
    waiting = f" ({awaiting} acknowledged by the broker, awaiting the agency's receipt)" if awaiting else ""
    print(f"timed out after {args.timeout:g} s: {status['backlog']} read(s) still pending{waiting}, "
          f"state {status['state']}, last error {status['last_error'] or '-'}", file=sys.stderr)
    return EXIT_FAILED


def _backlog_by_kind(store) -> dict:
    """Pending reads by kind with the oldest capture time (the store's outbox)."""
    rows = store.pending_by_kind()
    now = time.time()
    out = {"hits": 0, "reads": 0, "oldest_pending_age_s": None, "awaiting_receipt": store.receipt_backlog()}
    oldest = None
    for has_hit, count, first in rows:
        out["hits" if has_hit else "reads"] = count
        oldest = first if oldest is None else min(oldest, first)
    if oldest is not None:
        out["oldest_pending_age_s"] = round(now - oldest, 1)
    return out


def show_status(args) -> int:
    config = load_config_or_exit(args)
    running = {}
    status_file = config.data_dir / "run" / "status.json"
    if status_file.exists():
        try:
            daemon = json.loads(status_file.read_text())
            running = daemon.get("uplink") or {}
            running["daemon_updated_at"] = daemon.get("updated_at")
        except (OSError, ValueError):
            running = {}
    config, store = _open_store(args)
    try:
        backlog = _backlog_by_kind(store)
    finally:
        store.close()
    report = {
        "broker": config.uplink.broker or None,
        "state": running.get("state", "disabled" if not config.uplink.broker else "not running"),
        "backlog_hits": backlog["hits"], "backlog_reads": backlog["reads"],
        "oldest_pending_age_s": backlog["oldest_pending_age_s"],
        "awaiting_receipt": backlog["awaiting_receipt"],
        "sent": running.get("published"), "acknowledged": running.get("acknowledged"),
        "receipted": running.get("receipted"), "receipts": running.get("receipts"),
        "receipts_stalled": running.get("receipts_stalled"), "last_receipt_at": running.get("last_receipt_at"),
        "last_puback_at": running.get("last_puback_at"), "in_flight": running.get("in_flight"),
        "reconnects": running.get("reconnects"), "last_error": running.get("last_error"),
        "hotlists": running.get("hotlists"), "status_updated_at": running.get("daemon_updated_at"),
    }
    if args.json:
        print(json.dumps(report, allow_nan=False))
    else:
        for key, value in report.items():
            print(f"{key:22} {'-' if value is None else value}")
    return EXIT_OK


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"{name}: {error.strerror or error}") from None


def open_sealed_messages(args) -> int:
    from alpr_edge.uplink import SealError, load_x25519_private, open_sealed

    try:
        key = load_x25519_private(args.key.read_bytes())
    except OSError as error:
        raise CliError(f"--key {args.key}: {error.strerror or error}") from None
    except ValueError as error:
        raise CliError(f"--key {args.key}: {error}") from None
    text = _read_input(args.message).strip()
    lines = [text] if text.startswith("{") and "\n{" not in text else [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CliError(f"{args.message}: no message")
    failed = 0
    for number, line in enumerate(lines, 1):
        try:
            read = open_sealed(key, line)
        except SealError as error:
            failed += 1
            print(f"{args.message}: message {number}: {error}", file=sys.stderr)
            continue
        if args.without_images:
            read = {k: v for k, v in read.items() if not k.endswith("_jpeg_b64")}
        print(json.dumps(read, allow_nan=False))
    return EXIT_FAILED if failed else EXIT_OK


def make_keys(args) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    private = X25519PrivateKey.generate() if args.kind == "seal" else Ed25519PrivateKey.generate()
    key_path, pub_path = Path(f"{args.prefix}.key"), Path(f"{args.prefix}.pub")
    for path in (key_path, pub_path):
        if path.exists():
            raise CliError(f"{path} exists; not overwriting a key")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        # Whole files or none: a torn key left by a full disk would make every retry refuse ("exists").
        write_atomically(key_path, pem, mode=0o600)
        write_atomically(pub_path, public, mode=0o644)
    except OSError as error:
        key_path.unlink(missing_ok=True)  # this run made it (it did not exist above): no key without its public half
        raise CliError(f"{args.prefix}: {error.strerror or error}") from None
    keeper = "where releases are signed (scripts/sign-update.py)" if args.kind == "update-signing" else "at the agency"
    print(f"wrote {key_path} (keep it {keeper}) and {pub_path} (install on devices)")
    return EXIT_OK


def sign_list(args) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from alpr_edge.uplink import sign_hotlist

    try:
        key = serialization.load_pem_private_key(args.key.read_bytes(), password=None)
        body = args.body.read_bytes()
    except OSError as error:
        raise CliError(f"{error.filename}: {error.strerror or error}") from None
    except ValueError as error:
        raise CliError(f"--key {args.key}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CliError(f"--key {args.key}: not an Ed25519 private key")
    try:
        envelope = sign_hotlist(key, list_name=args.list_name, version=args.list_version, fmt=args.format,
                                body=body, issued_at=args.issued_at)
    except ValueError as error:
        raise CliError(str(error)) from None
    if args.output:
        try:
            write_atomically(args.output, envelope, mode=0o644)  # devices reject a torn document; never leave one
        except OSError as error:
            raise CliError(f"{args.output}: {error.strerror or error}") from None
    else:
        sys.stdout.write(envelope.decode() + "\n")
    return EXIT_OK
