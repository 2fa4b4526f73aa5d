#!/usr/bin/env python3
"""Generate firmware_profiles/sim-data/drive.nmea: a few minutes of city driving in Berkeley, CA.

The sim profile replays this log through a pseudo-terminal as its GPS
receiver. It is synthetic but shaped like a u-blox receiver's output (GN
talker, 1 Hz, RMC, VTG, GGA, GSA per epoch, the same number formats): the car
starts parked on Shattuck Avenue, drives north, west along University Avenue,
waits at the red light at Martin Luther King Jr Way, turns south, east along
Dwight Way and back north on Shattuck, where the downtown buildings cost it
the fix for a few seconds, and parks. Speeds follow the 25 mph limit, slowing
for each turn; positions carry a metre or two of correlated noise.

Deterministic (seeded): running it again gives the same file.

    python scripts/make_drive_nmea.py [--out firmware_profiles/sim-data/drive.nmea]
"""

from __future__ import annotations

import argparse
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

# (latitude, longitude, label); corners of the route, in driving order.
ROUTE = [
    (37.86940, -122.26800, "Shattuck Ave at Allston Way (parked)"),
    (37.87190, -122.26830, "Shattuck Ave at University Ave"),
    (37.87175, -122.27060, "University Ave at Milvia St"),
    (37.87160, -122.27320, "University Ave at Martin Luther King Jr Way"),
    (37.86420, -122.27190, "Martin Luther King Jr Way at Dwight Way"),
    (37.86440, -122.26730, "Dwight Way at Shattuck Ave"),
    (37.86935, -122.26795, "Shattuck Ave at Allston Way (parked)"),
]
RED_LIGHT_AT = 3          # index of the corner where the car waits at a red light
RED_LIGHT_S = 24
PARKED_START_S = 8
PARKED_END_S = 12
START = datetime(2026, 6, 12, 17, 2, 30, tzinfo=timezone.utc)  # a Friday, 10:02 PDT
CRUISE_MS = 11.0          # about 25 mph
LATERAL_ACCEL = 1.8       # m/s^2 allowed in turns
ACCEL, DECEL = 1.6, 2.4   # m/s^2
CORNER_RADIUS_M = 9.0
OUTAGE_FROM_M = 250.0     # metres into the last leg (northbound Shattuck, downtown)
OUTAGE_S = 7
GEOID_SEPARATION_M = -32.2
M_PER_DEG_LAT = 110_990.0


def to_xy(lat, lon, origin):
    return ((lon - origin[1]) * M_PER_DEG_LAT * math.cos(math.radians(origin[0])), (lat - origin[0]) * M_PER_DEG_LAT)


def to_latlon(x, y, origin):
    return (origin[0] + y / M_PER_DEG_LAT, origin[1] + x / (M_PER_DEG_LAT * math.cos(math.radians(origin[0]))))


def rounded_path(points):
    """The polyline with each corner replaced by a quadratic curve, sampled every metre or so."""
    path = [points[0]]
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = points[i - 1], points[i], points[i + 1]
        d1, d2 = math.dist((ax, ay), (bx, by)), math.dist((bx, by), (cx, cy))
        r = min(CORNER_RADIUS_M, d1 / 2, d2 / 2)
        p = (bx - (bx - ax) * r / d1, by - (by - ay) * r / d1)
        q = (bx + (cx - bx) * r / d2, by + (cy - by) * r / d2)
        _line(path, p)
        for k in range(1, 13):
            t = k / 12
            path.append(((1 - t) ** 2 * p[0] + 2 * (1 - t) * t * bx + t * t * q[0],
                         (1 - t) ** 2 * p[1] + 2 * (1 - t) * t * by + t * t * q[1]))
    _line(path, points[-1])
    return path


def _line(path, end):
    start = path[-1]
    steps = max(1, int(math.dist(start, end)))
    for k in range(1, steps + 1):
        path.append((start[0] + (end[0] - start[0]) * k / steps, start[1] + (end[1] - start[1]) * k / steps))


def heading_of(a, b):
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360


