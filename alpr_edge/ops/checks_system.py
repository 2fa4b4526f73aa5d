"""Self-test checks of storage, keys, hot lists, the broker, the models and systemd."""

from __future__ import annotations

import dataclasses
import pwd
import socket
import sqlite3
import ssl
import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from alpr_edge.health import storage_level
from alpr_edge.ops.layout import CSR, PRIVATE_DIRS, SECRET_FILES, uplink_files
from alpr_edge.ops.checks_base import CheckResult, Context, failed, passed, warned

DB_NAME = "alpr.db"
CERT_WARN_DAYS = 14


def check_storage(ctx: Context) -> CheckResult:
    folder = ctx.layout.data_dir
    if not folder.is_dir():
        return failed("storage", f"data folder {folder} does not exist (run alpr-edge provision)")
    free_mb = ctx.probes.free_bytes(folder) / 1e6
    minimum = ctx.config.store.min_free_mb
    detail = f"{free_mb:,.0f} MB free on {folder} (minimum {minimum} MB)"
    level = storage_level(free_mb, minimum)
    if level == "fail":
        return failed("storage", f"disk nearly full: {detail}")
    if level == "warn":
        return warned("storage", f"disk filling up: {detail}")
    return passed("storage", detail)


def check_database(ctx: Context) -> CheckResult:
    path = ctx.layout.data_dir / DB_NAME
    if not path.exists():
        return warned("database", f"no database yet at {path} (made when the daemon first starts)")
    try:
        # Read-only: the self-test must not take the daemon's write lock.
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
        finally:
            conn.close()
    except sqlite3.Error as error:
        return failed("database", f"{path}: cannot be checked: {error}")
    if rows != ["ok"]:
        return failed("database", f"{path}: integrity problems: {'; '.join(rows[:3])}")
    return passed("database", f"{path.name}: quick_check ok")


def check_keys(ctx: Context) -> CheckResult:
    data_dir = ctx.layout.data_dir
    tls_key = uplink_files(ctx.config, data_dir)["key_file"]
    kek = data_dir / "keys/kek.cred" if (data_dir / "keys/kek.cred").exists() else data_dir / "keys/kek"
    required = [kek, data_dir / "keys/device.key"] + ([tls_key] if ctx.config.uplink.broker else [])
    missing = [str(path) for path in required if not path.exists()]
    if missing:
        return failed("keys", f"missing: {', '.join(missing)} (run alpr-edge provision)")
    try:
        owner = pwd.getpwnam(ctx.probes.service_user).pw_uid
    except KeyError:
        owner = None
    problems = []
    candidates = [data_dir / name for name in (*PRIVATE_DIRS, *SECRET_FILES)] + [tls_key]
    for path in dict.fromkeys(p for p in candidates if p.exists()):
        info = path.stat()
        shown = path.relative_to(data_dir) if path.is_relative_to(data_dir) else path
        if stat.S_IMODE(info.st_mode) & 0o077:
            problems.append(f"{shown} is mode {stat.S_IMODE(info.st_mode):o} (others can read it; expected 600/700)")
        if owner is not None and info.st_uid != owner:
            problems.append(f"{shown} is owned by uid {info.st_uid}, not {ctx.probes.service_user}")
    if problems:
        return failed("keys", "; ".join(problems))
    if owner is None:
        return warned("keys", f"present and private (0600), but there is no {ctx.probes.service_user!r} user here to own them")
    return passed("keys", f"present, private and owned by {ctx.probes.service_user}")


def check_key_protection(ctx: Context) -> CheckResult:
    """What protects the key-encryption key at rest: the TPM2, the host key, or nothing (a plain file)."""
    from alpr_edge.store.kek import HOST_KEY, PLAIN_FILE, TPM2, KekFiles

    files = KekFiles(ctx.layout.keys_dir)
    protection = files.protection()
    sealed = files.sealed().relative_to(ctx.layout.data_dir)
    if protection is None:
        return failed("key_protection", "no key-encryption key (run alpr-edge provision)")
    if protection == PLAIN_FILE:
        detail = f"{PLAIN_FILE}: keys/kek lies in clear beside the data it protects"
        if ctx.profile.is_sim:
            return passed("key_protection", f"{detail} (allowed for the sim profile)")
        return failed("key_protection", f"{detail}: a stolen card opens everything; run alpr-edge provision to seal it with systemd-creds")
    if files.plain().exists():
        return failed("key_protection", f"{protection}: {sealed}, but a plain keys/kek lies beside it: run alpr-edge provision --rotate")
    if protection == TPM2:
        return passed("key_protection", f"{TPM2}: {sealed} is sealed by this board's TPM2 (a copied card cannot open it)")
    if protection == HOST_KEY:
        return warned("key_protection", f"{HOST_KEY}: {sealed} is sealed with systemd's host key, which lies on the same card "
                      "(a copied data folder alone cannot open it; a whole stolen card can): a board with a TPM2 closes that")
    return failed("key_protection", f"{sealed}: {protection}")


