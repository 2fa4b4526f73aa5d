"""The device configuration: one TOML file, declared here once, typed and strict.

Each stage owns one section. Add a field to a section to add a setting; the
loader (`alpr_edge.schema`) refuses unknown keys and wrong types with the file
and key named. Settings that belong to the hardware live in the firmware
profile (`alpr_edge.profiles`), not here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from alpr_edge.schema import SchemaError, load_section, read_toml

DEFAULT_CONFIG_PATH = Path("/etc/alpr-edge/config.toml")
DEFAULT_DATA_DIR = Path("/var/lib/alpr-edge")


def _help(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class DeviceSection:
    agency: str = field(default="demo-agency", metadata=_help("Agency identifier, used in MQTT topics"))
    id: str = field(default="alpr-dev-01", metadata=_help("This device's identifier"))
    profile: str = field(default="sim", metadata=_help("Firmware profile name (firmware_profiles/NAME.toml) or a path"))
    data_dir: Path = field(default=DEFAULT_DATA_DIR, metadata=_help("Where the store, keys and logs live"))

    def validate(self) -> list[str]:
        problems = []
        for name in ("agency", "id"):
            value = getattr(self, name)
            if not value or not all(c.isalnum() or c in "-_" for c in value):
                problems.append(f"{name}: expected letters, digits, '-' or '_', got {value!r}")
        return problems


@dataclass(frozen=True)
class RecognitionSection:
    models_dir: Path | None = field(default=None, metadata=_help("Folder of .tflite models; default: the shipped models/"))
    threads: int = field(default=1, metadata=_help("TFLite interpreter threads"))
    min_confidence: float = field(default=0.5, metadata=_help("Reads below this confidence are not stored"))
    passage_gap_s: float = field(default=1.0, metadata=_help("A plate unseen this long ends its passage"))
    zoom_tiles: bool = field(default=False, metadata=_help(
        "Also look at overlapping tiles of each frame closer up: finds plates that stay small in the frame "
        "(distant lanes on a pole camera), for about four more detector runs per frame"))

    def validate(self) -> list[str]:
        problems = []
        if not 1 <= self.threads <= 8:
            problems.append(f"threads: expected 1 to 8, got {self.threads}")
        if not 0.0 <= self.min_confidence <= 1.0:
            problems.append(f"min_confidence: expected 0.0 to 1.0, got {self.min_confidence}")
        if self.passage_gap_s <= 0:
            problems.append(f"passage_gap_s: expected a positive number, got {self.passage_gap_s}")
        return problems


@dataclass(frozen=True)
class PipelineSection:
    frame_queue: int = field(default=4, metadata=_help("Frames waiting for recognition; older ones are dropped"))
    read_queue: int = field(default=256, metadata=_help("Reads waiting to be stored"))

    def validate(self) -> list[str]:
        problems = []
        for name in ("frame_queue", "read_queue"):
            if getattr(self, name) < 1:
                problems.append(f"{name}: expected at least 1, got {getattr(self, name)}")
        return problems


@dataclass(frozen=True)
class GpsSection:
    stale_after_s: float = field(default=3.0, metadata=_help("A fix older than this is stale"))
    max_clock_offset_s: float = field(default=2.0, metadata=_help("Beyond this system/GPS offset, reads use GPS-corrected time"))

    def validate(self) -> list[str]:
        problems = []
        for name in ("stale_after_s", "max_clock_offset_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name}: expected a positive number, got {getattr(self, name)}")
        return problems


@dataclass(frozen=True)
class RetentionBound:
    """Floor and ceiling, in days, that the agency's policy puts on one retention setting."""

    floor: int
    ceiling: int
    source: str  # where the bound comes from, named in every refusal


POLICY = "agency policy {}, alpr_edge/config.py RETENTION_BOUNDS"
# The device keeps its users inside the ALPR usage policy (SB 34): retention
# cannot be set outside these, whatever the config file says. Hit reads must
# also be kept at least as long as reads without a hit, and images no longer
# than their read (both checked in StoreSection.validate).
RETENTION_BOUNDS: dict[str, RetentionBound] = {
    "retention_days": RetentionBound(1, 5 * 365, POLICY),
    "hit_retention_days": RetentionBound(1, 5 * 365, POLICY),
    "image_retention_days": RetentionBound(0, 5 * 365, POLICY),
    "audit_retention_days": RetentionBound(2 * 365, 10 * 365, POLICY),
}


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def check_retention_bound(key: str, value: int) -> str | None:
    """The refusal for ``key = value`` outside its policy bound, or None."""
    bound = RETENTION_BOUNDS[key]
    if value < bound.floor:
        return f"{key} = {value}: below the floor of {_days(bound.floor)} ({bound.source.format('floor')})"
    if value > bound.ceiling:
        return f"{key} = {value}: above the ceiling of {_days(bound.ceiling)} ({bound.source.format('ceiling')})"
    return None


