"""``kiosk maintenance hash-pin``: the line a technician's PIN becomes in the config."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any


def add_maintenance_commands(sub: Any) -> None:
    maintenance = sub.add_parser("maintenance", help="technicians' access to maintenance mode")
    maintenance_sub = maintenance.add_subparsers(metavar="ACTION")
    hash_pin = maintenance_sub.add_parser(
        "hash-pin", help="hash a technician's PIN for [maintenance.technicians.ID]")
    hash_pin.add_argument("technician", help="the technician's id, e.g. T001")
    hash_pin.add_argument("--role", choices=("technician", "field"), default="technician",
                          help="field staff run diagnostics and reset consumables; only a "
                               "technician changes settings (default: technician)")
    hash_pin.set_defaults(func=_hash_pin)


def _hash_pin(args: argparse.Namespace) -> int:
    """Asks for the PIN twice without showing it (or reads one line from a pipe)
    and prints the config line; the PIN never reaches the shell's history."""
    from kiosk.maintenance.credentials import CredentialError, hash_pin

    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (6 to 12 digits): ")
        if getpass.getpass("the same PIN again: ") != pin:
            print("kiosk: the two PINs differ", file=sys.stderr)
            return 1
    else:
        pin = sys.stdin.readline().strip()
    try:
        record = hash_pin(pin)
    except CredentialError as e:
        print(f"kiosk: {e}", file=sys.stderr)
        return 1
    print(f"# in the terminal's config (version 2)\n[maintenance.technicians.{args.technician}]\n"
          f'pin = "{record}"\nrole = "{args.role}"')
    return 0
