"""Store-and-forward MQTT uplink, signed hot lists coming down, end-to-end sealing.

The daemon builds one with ``build_uplink(config, store=..., hotlist_sink=...)``
and calls ``start()``, ``wake()`` after storing reads, ``status()`` and ``stop()``.
Topics and payload schemas: README, "Uplink: topics and payloads".
"""

from alpr_edge.uplink.client import (
    OutboxStore,
    TlsFiles,
    Uplink,
    UplinkConfigError,
    backoff_delay,
    parse_broker,
)
from alpr_edge.uplink.factory import (
    build_uplink,
    check_broker_override,
    hotlist_engine_sink,
    load_ed25519_public,
    uplink_dir,
)
from alpr_edge.uplink.hotlists import (
    HotlistDocument,
    HotlistRejected,
    VersionLedger,
    sign_hotlist,
    verify_hotlist,
)
from alpr_edge.uplink.payloads import Topics, read_payload
from alpr_edge.uplink.sealing import (
    SealError,
    load_x25519_private,
    load_x25519_public,
    open_sealed,
    seal_read,
)

__all__ = [
    "HotlistDocument",
    "HotlistRejected",
    "OutboxStore",
    "SealError",
    "TlsFiles",
    "Topics",
    "Uplink",
    "UplinkConfigError",
    "VersionLedger",
    "backoff_delay",
    "build_uplink",
    "check_broker_override",
    "hotlist_engine_sink",
    "load_ed25519_public",
    "load_x25519_private",
    "load_x25519_public",
    "open_sealed",
    "parse_broker",
    "read_payload",
    "seal_read",
    "sign_hotlist",
    "uplink_dir",
    "verify_hotlist",
]