def _policy(key: str, also: str = "") -> str:
    bound = RETENTION_BOUNDS[key]
    return f"policy: {_days(bound.floor)} to {_days(bound.ceiling)}{also}"


@dataclass(frozen=True)
class StoreSection:
    retention_days: int = field(default=30, metadata=_help(f"Reads without a hit are purged after this many days ({_policy('retention_days')})"))
    hit_retention_days: int = field(default=365, metadata=_help(f"Reads with a hit are kept this long ({_policy('hit_retention_days', ', and at least retention_days')})"))
    image_retention_days: int | None = field(default=None, metadata=_help(
        f"Plate crop and overview of reads without a hit are dropped after this many days "
        f"({_policy('image_retention_days', ', and at most retention_days')}; 0: at the first purge an hour after capture); "
        "default: kept as long as the read"))
    audit_retention_days: int = field(default=1095, metadata=_help(f"Audit trail records are kept this long (3 years; {_policy('audit_retention_days')})"))
    keep_no_hit_images: bool = field(default=True, metadata=_help("Keep plate crop and overview of reads without a hit (false: dropped at the first purge an hour after capture, once uploaded)"))
    on_device_hours: float = field(default=24.0, metadata=_help("With an uplink: reads without a hit stay this long after the agency receipted them (the broker acknowledged them, receipts off; 0: purged at once)"))
    purge_every_hours: float = field(default=1.0, metadata=_help("The daemon applies retention at start-up and then this often (0.1 to 24)"))
    audit_sign_every: int = field(default=50, metadata=_help("Sign the audit chain head with the device key every this many records"))
    min_free_mb: int = field(default=512, metadata=_help("Self-test fails below this much free disk"))

    def validate(self) -> list[str]:
        problems = []
        for key in RETENTION_BOUNDS:
            value = getattr(self, key)
            refusal = None if value is None else check_retention_bound(key, value)
            if refusal:
                problems.append(refusal)
        if self.hit_retention_days < self.retention_days:
            problems.append(
                f"hit_retention_days = {self.hit_retention_days}: below retention_days ({self.retention_days}); "
                f"reads with a hit are kept at least as long as reads without ({POLICY.format('rule')})"
            )
        if self.image_retention_days is not None and self.image_retention_days > self.retention_days:
            problems.append(
                f"image_retention_days = {self.image_retention_days}: above retention_days ({self.retention_days}); "
                f"an image is kept no longer than its read ({POLICY.format('rule')})"
            )
        if self.audit_sign_every < 1:
            problems.append(f"audit_sign_every: expected at least 1, got {self.audit_sign_every}")
        if self.on_device_hours < 0:
            problems.append(f"on_device_hours: expected 0 or more, got {self.on_device_hours}")
        if not 0.1 <= self.purge_every_hours <= 24:
            problems.append(f"purge_every_hours: expected 0.1 to 24, got {self.purge_every_hours}")
        return problems

    def retention(self) -> dict[str, int | None]:
        """The retention settings in force, for the audit trail."""
        return {key: getattr(self, key) for key in RETENTION_BOUNDS}


def _lawful_purposes() -> list[str]:
    from alpr_edge.accounts.purposes import DEFAULT_PURPOSES  # the rule's owner lists and explains them

    return list(DEFAULT_PURPOSES)


