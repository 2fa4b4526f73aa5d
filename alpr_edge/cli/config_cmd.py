"""`alpr-edge config check|show`: validate the configuration without touching hardware."""

from __future__ import annotations

import sys

from alpr_edge.cli import EXIT_FAILED, EXIT_OK


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("config", help="check or show the configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", parents=[common], help="validate the config and its profile; exit 1 listing every error")
    check.add_argument("--profile", help="check with this profile instead of the config's")
    check.set_defaults(handler=check_config)
    show = actions.add_parser("show", parents=[common], help="every setting in force (from --config FILE, or the defaults) with its type, default and meaning")
    show.set_defaults(handler=show_settings)


def check_config(args) -> int:
    from alpr_edge.config import load_config
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError

    errors: list[str] = []
    config = None
    try:
        config = load_config(args.config, data_dir=args.data_dir, profile=args.profile)
    except SchemaError as error:
        errors += [f"{error.source}: {p}" for p in error.problems]
    if config is not None:
        try:
            load_profile(config.device.profile)
        except SchemaError as error:
            errors += [f"{error.source}: {p}" for p in error.problems]
        else:
            from alpr_edge.assembly import check_policy

            errors += check_policy(config)
    if errors:
        print(f"{len(errors)} error(s):", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {config.source} with profile {config.device.profile}")
    return EXIT_OK


def show_settings(args) -> int:
    """The settings in force: the file's values where it sets them (marked *), the defaults elsewhere."""
    from alpr_edge.cli import load_config_or_exit
    from alpr_edge.config import Config
    from alpr_edge.schema import describe_section

    config = load_config_or_exit(args)
    origin = "the built-in defaults (no config file)" if config.source == "defaults" else config.source
    print(f"# settings in force from {origin}; * differs from the default")
    for key, expected, default, meaning in describe_section(Config):
        value = setting(config, key)
        mark = "*" if value != default else " "
        print(f"{mark} {key:34} {_shown(value):28} {expected:28} default {_shown(default):16} {meaning}")
    return EXIT_OK


def setting(config, key: str):
    """The value of a dotted key (``store.retention_days``) in a loaded config."""
    value = config
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    return str(value)
