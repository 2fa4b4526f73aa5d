"""The `alpr-edge` command line: a thin layer over the library.

Each command lives in its own module here and exposes
``register(subparsers, common)``; it parses flags, calls one library
function, and turns library errors into a clear message and an exit status.
Modules are listed explicitly below (no package scan) and must keep heavy
imports (TFLite, OpenCV, the web stack) inside their handler functions so that
`alpr-edge --help` stays fast.

Exit statuses: 0 success, 1 the command ran and found problems (failed check),
2 bad usage or input (missing file, invalid config, absent device).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Callable

from alpr_edge import __version__

COMMAND_MODULES = [
    "alpr_edge.cli.run",
    "alpr_edge.cli.config_cmd",
    "alpr_edge.cli.gps",
    "alpr_edge.cli.reads",
    "alpr_edge.cli.evidence",
    "alpr_edge.cli.hold",
    "alpr_edge.cli.purge",
    "alpr_edge.cli.audit",
    "alpr_edge.cli.users",
    "alpr_edge.cli.login",
    "alpr_edge.cli.hotlist",
    "alpr_edge.cli.alerts",
    "alpr_edge.cli.bench",
    "alpr_edge.cli.uplink",
    "alpr_edge.cli.agency",
    "alpr_edge.cli.provision",
    "alpr_edge.cli.cert",
    "alpr_edge.cli.selftest",
    "alpr_edge.cli.status",
    "alpr_edge.cli.stats",
    "alpr_edge.cli.update",
    "alpr_edge.cli.recognize",
]

EXIT_OK = 0
CLI_LOG_HANDLER = "alpr-edge-cli"  # the handler _default_logging installs (a command may quieten it)
EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """An error to report on stderr with an exit status, without a traceback."""

    def __init__(self, message: str, status: int = EXIT_USAGE):
        super().__init__(message)
        self.status = status


def common_options() -> argparse.ArgumentParser:
    """Options every command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help="configuration file (default /etc/alpr-edge/config.toml if present, else built-in defaults)")
    common.add_argument("--data-dir", type=Path, metavar="DIR", help="data folder; overrides the config (default /var/lib/alpr-edge)")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alpr-edge", description="Automated licence plate reader appliance")
    parser.add_argument("--version", action="version", version=f"alpr-edge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: list[str] | None = None, *, clock: Callable[[], float] = time.time) -> int:
    """Run one command. ``clock`` is the time the command works at (tests pin it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.clock = clock
    _default_logging()
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, not at exit: a reader that went away is caught below
        return status
    except CliError as error:
        print(f"alpr-edge {args.command}: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `alpr-edge ... | head`: the reader has gone, nothing more to say
        _silence_stdout()
        return EXIT_FAILED
    except OSError as error:  # a file or folder the command needs (no sudo, a typo, a read-only disk)
        where = f": {error.filename}" if error.filename else ""
        hint = " (run it with sudo? the data is the service user's)" if isinstance(error, PermissionError) else ""
        print(f"alpr-edge {args.command}: {error.strerror or error}{where}{hint}", file=sys.stderr)
        return EXIT_USAGE


def _default_logging() -> None:
    """Warnings of the stages a command uses as key=value lines with their fields (plates redacted).

    Without a handler Python prints only a record's event name ("update_rolled_back", "alert_raised"),
    which tells a technician nothing. `run` sets up its own logging; a process that already has
    handlers (a test runner) keeps them.
    """
    import logging

    from alpr_edge import logs

    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(CLI_LOG_HANDLER)
    handler.setFormatter(logs.KeyValueFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _silence_stdout() -> None:
    """Python would otherwise report the broken pipe again when it flushes stdout at exit."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def load_config_or_exit(args):
    """The validated config for a command, or CliError listing every problem."""
    from alpr_edge.config import load_config
    from alpr_edge.schema import SchemaError

    try:
        return load_config(args.config, data_dir=args.data_dir, profile=getattr(args, "profile", None))
    except SchemaError as error:
        raise CliError("invalid configuration:\n" + "\n".join(f"  {error.source}: {p}" for p in error.problems)) from None