@dataclass(frozen=True)
class AccountsSection:
    max_failed_logins: int = field(default=5, metadata=_help("Consecutive failed logins that lock an account"))
    lockout_minutes: float = field(default=15.0, metadata=_help("How long a locked account stays locked"))
    inactive_days: int = field(default=90, metadata=_help("Accounts unused this long are refused until an admin re-enables them"))
    training_valid_days: int = field(default=365, metadata=_help("Users whose training is older than this are refused"))
    require_second_factor: Literal["privileged", "all"] = field(default="privileged", metadata=_help(
        "Who must log in with a second factor (TOTP): \"privileged\" (supervisors and admins) or \"all\" (every role, "
        "as the model policy asks); every role may enrol one"))
    cli_session_minutes: float = field(default=15.0, metadata=_help("`alpr-edge login` lasts this long for that Unix user"))
    search_purposes: list[str] = field(default_factory=_lawful_purposes,
                                       metadata=_help("Authorised purposes of a search of stored reads (keys; default: the six of the California DOJ ALPR FAQ)"))

    def validate(self) -> list[str]:
        from alpr_edge.accounts.purposes import purpose_list_problems

        problems = []
        for name in ("max_failed_logins", "inactive_days", "training_valid_days"):
            if getattr(self, name) < 1:
                problems.append(f"{name}: expected at least 1, got {getattr(self, name)}")
        if self.lockout_minutes < 0:
            problems.append(f"lockout_minutes: expected 0 or more, got {self.lockout_minutes}")
        if not 1 <= self.cli_session_minutes <= 480:
            problems.append(f"cli_session_minutes: expected 1 to 480, got {self.cli_session_minutes}")
        return problems + purpose_list_problems(self.search_purposes)


@dataclass(frozen=True)
class HotlistSection:
    max_age_hours: float = field(default=24.0, metadata=_help("A list older than this is stale"))
    stop_alerting_after_hours: float = field(default=72.0, metadata=_help("A list older than this raises no alerts"))
    skip_plates: list[str] = field(default_factory=list, metadata=_help("Reads of these plates match nothing (known false hits)"))
    manual_list: str = field(default="manual", metadata=_help("List that officers' hand-entered plates go to"))
    manual_priority: int = field(default=2, metadata=_help("Priority of hand-entered plates, 1 (most urgent) to 5"))
    manual_max_days: int = field(default=90, metadata=_help("A hand-entered plate must expire within this many days"))

    def validate(self) -> list[str]:
        problems = []
        if self.max_age_hours <= 0:
            problems.append(f"max_age_hours: expected a positive number, got {self.max_age_hours}")
        if self.stop_alerting_after_hours < self.max_age_hours:
            problems.append(
                f"stop_alerting_after_hours: expected at least max_age_hours ({self.max_age_hours}), got {self.stop_alerting_after_hours}"
            )
        if not 1 <= self.manual_priority <= 5:
            problems.append(f"manual_priority: expected 1 to 5, got {self.manual_priority}")
        if self.manual_max_days < 1:
            problems.append(f"manual_max_days: expected at least 1, got {self.manual_max_days}")
        return problems


@dataclass(frozen=True)
class AlertsSection:
    suppress_window_s: float = field(default=300.0, metadata=_help("Quiet time: a re-sighting of the same plate on the same entry joins its alert if open or settled (stop, arrest, misread...) and seen within this; else it re-alerts"))
    unattended_timeout_s: float = field(default=3600.0, metadata=_help("An alert nobody acts on closes as timed out after this; 0: never"))

    def validate(self) -> list[str]:
        problems = []
        if self.suppress_window_s < 0:
            problems.append(f"suppress_window_s: expected 0 or more, got {self.suppress_window_s}")
        if self.unattended_timeout_s < 0:
            problems.append(f"unattended_timeout_s: expected 0 or more, got {self.unattended_timeout_s}")
        return problems


