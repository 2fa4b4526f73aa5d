"""Self-test checks of the camera, the image and the GPS receiver with the clock."""

from __future__ import annotations

import threading
import time

import numpy as np

from alpr_edge.health import clock_level, gps_level
from alpr_edge.ops.checks_base import CheckResult, Context, failed, passed, warned

RATE_PASS = 0.8  # of the profile's frame rate
RATE_WARN = 0.5
DARK_MEAN, BRIGHT_MEAN = 12.0, 243.0  # grey levels: black frame / blown out
SATURATED_FRACTION = 0.6  # more than this share of pixels at 255 is blown out
FIRST_FRAME_WAIT_S = 5.0  # sensors take a moment to start; a stream may take longer to connect
READER_JOIN_S = 3.0  # how long a stopped reader may take to return before it is left behind


def check_camera(ctx: Context) -> CheckResult:
    expected = ctx.profile.camera.fps
    if ctx.daemon_status is not None:
        camera = ctx.daemon_status.get("camera") or {}
        fps = float(ctx.daemon_status.get("fps_in") or 0.0)
        if camera.get("connected") is False:
            return failed("camera", f"the running daemon reports the camera disconnected: {camera.get('last_error') or 'no reason given'}")
        return _rate("camera", fps, expected, "measured by the running daemon")
    from alpr_edge.capture import CameraMissing

    try:
        source = ctx.probes.frame_source(ctx.profile)
        source.open()
    except CameraMissing as error:
        return failed("camera", f"camera missing: {error}")
    except (OSError, ValueError, RuntimeError) as error:
        return failed("camera", f"camera would not open: {error}")
    times, stop, first = [], threading.Event(), threading.Event()

    def take_frames():
        # In its own thread: a camera that hangs inside a read must not hang the self-test.
        try:
            for frame in source.frames(stop):
                times.append(time.monotonic())
                first.set()
                if len(ctx.frames) < 8 or len(times) % 5 == 0:
                    ctx.frames = (ctx.frames + [frame])[-8:]
                if stop.is_set():
                    break
        except Exception as error:  # noqa: BLE001 - any driver error is a failed camera check
            ctx.camera_error = f"{type(error).__name__}: {error}"
        finally:
            first.set()

    worker = threading.Thread(target=take_frames, name="selftest-camera", daemon=True)
    worker.start()
    # The first frame may wait for the sensor to start: the rate is measured from it.
    first.wait(FIRST_FRAME_WAIT_S)
    if times:
        stop.wait(ctx.probes.camera_seconds)
    stop.set()
    worker.join(READER_JOIN_S)
    source.close()
    if ctx.camera_error:
        return failed("camera", f"camera failed while reading: {ctx.camera_error}")
    if not times:
        return failed("camera", f"opened, but no frame arrived within {FIRST_FRAME_WAIT_S:g} s")
    elapsed = times[-1] - times[0]
    fps = (len(times) - 1) / elapsed if elapsed > 0 else 0.0
    return _rate("camera", fps, expected, f"{len(times)} frames in {elapsed:.1f} s")


def _rate(name: str, fps: float, expected: float, how: str) -> CheckResult:
    detail = f"{fps:.1f} fps of the profile's {expected:g} ({how})"
    if fps >= RATE_PASS * expected:
        return passed(name, detail)
    if fps >= RATE_WARN * expected:
        return warned(name, f"slow: {detail}")
    return failed(name, f"too slow: {detail}")


def _profile_has_both(profile) -> bool:
    camera = profile.camera
    return camera.driver == "picamera2" and camera.picamera2.colour_camera is not None


def check_ir_colour(ctx: Context) -> CheckResult:
    if not ctx.frames:
        reason = "the running daemon holds the camera" if ctx.daemon_status is not None else "no frames to look at"
        return warned("ir_colour", f"not checked: {reason}")
    grey = all(f.grey is not None and f.grey.size for f in ctx.frames)
    colour = sum(f.colour is not None for f in ctx.frames)
    if _profile_has_both(ctx.profile):
        if not grey or colour < len(ctx.frames):
            return failed("ir_colour", f"the profile has IR and colour cameras but {len(ctx.frames) - colour} of {len(ctx.frames)} frames lacked the colour image")
        return passed("ir_colour", "IR and colour images present in every sampled frame")
    what = "grey and colour" if colour == len(ctx.frames) else "grey"
    return passed("ir_colour", f"{what} image present (the profile has one camera)") if grey else failed("ir_colour", "frames without an image")