def speed_profile(path, stop_indices):
    """Speed at each path point: cruise, slower in turns, 0 at stops, with acceleration limits."""
    n = len(path)
    dist = [0.0]
    for i in range(1, n):
        dist.append(dist[-1] + math.dist(path[i - 1], path[i]))
    # Traffic: the cruising speed drifts between about 30 and 40 km/h along the way.
    limit = [CRUISE_MS * (0.88 + 0.12 * math.sin(d / 140.0)) for d in dist]
    for i in range(1, n - 1):
        turn = abs((heading_of(path[i], path[i + 1]) - heading_of(path[i - 1], path[i]) + 180) % 360 - 180)
        step = (dist[i + 1] - dist[i - 1]) / 2
        if turn > 0.5 and step > 0:
            radius = step / math.radians(turn)
            limit[i] = min(limit[i], math.sqrt(LATERAL_ACCEL * radius))
    for i in stop_indices:
        limit[i] = 0.0
    v = limit[:]
    for i in range(1, n):
        v[i] = min(v[i], math.sqrt(v[i - 1] ** 2 + 2 * ACCEL * (dist[i] - dist[i - 1])))
    for i in range(n - 2, -1, -1):
        v[i] = min(v[i], math.sqrt(v[i + 1] ** 2 + 2 * DECEL * (dist[i + 1] - dist[i])))
    return dist, v


def timeline(path, dist, v, dwell):
    """(time, index) pairs: time at each path point, waiting ``dwell[i]`` seconds at stop points."""
    times = [dwell.get(0, 0.0)]
    for i in range(1, len(path)):
        mean = (v[i - 1] + v[i]) / 2
        times.append(times[-1] + (dist[i] - dist[i - 1]) / max(mean, 0.05) + dwell.get(i, 0.0))
    return times


def state_at(t, path, dist, v, times, dwell):
    """Position, speed and heading at time t, interpolating between path points."""
    i = 1
    while i < len(times) - 1 and times[i] < t:
        i += 1
    start = times[i - 1]
    end = times[i] - dwell.get(i, 0.0)
    if t <= start:  # waiting at a stop: facing the way it came (or, parked at the start, the way it will go)
        facing = heading_of(path[i - 2], path[i - 1]) if i > 1 else heading_of(path[0], path[1])
        return path[i - 1], 0.0, facing
    if t >= end:
        return path[i], 0.0, heading_of(path[i - 1], path[i])
    f = (t - start) / (end - start)
    x = path[i - 1][0] + (path[i][0] - path[i - 1][0]) * f
    y = path[i - 1][1] + (path[i][1] - path[i - 1][1]) * f
    return (x, y), v[i - 1] + (v[i] - v[i - 1]) * f, heading_of(path[i - 1], path[i])


def nmea(body):
    value = 0
    for char in body.encode():
        value ^= char
    return f"${body}*{value:02X}"


def dm(value, lat):
    value = abs(value)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return f"{degrees:02d}{minutes:08.5f}" if lat else f"{degrees:03d}{minutes:08.5f}"


def epoch_lines(moment, fix, lat, lon, alt, speed_ms, heading, sats, hdop, used):
    hhmmss = moment.strftime("%H%M%S.00")
    ddmmyy = moment.strftime("%d%m%y")
    if not fix:
        return [
            nmea(f"GNRMC,{hhmmss},V,,,,,,,{ddmmyy},,,N"),
            nmea("GNVTG,,,,,,,,,N"),
            nmea(f"GNGGA,{hhmmss},,,,,0,{sats:02d},99.99,,,,,,"),
            nmea("GNGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99"),
        ]
    knots = speed_ms * 3600 / 1852
    kmh = speed_ms * 3.6
    # Like u-blox receivers, no course over ground when (nearly) stationary.
    course = f"{heading:.2f}" if kmh >= 1.0 else ""
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    pos = f"{dm(lat, True)},{ns},{dm(lon, False)},{ew}"
    ids = ",".join(f"{sv:02d}" for sv in used[:12]) + "," * (12 - min(12, len(used)))
    pdop, vdop = hdop * 1.7, hdop * 1.4
    return [
        nmea(f"GNRMC,{hhmmss},A,{pos},{knots:.3f},{course},{ddmmyy},,,A"),
        nmea(f"GNVTG,{course},T,,M,{knots:.3f},N,{kmh:.3f},K,A"),
        nmea(f"GNGGA,{hhmmss},{pos},1,{sats:02d},{hdop:.2f},{alt:.1f},M,{GEOID_SEPARATION_M:.1f},M,,"),
        nmea(f"GNGSA,A,3,{ids},{pdop:.2f},{hdop:.2f},{vdop:.2f}"),
    ]


