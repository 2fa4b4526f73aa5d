"""Commands the agency may send to one device, answered on its health topic.

Request on ``PREFIX/AGENCY/DEVICE/commands``:
``{"schema": "alpr-edge/command/1", "id": "any string", "command": "ping" | "status"}``
(at most ``MAX_COMMAND_BYTES``). Reply (not retained, so the retained
online/offline state stays) on ``PREFIX/AGENCY/DEVICE/health``:
``{"schema": "alpr-edge/command-reply/1", "command_id", "command", "ok", "at",
"status"?, "error"?}``. Commands are read-only on purpose: nothing sent over
the broker can change what the device records or deletes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alpr_edge.logs import log
from alpr_edge.uplink.payloads import COMMAND_SCHEMA, REPLY_SCHEMA, encode, utc_now_iso
from alpr_edge.uplink.wire import WireError, loads_bounded

logger = logging.getLogger(__name__)

COMMANDS = ("ping", "status")
MAX_COMMAND_BYTES = 4096  # a command is a few dozen bytes
MAX_ID_CHARS = 128


class CommandRefused(ValueError):
    """A command message that is not one the device answers; ``command_id``/``command`` as far as known."""

    def __init__(self, reason: str, command_id: str | None = None, command: str | None = None):
        super().__init__(reason)
        self.command_id = command_id
        self.command = command


def read_command(payload: bytes) -> tuple[str | None, str]:
    """(id, command) of a command message, or CommandRefused saying why not."""
    try:
        request = loads_bounded(payload, max_bytes=MAX_COMMAND_BYTES, max_depth=1)
    except WireError as error:
        raise CommandRefused(str(error)) from None
    if not isinstance(request, dict) or request.get("schema") != COMMAND_SCHEMA:
        raise CommandRefused(f"expected an object with schema {COMMAND_SCHEMA!r}")
    command_id = request.get("id")
    if command_id is not None and not (isinstance(command_id, str) and len(command_id) <= MAX_ID_CHARS):
        raise CommandRefused(f"id: expected a string of at most {MAX_ID_CHARS} characters")
    command = request.get("command")
    if command not in COMMANDS:
        shown = str(command)[:40]
        raise CommandRefused(f"unknown command {shown!r} (known: {', '.join(COMMANDS)})", command_id)
    return command_id, command


def refusal_reply(refused: CommandRefused) -> bytes:
    return encode({"schema": REPLY_SCHEMA, "command_id": refused.command_id, "command": refused.command, "ok": False,
                   "at": utc_now_iso(), "error": str(refused)})


def answer_command(payload: bytes, status: Callable[[], dict]) -> bytes:
    """The reply to one command message; CommandRefused for anything malformed."""
    command_id, command = read_command(payload)
    log(logger, logging.INFO, "uplink_command", command=command, command_id=command_id)
    reply: dict[str, object] = {"schema": REPLY_SCHEMA, "command_id": command_id, "command": command, "ok": True, "at": utc_now_iso()}
    if command == "status":
        reply["status"] = status()
    return encode(reply)
