"""Commands the agency may send to one device, answered on its health topic.

Request on ``PREFIX/AGENCY/DEVICE/commands``:
``{"schema": "alpr-edge/command/1", "id": "any string", "command": "ping" | "status"}``.
Reply (not retained, so the retained online/offline state stays) on
``PREFIX/AGENCY/DEVICE/health``: ``{"schema": "alpr-edge/command-reply/1",
"command_id", "command", "ok", "at", "status"?, "error"?}``.
Commands are read-only on purpose: nothing sent over the broker can change
what the device records or deletes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from alpr_edge.logs import log
from alpr_edge.uplink.payloads import COMMAND_SCHEMA, REPLY_SCHEMA, encode, utc_now_iso

logger = logging.getLogger(__name__)

COMMANDS = ("ping", "status")


def answer_command(payload: bytes, status: Callable[[], dict]) -> bytes:
    """The reply to one command message (an error reply for anything malformed)."""
    command_id = None
    command = None
    try:
        request = json.loads(payload)
        if not isinstance(request, dict) or request.get("schema") != COMMAND_SCHEMA:
            raise ValueError(f"expected an object with schema {COMMAND_SCHEMA!r}")
        command_id = request.get("id")
        command = request.get("command")
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r} (known: {', '.join(COMMANDS)})")
    except (UnicodeDecodeError, ValueError) as error:
        log(logger, logging.WARNING, "uplink_command_refused", command=command, error=str(error))
        return encode({"schema": REPLY_SCHEMA, "command_id": command_id, "command": command, "ok": False,
                       "at": utc_now_iso(), "error": str(error)})
    log(logger, logging.INFO, "uplink_command", command=command, command_id=command_id)
    reply = {"schema": REPLY_SCHEMA, "command_id": command_id, "command": command, "ok": True, "at": utc_now_iso()}
    if command == "status":
        reply["status"] = status()
    return encode(reply)