def generate() -> list[str]:
    rng = random.Random(20260612)
    origin = ROUTE[0][:2]
    corners = [to_xy(lat, lon, origin) for lat, lon, _ in ROUTE]
    path = rounded_path(corners)
    # Path indices nearest the red light (a few metres before the corner) and the end.
    red_light = min(range(len(path)), key=lambda i: math.dist(path[i], corners[RED_LIGHT_AT])) - 20
    stops = [0, red_light, len(path) - 1]
    dist, v = speed_profile(path, stops)
    dwell = {0: float(PARKED_START_S), red_light: float(RED_LIGHT_S), len(path) - 1: float(PARKED_END_S)}
    times = timeline(path, dist, v, dwell)
    last_leg_start = min(range(len(path)), key=lambda i: math.dist(path[i], corners[5]))
    outage_index = next(i for i in range(last_leg_start, len(path)) if dist[i] - dist[last_leg_start] >= OUTAGE_FROM_M)
    outage_start = int(times[outage_index])

    satellites = [2, 5, 10, 12, 13, 15, 18, 20, 25, 29, 66, 67, 75, 76, 82, 83]
    noise_x = noise_y = 0.0
    lines = []
    total = int(times[-1]) + 1
    for second in range(total):
        moment = START + timedelta(seconds=second)
        (x, y), speed, heading = state_at(float(second), path, dist, v, times, dwell)
        # Correlated position error: a GNSS fix wanders, it does not jump.
        noise_x = 0.9 * noise_x + rng.gauss(0, 0.35)
        noise_y = 0.9 * noise_y + rng.gauss(0, 0.35)
        lat, lon = to_latlon(x + noise_x * (0.3 if speed < 0.3 else 1), y + noise_y * (0.3 if speed < 0.3 else 1), origin)
        alt = 38 + 14 * (lon + 122.2732) / 0.0059 + (lat - 37.8640) * 2000 + rng.gauss(0, 0.4)
        since_outage = second - outage_start
        fix = not 0 <= since_outage < OUTAGE_S
        if 0 <= since_outage < OUTAGE_S:
            sats, hdop = rng.choice([2, 3, 3]), 99.99
        elif -3 <= since_outage < 0:  # the buildings close in
            sats, hdop = 8 + since_outage, 1.4 - 0.4 * since_outage
        elif OUTAGE_S <= since_outage < OUTAGE_S + 6:  # re-acquiring
            sats, hdop = 5 + (since_outage - OUTAGE_S), 3.1 - 0.35 * (since_outage - OUTAGE_S)
        else:
            sats = 11 + round(1.5 * math.sin(second / 40) + rng.uniform(-0.5, 0.5))
            hdop = 0.85 + 0.15 * math.sin(second / 55) + rng.uniform(0, 0.05)
        # The satellites in view change slowly: rotate the list every 90 s.
        shift = second // 90
        used = sorted((satellites[shift:] + satellites[:shift])[:sats])
        speed_reported = max(0.0, speed + rng.gauss(0, 0.03)) if speed > 0.05 else abs(rng.gauss(0, 0.01))
        heading = (heading + rng.gauss(0, 0.6)) % 360
        lines += epoch_lines(moment, fix, lat, lon, alt, speed_reported, heading, sats, hdop, used)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "firmware_profiles/sim-data/drive.nmea")
    args = parser.parse_args()
    lines = generate()
    header = [
        "# Synthetic u-blox-style NMEA log: a city drive in Berkeley, CA (GN talker, 1 Hz RMC/VTG/GGA/GSA).",
        "# Generated by scripts/make_drive_nmea.py (deterministic); the sim profile replays it as its receiver.",
        "# Route: " + " -> ".join(label for _, _, label in ROUTE),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header + lines) + "\n", encoding="ascii")
    print(f"{args.out}: {len(lines) // 4} epochs, {len(lines)} sentences")


if __name__ == "__main__":
    main()