def hotlist_summaries(ctx: Context) -> list[dict] | None:
    """The lists' names, ages and staleness: from the running daemon, else loaded from the data folder."""
    if ctx.daemon_status is not None and "hotlists" in ctx.daemon_status:
        return ctx.daemon_status["hotlists"]
    from alpr_edge.hotlist import HotListEngine, device_list_storage
    from alpr_edge.store import KeysMissing, Store

    if not (ctx.layout.data_dir / "hotlists").is_dir():
        return []
    try:  # the lists are sealed with the store's key
        store = Store.open(ctx.layout.data_dir, ctx.config.store, dev_keys=ctx.profile.is_sim)
    except KeysMissing:
        return None
    try:
        engine = HotListEngine(device_list_storage(ctx.layout.data_dir, store), settings=ctx.config.hotlist,
                               audit=lambda *args, **kwargs: None)
        return engine.lists()
    finally:
        store.close()


def _as_dict(item) -> dict:
    if dataclasses.is_dataclass(item):
        return dataclasses.asdict(item)
    return item if isinstance(item, dict) else {"name": str(item)}


def check_hotlists(ctx: Context) -> CheckResult:
    summaries = ctx.probes.hotlists(ctx.config, ctx.layout) if ctx.probes.hotlists else hotlist_summaries(ctx)
    if summaries is None:
        return warned("hotlists", "not checked: the daemon is not running to report its lists")
    if not summaries:
        return warned("hotlists", "no hot lists loaded: reads are stored but nothing can alert")
    limit_s = ctx.config.hotlist.max_age_hours * 3600
    stale, fresh = [], []
    for item in map(_as_dict, summaries):
        age_s = item.get("age_s")
        is_stale = bool(item.get("stale")) or (age_s is not None and age_s > limit_s)
        label = f"{item.get('name')} ({_hours(age_s)})"
        (stale if is_stale else fresh).append(label)
    if stale:
        return failed("hotlists", f"stale: {', '.join(stale)} (older than {ctx.config.hotlist.max_age_hours:g} h); fresh: {', '.join(fresh) or 'none'}")
    return passed("hotlists", f"fresh: {', '.join(fresh)}")


def _hours(age_s) -> str:
    return "age unknown" if age_s is None else f"{age_s / 3600:.1f} h old"


def check_broker(ctx: Context) -> CheckResult:
    url = ctx.config.uplink.broker
    if not url:
        return passed("broker", "no broker configured (offline device)")
    parts = urlsplit(url)
    tls = parts.scheme == "mqtts"
    host, port = parts.hostname, parts.port or (8883 if tls else 1883)
    if not host:
        return failed("broker", f"uplink.broker {url!r}: no host")
    files = uplink_files(ctx.config, ctx.layout.data_dir)
    cert = files["cert_file"]
    context = None
    if tls:
        if not cert.exists():
            return warned("broker", f"no client certificate {cert} yet: have {ctx.layout.file(CSR)} signed, then alpr-edge cert install FILE")
        expiry = _cert_days_left(cert)
        if expiry is not None and expiry < 0:
            return failed("broker", f"client certificate {cert} expired {-expiry:.0f} days ago")
        ca = files["ca_file"]
        context = ssl.create_default_context(cafile=str(ca) if ca.exists() else None)
        context.load_cert_chain(str(cert), str(files["key_file"]))
    try:
        code = mqtt_connect(host, port, context, ctx.probes.broker_timeout_s, client_id=f"{ctx.config.device.id}-selftest")
    except (OSError, ssl.SSLError) as error:
        return warned("broker", f"{host}:{port} unreachable ({type(error).__name__}: {error}); the device works offline and uploads later")
    if code != 0:
        return warned("broker", f"{host}:{port} refused the connection (MQTT CONNACK code {code})")
    soon = _cert_days_left(cert) if tls else None
    if soon is not None and soon < CERT_WARN_DAYS:
        return warned("broker", f"connected to {host}:{port}, but the client certificate expires in {soon:.0f} days")
    return passed("broker", f"connected to {host}:{port}" + (" with the client certificate" if tls else " (plain text: test bench)"))