@dataclass(frozen=True)
class UplinkSection:
    broker: str = field(default="", metadata=_help("mqtts://host:port, or mqtt:// with allow_plaintext; empty: offline"))
    allow_plaintext: bool = field(default=False, metadata=_help("Allow mqtt:// without TLS (test benches only)"))
    topic_prefix: str = field(default="alpr", metadata=_help("Topics are PREFIX/AGENCY/DEVICE/..."))
    ca_file: Path | None = field(default=None, metadata=_help("Agency CA certificate (PEM); default DATA_DIR/uplink/ca.pem"))
    cert_file: Path | None = field(default=None, metadata=_help("Device client certificate (PEM); default DATA_DIR/uplink/client.pem"))
    key_file: Path | None = field(default=None, metadata=_help("Device client private key (PEM); default DATA_DIR/uplink/client.key"))
    hotlist_public_key: Path | None = field(
        default=None, metadata=_help("Agency Ed25519 hot list signing key (PEM); default DATA_DIR/uplink/hotlist-signing.pub")
    )
    seal_public_key: Path | None = field(
        default=None, metadata=_help("Agency X25519 key (PEM): when set, reads are sealed end to end")
    )
    in_flight: int = field(default=32, metadata=_help("Reads published and not yet acknowledged, at most"))
    keepalive_s: int = field(default=60, metadata=_help("MQTT keepalive"))
    session_expiry_s: int = field(default=7 * 86400, metadata=_help("Broker keeps the persistent session this long offline"))
    reconnect_min_s: float = field(default=1.0, metadata=_help("First reconnect delay (doubles, jittered)"))
    reconnect_max_s: float = field(default=30.0, metadata=_help("Longest reconnect delay (cut short when the network comes back)"))
    require_receipts: bool = field(default=True, metadata=_help(
        "Keep each read until the agency's ingest receipts it (signed with the pinned hot list key); "
        "without a pinned key, or when false, the broker's PUBACK releases it"))
    receipt_timeout_s: float = field(default=300.0, metadata=_help("Send a read again when its receipt is this late"))

    def validate(self) -> list[str]:
        problems = []
        if self.broker and not self.broker.startswith(("mqtt://", "mqtts://")):
            problems.append(f"broker: expected mqtts://host[:port] or mqtt://host[:port], got {self.broker!r}")
        if not self.topic_prefix or any(c in self.topic_prefix for c in "#+") or self.topic_prefix.strip("/") != self.topic_prefix:
            problems.append(f"topic_prefix: expected a topic level without '#', '+' or leading/trailing '/', got {self.topic_prefix!r}")
        if not 1 <= self.in_flight <= 1000:
            problems.append(f"in_flight: expected 1 to 1000, got {self.in_flight}")
        if not 5 <= self.keepalive_s <= 3600:
            problems.append(f"keepalive_s: expected 5 to 3600, got {self.keepalive_s}")
        if self.session_expiry_s < 0:
            problems.append(f"session_expiry_s: expected 0 or more, got {self.session_expiry_s}")
        if not 1 <= self.receipt_timeout_s <= 7 * 86400:
            problems.append(f"receipt_timeout_s: expected 1 to 604800, got {self.receipt_timeout_s}")
        if not 0 < self.reconnect_min_s <= self.reconnect_max_s:
            problems.append(
                f"reconnect_min_s/reconnect_max_s: expected 0 < min <= max, got {self.reconnect_min_s} and {self.reconnect_max_s}"
            )
        return problems


@dataclass(frozen=True)
class AgencySection:
    """The agency's ingest service (`alpr-edge agency ingest`); unused on a device."""

    database_url: str = field(default="", metadata=_help(
        "sqlite:///PATH or postgresql://... (psycopg, the `agency` extra); empty: DATA_DIR/agency/ingest.db"))
    broker: str = field(default="", metadata=_help("mqtts://host:port the ingest subscribes to (mqtt:// with allow_plaintext)"))
    allow_plaintext: bool = field(default=False, metadata=_help("Allow mqtt:// without TLS (test benches only)"))
    ca_file: Path | None = field(default=None, metadata=_help("CA certificate of the broker (PEM)"))
    cert_file: Path | None = field(default=None, metadata=_help("The ingest's client certificate (PEM)"))
    key_file: Path | None = field(default=None, metadata=_help("Its private key (PEM)"))
    seal_private_key: Path | None = field(default=None, metadata=_help("X25519 key that opens sealed reads (PEM)"))
    signing_key: Path | None = field(default=None, metadata=_help("Ed25519 key that signs receipts: the hot list signing key devices pin"))
    require_sealed: bool = field(default=False, metadata=_help("Refuse reads that arrive unsealed"))
    share_group: str = field(default="ingest", metadata=_help("Workers in one $share group split the reads between them"))
    batch_max: int = field(default=200, metadata=_help("Reads committed in one transaction, at most"))
    batch_wait_s: float = field(default=0.1, metadata=_help("Longest a read waits for its batch to fill"))
    session_expiry_s: int = field(default=86400, metadata=_help("Broker keeps a worker's session (and its reads) this long"))

    def validate(self) -> list[str]:
        problems = []
        if self.database_url and not self.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            problems.append(f"database_url: expected sqlite:///PATH or postgresql://..., got {self.database_url.split('@')[-1]!r}")
        if self.broker and not self.broker.startswith(("mqtt://", "mqtts://")):
            problems.append(f"broker: expected mqtts://host[:port] or mqtt://host[:port], got {self.broker!r}")
        if not self.share_group or any(c in self.share_group for c in "#+/"):
            problems.append(f"share_group: expected a name without '#', '+' or '/', got {self.share_group!r}")
        if not 1 <= self.batch_max <= 4096:
            problems.append(f"batch_max: expected 1 to 4096, got {self.batch_max}")
        if not 0 < self.batch_wait_s <= 10:
            problems.append(f"batch_wait_s: expected more than 0, at most 10, got {self.batch_wait_s}")
        if self.session_expiry_s < 0:
            problems.append(f"session_expiry_s: expected 0 or more, got {self.session_expiry_s}")
        return problems