def check_exposure(ctx: Context) -> CheckResult:
    if not ctx.frames:
        reason = "the running daemon holds the camera" if ctx.daemon_status is not None else "no frames to look at"
        return warned("exposure", f"not checked: {reason}")
    means = [float(np.mean(f.grey)) for f in ctx.frames]
    saturated = [float(np.mean(f.grey >= 255)) for f in ctx.frames]
    mean, blown = float(np.median(means)), float(np.median(saturated))
    detail = f"median grey level {mean:.0f}/255, {100 * blown:.0f}% of pixels saturated"
    if mean < DARK_MEAN:
        return failed("exposure", f"black image: {detail} (lens cap, IR illuminator off, or a dead sensor?)")
    if mean > BRIGHT_MEAN or blown > SATURATED_FRACTION:
        return failed("exposure", f"blown out: {detail} (exposure or gain too high?)")
    return passed("exposure", detail)


def check_gps_and_clock(ctx: Context) -> list[CheckResult]:
    gps_settings = ctx.profile.gps
    if ctx.daemon_status is not None:
        return _gps_from_daemon(ctx)
    from alpr_edge.gps import ClockTracker, GpsDeviceMissing

    tracker = ClockTracker(ctx.probes.clock(), ctx.config.gps.max_clock_offset_s)
    try:
        source = ctx.probes.position_source(gps_settings, ctx.config.gps.stale_after_s, tracker, ctx.profile.resolve)
    except GpsDeviceMissing as error:
        return [failed("gps", str(error)), warned("clock", "not checked against GPS: no receiver")]
    except ValueError as error:
        return [failed("gps", f"cannot open the GPS source: {error}"), warned("clock", "not checked against GPS: no receiver")]
    if gps_settings.driver in ("fixed", "none"):
        gps = passed("gps", f"{gps_settings.driver}: no receiver to check" + (" (surveyed position)" if gps_settings.driver == "fixed" else ""))
        return [gps, _clock_result(tracker.status())]
    source.start()
    try:
        deadline = time.monotonic() + ctx.probes.gps_wait_s
        status = source.status()
        while time.monotonic() < deadline:
            status = source.status()
            if status.get("has_fix") and tracker.status().get("gps_time_known"):
                break
            time.sleep(0.2)
        clock = tracker.status()
    finally:
        source.stop()
    return [_gps_result(status, ctx.probes.gps_wait_s), _clock_result(clock)]


def _gps_result(status: dict, waited_s: float) -> CheckResult:
    level = gps_level(status)  # the thresholds the touchscreen's shift check uses too
    if status.get("has_fix"):
        detail = f"fix with {status.get('satellites')} satellites, HDOP {status.get('hdop')}"
        return passed("gps", detail) if level == "pass" else warned("gps", detail + ", but stale")
    if level == "fail":
        return failed("gps", f"no NMEA from {status.get('device')} in {waited_s:.0f} s (state {status.get('state')}; wrong device or baud rate?)")
    return warned("gps", f"receiver talks but has no fix yet after {waited_s:.0f} s (open sky needed; cold starts take minutes)")


def _clock_result(clock: dict) -> CheckResult:
    offset = clock.get("offset_s")
    level = clock_level(clock)  # the thresholds the touchscreen's shift check uses too
    if level == "fail":
        return failed("clock", f"system clock off by {offset:+.1f} s from GPS (limit {clock.get('max_offset_s')} s); reads carry GPS time until NTP or an operator fixes it")
    if level == "warn":
        return warned("clock", "nothing vouches for the system clock (no NTP sync, no GPS time yet)")
    if offset is None:
        return passed("clock", "NTP-synchronised (no GPS time to compare)")
    return passed("clock", f"system clock within {abs(offset):.2f} s of GPS ({clock.get('time_source')})")


def _gps_from_daemon(ctx: Context) -> list[CheckResult]:
    status = ctx.daemon_status or {}
    results = []
    gps = status.get("gps")
    if gps is None:
        results.append(warned("gps", "the running daemon reports no GPS status"))
    else:
        if gps.get("has_fix"):
            results.append(_gps_result(gps, 0))
        elif gps.get("source") != "gps":
            results.append(passed("gps", f"{gps.get('source')}: no receiver to check"))
        else:
            results.append(warned("gps", f"the running daemon has no current fix (state {gps.get('state')})"))
    clock = status.get("clock")
    results.append(_clock_result(clock) if clock else warned("clock", "the running daemon reports no clock status"))
    return results
