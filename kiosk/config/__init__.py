"""Terminal configuration: one TOML file, validated at start.

A broken file never produces a traceback: ``load`` raises ``ConfigError`` whose
message names the key and the problem. Every key, with its default and meaning,
is documented in ``config/terminal.example.toml``.
"""

from kiosk.config.paths import data_dir
from kiosk.config.schema import (
    CONFIG_VERSION,
    SANDBOX_ISSUER,
    BackendConfig,
    Config,
    ConfigError,
    DeviceConfig,
    FaceConfig,
    IdentityConfig,
    PrintingConfig,
    SessionConfig,
    TerminalConfig,
    load,
    parse,
)

__all__ = [
    "CONFIG_VERSION",
    "SANDBOX_ISSUER",
    "BackendConfig",
    "Config",
    "ConfigError",
    "DeviceConfig",
    "FaceConfig",
    "IdentityConfig",
    "PrintingConfig",
    "SessionConfig",
    "TerminalConfig",
    "data_dir",
    "load",
    "parse",
]