@dataclass(frozen=True)
class UiSection:
    enabled: bool = field(default=True, metadata=_help("Serve the in-car touchscreen UI"))
    host: str = field(default="127.0.0.1", metadata=_help("Address the UI binds to"))
    port: int = field(default=8080, metadata=_help("Port the UI binds to"))
    session_hours: float = field(default=12.0, metadata=_help("A login lasts at most this long (one shift)"))
    lock_after_s: float = field(default=300.0, metadata=_help("Idle this long, the screen locks and asks for the PIN"))
    tls_cert: Path | None = field(default=None, metadata=_help("PEM certificate: serve HTTPS (needed off 127.0.0.1)"))
    tls_key: Path | None = field(default=None, metadata=_help("PEM private key of tls_cert"))
    push_interval_s: float = field(default=0.25, metadata=_help("How often the live push looks for new reads and alerts"))
    push_max_s: float = field(default=300.0, metadata=_help("A live-push stream is closed (and reopened by the page) after this long"))
    map_url: str = field(default="", metadata=_help(
        "Link shown with a look-up result's position, e.g. \"https://maps.example.gov/?q={lat},{lon}\" (http or https;"
        " only the {lat} and {lon} placeholders); empty: coordinates only, no link"))
    export_dir: Path | None = field(default=None, metadata=_help(
        "Folder where evidence packages exported from the touchscreen are written; default DATA_DIR/exports"))

    def validate(self) -> list[str]:
        problems = map_url_problems(self.map_url)
        if not 0 <= self.port <= 65535:
            problems.append(f"port: expected 0 to 65535, got {self.port}")
        if not 0 < self.session_hours <= 24:
            problems.append(f"session_hours: expected more than 0 and at most 24, got {self.session_hours}")
        if not 10 <= self.lock_after_s <= 3600:
            problems.append(f"lock_after_s: expected 10 to 3600, got {self.lock_after_s}")
        if (self.tls_cert is None) != (self.tls_key is None):
            problems.append("tls_cert, tls_key: give both or neither")
        if self.host not in ("127.0.0.1", "::1", "localhost") and self.tls_cert is None:
            problems.append(f"host: serving on {self.host!r} (beyond this device) needs tls_cert and tls_key")
        if not 0.05 <= self.push_interval_s <= 10:
            problems.append(f"push_interval_s: expected 0.05 to 10, got {self.push_interval_s}")
        if self.push_max_s <= 0:
            problems.append(f"push_max_s: expected a positive number, got {self.push_max_s}")
        return problems


MAP_PLACEHOLDERS = ("{lat}", "{lon}")


def map_url_problems(pattern: str) -> list[str]:
    """Why ``pattern`` cannot be the look-up screen's map link (an empty pattern: no link, fine).

    The screen puts the link in front of an officer: it must be a web address
    (no ``javascript:``), and nothing but the position may be filled in.
    """
    from urllib.parse import urlsplit

    if not pattern:
        return []
    expected = 'expected an http(s) address with {lat} and {lon}, e.g. "https://maps.example.gov/?q={lat},{lon}"'
    rest = pattern.replace("{lat}", "").replace("{lon}", "")
    if any(placeholder not in pattern for placeholder in MAP_PLACEHOLDERS) or "{" in rest or "}" in rest:
        return [f"map_url: {expected} and no other placeholder, got {pattern!r}"]
    if any(c.isspace() or not c.isprintable() or c in "\"'<>\\`" for c in pattern):
        return [f"map_url: {expected}, without spaces, quotes or angle brackets, got {pattern!r}"]
    parts = urlsplit(pattern.replace("{lat}", "0").replace("{lon}", "0"))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return [f"map_url: {expected} (http or https only, a host, no user name), got {pattern!r}"]
    return []


