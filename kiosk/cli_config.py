"""``kiosk config validate FILE | show | migrate FILE [--check]``: the terminal's
config file for technicians (docs/configuration.md).

``validate`` and ``migrate --check`` exit 0 or 1 so a script can act on them, and
2 (a message naming the key, never a traceback) for a file that cannot be used.
``show`` prints the configuration in effect with the gateway credential and the
technicians' PIN hashes hidden.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kiosk.config import CONFIG_VERSION, load
from kiosk.config.edit import shown


def add_config_commands(sub: Any) -> None:
    config = sub.add_parser("config", help="terminal configuration")
    config_sub = config.add_subparsers(metavar="ACTION")
    validate = config_sub.add_parser("validate", help="check a config file")
    validate.add_argument("file", type=Path)
    validate.set_defaults(func=_validate)
    show = config_sub.add_parser("show", help="the configuration in effect, secrets hidden")
    show.set_defaults(func=_show)
    migrate = config_sub.add_parser(
        "migrate", help=f"rewrite a config file in version {CONFIG_VERSION}, keeping comments")
    migrate.add_argument("file", type=Path)
    migrate.add_argument("--check", action="store_true",
                         help="change nothing; exit 1 if the file needs migrating")
    migrate.set_defaults(func=_migrate)


def _validate(args: argparse.Namespace) -> int:
    config = load(args.file, warn_old=False)  # said below, not twice
    if config.migrated_from is None:
        print(f"{args.file}: valid")
    else:
        print(f"{args.file}: valid, but an old version ({config.migrated_from}; this kiosk "
              f"writes {CONFIG_VERSION}): `kiosk config migrate {args.file}` updates it")
    return 0


def _show(args: argparse.Namespace) -> int:
    """The configuration in effect (the file over the defaults), as JSON; the
    credential and PIN hashes shown only as set or not."""
    config = load(args.config)
    # The settings editor's own list of secrets: one list, whatever shows them.
    visible = {section: shown(section, value) for section, value in asdict(config).items()}
    visible = {"file": str(args.config) if args.config else None, **visible}
    print(json.dumps(visible, ensure_ascii=False, indent=1))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from kiosk.config.edit import migrate_file

    done = migrate_file(args.file, check=args.check)
    if not done.notes:
        print(f"{args.file}: version {CONFIG_VERSION}, current: nothing to migrate")
        return 0
    if args.check:
        print(f"{args.file}: version {done.from_version}, needs `kiosk config migrate "
              f"{args.file}`:")
    else:
        print(f"{args.file}: migrated from version {done.from_version} to {CONFIG_VERSION}:")
    for note in done.notes:
        print(f"  {note}")
    if done.backup is not None:
        print(f"the original is kept as {done.backup}")
    return 1 if args.check else 0
