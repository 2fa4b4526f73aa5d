"""Building the daemon from the config and the firmware profile: the only wiring there is.

This is the one place that knows which implementation each seam gets: the
profile's drivers pick the camera, GPS, ignition and alert outputs; the config
turns on the uplink and the touchscreen. Everything is handed to
``alpr_edge.daemon.Daemon`` through its constructor. The alert desk
(``alpr_edge.alerts.AlertDesk``) is built here over the store and the
outputs; the touchscreen gets ``DeviceServices``, a narrow view built here
too, never the daemon. If a step after the store fails, the store is closed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

from alpr_edge.config import Config
from alpr_edge.daemon import Daemon, StartupError

__all__ = ["StartupError", "build_daemon", "build_recognition", "check_policy", "make_tagger", "plates_in_logs",
           "wire_early_check"]
from alpr_edge.logs import log
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.power import RecordingPowerOff
from alpr_edge.profiles import Profile
from alpr_edge.service import ServiceNotifier
from alpr_edge.types import ClockPort, Components, FrameSource, HotLists, LiveFeed, PlateObservation, PositionSource, Read

if TYPE_CHECKING:
    from alpr_edge.alerts import AlertSignals
    from alpr_edge.hotlist import HotListEngine
    from alpr_edge.store import Store
    from alpr_edge.uplink import Uplink
    from alpr_edge.vision import ReadAggregator
    from alpr_edge.vision.runtime import PlateRecognizer

logger = logging.getLogger(__name__)


def check_policy(config: Config) -> list[str]:
    """Rules that span the config and the profile (pure: touches no hardware)."""
    from alpr_edge.profiles import load_profile

    problems = []
    profile = load_profile(config.device.profile)
    if config.logging.plates_in_logs and not profile.is_sim:
        problems.append(
            f"{config.source}: logging.plates_in_logs: allowed only with the sim profile "
            f"(profile is {profile.name!r}); plate text is personal data"
        )
    broker = config.uplink.broker
    if broker.startswith("mqtt://") and not config.uplink.allow_plaintext:
        problems.append(f"{config.source}: uplink.broker: plain mqtt:// needs uplink.allow_plaintext = true; use mqtts://")
    return problems


def plates_in_logs(config: Config, profile: Profile) -> bool:
    """``logging.plates_in_logs``: plate text in the logs, and only in simulation, where plates are invented."""
    return config.logging.plates_in_logs and profile.is_sim


def build_daemon(
    config: Config,
    profile: Profile,
    *,
    source_override: Path | None = None,
    fps_override: float | None = None,
    max_frames: int | None = None,
    broker_override: str | None = None,
    source: FrameSource | None = None,
    hotlists: HotListEngine | None = None,
) -> Daemon:
    """Build every component the config and profile ask for; StartupError if one cannot be.

    ``source`` and ``hotlists`` replace the profile's camera and the device's
    stored lists (the benchmark's in-memory replay and generated extract).
    """
    from alpr_edge.alerts import AlertSignals, open_outputs
    from alpr_edge.capture import open_frame_source, replay_source
    from alpr_edge.power import SystemPowerOff, open_ignition

    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    camera = profile.camera
    replayed = source is not None or source_override is not None  # not the profile's camera
    if source is not None:
        pass
    elif source_override is not None:
        fps = fps_override if fps_override is not None else camera.fps
        source = replay_source(source_override, fps=fps, loop=False, name=camera.name)
    else:
        if fps_override is not None:
            camera = dataclasses.replace(camera, fps=fps_override)
        source = open_frame_source(dataclasses.replace(profile, camera=camera))

    # Hardware seams first, so a wrong profile fails before anything is opened;
    # the camera itself is opened (and checked) by Daemon.start.
    try:
        ignition = open_ignition(profile.ignition, data_dir)
    except RuntimeError as error:
        raise StartupError(f"profile {profile.name!r}: ignition sense: {error}") from None
    # A second (colour) camera's pixels do not line up with the IR frame's plate boxes; a
    # replay or handed-in source, or one camera's two streams, show one view.
    second_camera = camera.driver == "picamera2" and camera.picamera2.colour_camera is not None
    recognizer, aggregator = build_recognition(config, camera.name, colour_aligned=replayed or not second_camera)
    parts = Components(source=source, recognizer=recognizer, aggregator=aggregator, ignition=ignition)
    _build_positioning(config, profile, parts)
    parts.notifier = ServiceNotifier.from_environment()
    parts.power = RecordingPowerOff() if profile.is_sim else SystemPowerOff(config.ignition.shutdown_command)
    try:
        outputs = open_outputs(profile.outputs)
    except Exception as error:  # gpiozero raises its own kinds when pins are absent
        raise StartupError(f"profile {profile.name!r}: alert outputs: {error}") from None
    store = _open_store(config, profile)  # everything after this closes it when it fails
    try:
        return _build_on_store(config, profile, parts, store, AlertSignals(outputs), broker_override, max_frames, hotlists)
    except BaseException:
        outputs.close()
        store.close()
        raise


def _build_on_store(config: Config, profile: Profile, parts: Components, store: Store, signals: AlertSignals,
                    broker_override: str | None, max_frames: int | None, hotlists: HotListEngine | None) -> Daemon:
    from alpr_edge.alerts import AlertDesk
    from alpr_edge.hotlist import HotListEngine, device_list_storage

    parts.store = store
    _record_config(config, store)
    parts.desk = AlertDesk(store, signals=signals, settings=config.alerts)
    if hotlists is None:
        from alpr_edge.hotlist.historical import for_device

        # Historical hits: each new version's new entries against the stored reads, on their own thread.
        historical = for_device(store, config, clock=time.time, desk=parts.desk, background=True)
        hotlists = HotListEngine(device_list_storage(config.data_dir, store), settings=config.hotlist, audit=store.audit,
                                 on_new_version=historical)
        historical.would_alert = hotlists.would_alert
        if profile.demo_hotlist:
            _load_demo_hotlist(profile, hotlists)
    parts.hotlists = hotlists
    if config.uplink.broker or broker_override:
        parts.uplink = _build_uplink(config, store, hotlists, broker_override)
    wire_early_check(parts.aggregator, hotlists)
    feed, counters = LiveFeed(), PipelineCounters()
    if config.ui.enabled:
        from alpr_edge.ui.services import DeviceServices, open_ui

        services = DeviceServices(config, profile, parts, feed=feed, counters=counters)
        parts.ui = open_ui(config, services)
    return Daemon(config, profile, parts, max_frames=max_frames, feed=feed, counters=counters)


def wire_early_check(aggregator: object, hotlists: HotLists | None) -> None:
    """A plate on a hot list is read at once, not at the end of its passage: the officer must not wait."""
    if hotlists is None or not hasattr(aggregator, "early_check"):
        return

    def is_hot(observation: PlateObservation) -> bool:
        return bool(hotlists.match(observation.text, observation.state, observation.candidates))

    aggregator.early_check = is_hot


def _load_demo_hotlist(profile: Profile, engine: HotListEngine) -> None:
    """The sim's demo list, renewed at each start so it never goes stale."""
    import time

    from alpr_edge.hotlist import parse_csv

    hotlist = parse_csv(profile.resolve(profile.demo_hotlist), name="sim-demo", priority=2, version=int(time.time()))
    engine.replace(hotlist, actor="sim", role="system")


def _build_uplink(config: Config, store: Store, hotlists: HotListEngine, broker_override: str | None) -> Uplink | None:
    """The MQTT uplink, or None (logged) when its files are missing: reads stay safe in the store."""
    from alpr_edge.uplink import UplinkConfigError, build_uplink, hotlist_engine_sink

    try:
        sink = hotlist_engine_sink(hotlists)  # type: ignore[no-untyped-call]  # alpr_edge.uplink is typed loosely
        return build_uplink(config, store=store, hotlist_sink=sink, broker_override=broker_override)
    except UplinkConfigError as error:
        log(logger, logging.ERROR, "uplink_disabled", reason=str(error))
        return None


def _record_config(config: Config, store: Store) -> None:
    """A changed configuration (retention or anything else) goes into the audit trail at this start."""
    from alpr_edge.store.config_record import record_config

    recorded = record_config(store, config)  # build_daemon closes the store if this fails
    if recorded is not None:
        log(logger, logging.INFO, "config_recorded", hash=recorded["hash"][:16], retention_changed=sorted(recorded["retention_changed"]))


def _open_store(config: Config, profile: Profile) -> Store:
    from alpr_edge.store import KeysMissing, Store

    try:
        return Store.open(
            config.data_dir, config.store, dev_keys=profile.is_sim, uplink_enabled=bool(config.uplink.broker)
        )
    except KeysMissing as error:
        raise StartupError(str(error)) from None


def _build_positioning(config: Config, profile: Profile, parts: Components) -> None:
    from alpr_edge.gps import ClockTracker, GpsDeviceMissing, SystemClock, open_position_source

    parts.clock = ClockTracker(SystemClock(), config.gps.max_clock_offset_s)
    try:
        parts.positions = open_position_source(profile.gps, config.gps.stale_after_s, parts.clock, profile.resolve)
    except GpsDeviceMissing as error:
        raise StartupError(f"profile {profile.name!r}: {error}") from None
    parts.tag = make_tagger(parts.positions, parts.clock)


def make_tagger(positions: PositionSource, clock: ClockPort) -> Callable[[Read], Read]:
    """Where and when a read was taken: the fix nearest its best frame, and which clock to trust."""

    def tag(read: Read) -> Read:
        return dataclasses.replace(
            read,
            position=positions.position(read.capture_monotonic_s),
            timestamp=clock.timestamp(read.capture_wall_time, read.capture_monotonic_s),
        )

    return tag


def build_recognition(config: Config, camera_name: str, colour_aligned: bool = True) -> tuple[PlateRecognizer, ReadAggregator]:
    from alpr_edge.vision import ReadAggregator, load_recognizer

    try:
        recognizer = load_recognizer(config.recognition.models_dir, threads=config.recognition.threads)
    except (FileNotFoundError, OSError, ValueError) as error:
        raise StartupError(f"recognition models: {error}") from None
    aggregator = ReadAggregator(
        camera=camera_name,
        passage_gap_s=config.recognition.passage_gap_s,
        min_confidence=config.recognition.min_confidence,
        colour_aligned=colour_aligned,
    )
    return recognizer, aggregator
