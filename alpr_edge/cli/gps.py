"""`alpr-edge gps --device PATH`: print a receiver's fixes as they arrive (install and debug aid)."""

from __future__ import annotations

import json

from alpr_edge.cli import EXIT_OK, EXIT_USAGE, CliError


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("gps", parents=[common], help="print fixes from a GPS receiver as they arrive")
    parser.add_argument("--device", required=True, metavar="PATH", help="the receiver's serial device, e.g. /dev/ttyACM0")
    parser.add_argument("--baud", type=int, default=9600, metavar="N", help="baud rate to try first (default 9600)")
    parser.add_argument("--count", type=int, default=None, metavar="K", help="stop after K fixes (default: until interrupted)")
    parser.add_argument("--json", action="store_true", help="one JSON object per fix and line")
    parser.set_defaults(handler=print_fixes)


def print_fixes(args) -> int:
    import os

    import serial

    from alpr_edge.gps import SerialNmeaReceiver
    from alpr_edge.logs import configure

    if args.count is not None and args.count < 1:
        raise CliError(f"--count: expected at least 1, got {args.count}", EXIT_USAGE)
    if not os.path.exists(args.device):
        raise CliError(f"device {args.device} does not exist (is the receiver plugged in?)", EXIT_USAGE)
    try:  # open once here so that a device we may not read fails now, with its reason
        serial.Serial(args.device, args.baud, timeout=0).close()
    except (serial.SerialException, OSError, ValueError) as error:
        raise CliError(f"cannot open {args.device}: {error}", EXIT_USAGE) from None

    configure("warning")
    receiver = SerialNmeaReceiver(args.device, args.baud)
    receiver.start()
    printed, sequence = 0, 0
    try:
        while args.count is None or printed < args.count:
            got = receiver.wait_fix(sequence, timeout=1.0)
            if got is None:
                continue
            sequence, fix = got
            print(json.dumps(fix.to_dict(), allow_nan=False) if args.json else describe(fix), flush=True)
            printed += 1
    finally:
        receiver.stop()
    return EXIT_OK


def describe(fix) -> str:
    values = fix.to_dict()
    when = values["time"] or "time unknown"
    sats = f"{fix.satellites} sats" if fix.satellites is not None else "sats ?"
    hdop = f"hdop {fix.hdop}" if fix.hdop is not None else "hdop ?"
    if not fix.has_position:
        return f"{when}  no fix  {sats}  {hdop}"
    parts = [when, f"{fix.lat:.6f},{fix.lon:.6f}"]
    if fix.alt_m is not None:
        parts.append(f"{fix.alt_m:.1f} m")
    if fix.speed_kmh is not None:
        parts.append(f"{fix.speed_kmh:.1f} km/h")
    if fix.heading_deg is not None:
        parts.append(f"{fix.heading_deg:.0f} deg")
    parts += [f"quality {fix.fix_quality}", sats, hdop]
    return "  ".join(parts)