@dataclass(frozen=True)
class IgnitionSection:
    upload_grace_s: float = field(default=300.0, metadata=_help("After ignition off, keep uploading this long, then shut down"))
    shutdown_command: list[str] = field(
        default_factory=lambda: ["systemctl", "poweroff"],
        metadata=_help("Command that asks the system to shut down cleanly"),
    )


@dataclass(frozen=True)
class LoggingSection:
    level: str = field(default="info", metadata=_help("debug, info, warning or error"))
    plates_in_logs: bool = field(default=False, metadata=_help("Log plate text (refused outside the sim profile)"))

    def validate(self) -> list[str]:
        if self.level not in ("debug", "info", "warning", "error"):
            return [f"level: expected one of debug, info, warning, error, got {self.level!r}"]
        return []


@dataclass(frozen=True)
class EvidenceSection:
    permitted_recipients: list[str] = field(default_factory=list, metadata=_help(
        "Public agencies of this state that evidence packages may go to (SB 34: no sale, sharing or transfer except to"
        " another public agency; not federal, not out of state); a recipient is written \"AGENCY / person\""))
    historical_window_hours: float = field(default=24.0, metadata=_help(
        "A hot list entry that arrives is matched against the stored reads of this many past hours (0: never; capped at retention)"))

    def validate(self) -> list[str]:
        problems = []
        for number, name in enumerate(self.permitted_recipients, start=1):
            if not isinstance(name, str):  # the loader has already said what it got
                continue
            if not name.strip() or "/" in name:
                problems.append(f"permitted_recipients[{number}]: expected an agency name without '/', got {name!r}")
        if not 0 <= self.historical_window_hours <= 24 * 366:
            problems.append(f"historical_window_hours: expected 0 to 8784, got {self.historical_window_hours}")
        return problems


@dataclass(frozen=True)
class Config:
    device: DeviceSection = field(default_factory=DeviceSection)
    recognition: RecognitionSection = field(default_factory=RecognitionSection)
    pipeline: PipelineSection = field(default_factory=PipelineSection)
    gps: GpsSection = field(default_factory=GpsSection)
    store: StoreSection = field(default_factory=StoreSection)
    accounts: AccountsSection = field(default_factory=AccountsSection)
    hotlist: HotlistSection = field(default_factory=HotlistSection)
    alerts: AlertsSection = field(default_factory=AlertsSection)
    uplink: UplinkSection = field(default_factory=UplinkSection)
    agency: AgencySection = field(default_factory=AgencySection)
    ui: UiSection = field(default_factory=UiSection)
    ignition: IgnitionSection = field(default_factory=IgnitionSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    evidence: EvidenceSection = field(default_factory=EvidenceSection)
    # Where it was loaded from, for messages; not a key of the file.
    source: str = field(default="defaults", metadata={"internal": True})

    @property
    def data_dir(self) -> Path:
        return self.device.data_dir


ConfigError = SchemaError


def effective_settings(config: Config) -> dict:
    """Every setting in force (after command-line overrides), as plain JSON values."""
    settings = asdict(config)
    settings.pop("source", None)  # where it came from is not what it says
    return json.loads(json.dumps(settings, default=str, allow_nan=False))


def config_fingerprint(config: Config) -> str:
    """SHA-256 of the effective settings: equal for equal settings, whatever the file's layout or comments."""
    canonical = json.dumps(effective_settings(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(path: Path | None, data_dir: Path | None = None, profile: str | None = None) -> Config:
    """Load and validate the configuration.

    ``path`` None means: the default path if it exists, else built-in defaults
    (which run the sim profile). Command-line overrides (``--data-dir``,
    ``--profile``) are applied after validation.
    """
    if path is None:
        path = DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None
    if path is None:
        config = Config()
    else:
        data = read_toml(Path(path))
        config = load_section(Config, data, str(path))
        config = replace(config, source=str(path))
    if data_dir is not None:
        config = replace(config, device=replace(config.device, data_dir=Path(data_dir)))
    if profile is not None:
        config = replace(config, device=replace(config.device, profile=profile))
    return config