def _cert_days_left(path) -> float | None:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    return (cert.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86400


def mqtt_connect(host: str, port: int, context: ssl.SSLContext | None, timeout_s: float, client_id: str) -> int:
    """Send one MQTT 3.1.1 CONNECT and return the CONNACK code (0: accepted); then disconnect."""
    with socket.create_connection((host, port), timeout=timeout_s) as raw:
        sock = context.wrap_socket(raw, server_hostname=host) if context else raw
        cid = client_id.encode()[:23]
        variable = b"\x00\x04MQTT\x04\x02\x00\x0a"  # level 4, clean session, keep-alive 10 s
        payload = len(cid).to_bytes(2, "big") + cid
        body = variable + payload
        sock.sendall(b"\x10" + bytes([len(body)]) + body)
        reply = b""
        while len(reply) < 4:
            chunk = sock.recv(4 - len(reply))
            if not chunk:
                raise ConnectionError("the broker closed the connection before CONNACK (certificate refused?)")
            reply += chunk
        if reply[0] != 0x20:
            raise ConnectionError(f"unexpected reply {reply.hex()} to CONNECT")
        try:
            sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        return reply[3]


def check_models(ctx: Context) -> CheckResult:
    try:
        described = ctx.probes.load_models(ctx.config)
    except ImportError as error:
        return failed("models", f"the recognition stage is not installed: {error}")
    except (OSError, ValueError, RuntimeError) as error:
        return failed("models", f"models would not load: {error}")
    return passed("models", "loaded: " + ", ".join(f"{k} {v}" for k, v in sorted(described.items())))


def check_watchdog(ctx: Context) -> CheckResult:
    shown = ctx.probes.systemctl_show("alpr-edge.service")
    if shown is None:
        return warned("watchdog", "not under systemd here: no service watchdog")
    if shown.get("LoadState") != "loaded":
        return warned("watchdog", "alpr-edge.service is not installed (scripts/install.sh)")
    usec = shown.get("WatchdogUSec", "0")
    armed = usec not in ("0", "infinity", "") and not usec.startswith("0")
    state = f"{shown.get('ActiveState')}/{shown.get('SubState')}, {shown.get('NRestarts', '?')} restarts"
    if not armed:
        return failed("watchdog", f"alpr-edge.service has no WatchdogSec ({state})")
    if shown.get("ActiveState") != "active":
        return warned("watchdog", f"watchdog {usec} configured but the service is {state}")
    return passed("watchdog", f"watchdog {usec}, service {state}")




KIOSK_UNIT = "alpr-edge-kiosk.service"
# Without these the touchscreen is not a kiosk, or stays silent until the officer first touches it.
KIOSK_FLAGS = ("--kiosk", "--autoplay-policy=no-user-gesture-required")


def check_kiosk(ctx: Context) -> CheckResult:
    """The in-car touchscreen's unit: installed, enabled, with the kiosk and sound flags, opening the UI's port."""
    if not ctx.config.ui.enabled:
        return passed("kiosk", "the touchscreen UI is disabled: no kiosk needed")
    unit = ctx.probes.systemd_units / KIOSK_UNIT
    # In a car the screen is the officer's only alarm; elsewhere (a desk, a pole) a browser may do.
    missing = failed if ctx.profile.kind == "vehicle" else warned
    if not unit.is_file():
        return missing("kiosk", f"{unit} is not installed: the touchscreen is not started at boot (scripts/install.sh --kiosk)")
    text = unit.read_text(encoding="utf-8", errors="replace").replace("\\\n", " ")
    command = " ".join(line.split("=", 1)[1] for line in text.splitlines() if line.strip().startswith("ExecStart="))
    absent = [flag for flag in KIOSK_FLAGS if flag not in command.split()]
    if absent:
        return failed("kiosk", f"{unit}: ExecStart lacks {', '.join(absent)} (the page would not be a kiosk, or would be silent until touched)")
    wanted = [ctx.probes.systemd_units / f"{target}.wants" / KIOSK_UNIT for target in ("multi-user.target", "graphical.target")]
    if not any(link.exists() or link.is_symlink() for link in wanted):
        return missing("kiosk", f"{KIOSK_UNIT} is installed but not enabled: sudo systemctl enable --now {KIOSK_UNIT}")
    port = _kiosk_port(text, ctx.layout.config_path.parent / "kiosk.env")
    if port is not None and port != ctx.config.ui.port:
        return failed("kiosk", f"the kiosk opens port {port} but the UI listens on {ctx.config.ui.port}: set ALPR_EDGE_UI_URL in /etc/alpr-edge/kiosk.env")
    shown = ctx.probes.systemctl_show(KIOSK_UNIT)
    if shown is not None and shown.get("ActiveState") not in (None, "active"):
        return warned("kiosk", f"installed and enabled, but {shown.get('ActiveState')} (journalctl -u alpr-edge-kiosk)")
    return passed("kiosk", f"{KIOSK_UNIT} installed and enabled: kiosk, sound without a first touch")


def _kiosk_port(unit_text: str, override: Path) -> int | None:
    """The port of ALPR_EDGE_UI_URL, from kiosk.env where it sets one, else from the unit."""
    sources = [override.read_text(errors="replace")] if override.is_file() else []
    for text in [*sources, unit_text]:
        for line in text.splitlines():
            _, found, url = line.strip().removeprefix("Environment=").partition("ALPR_EDGE_UI_URL=")
            if found:
                parts = urlsplit(url.strip().strip('"'))
                try:
                    return parts.port or (443 if parts.scheme == "https" else 80)
                except ValueError:
                    return None
    return None
