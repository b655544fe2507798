"""Terminal configuration: one TOML file, validated at start.

A broken file never produces a traceback: ``load`` raises ``ConfigError`` whose
message names the key and the problem. Every key, with its default and meaning,
is documented in ``config/terminal.example.toml``; versions, migration and
safe editing in docs/configuration.md (``migrate``, ``edit``, ``settings``).
"""

from kiosk.config.migrate import CONFIG_VERSION
from kiosk.config.paths import config_path, data_dir, default_config_path
from kiosk.config.schema import (
    SANDBOX_ISSUER,
    BackendConfig,
    Config,
    ConfigError,
    DeviceConfig,
    FaceConfig,
    IdentityConfig,
    MaintenanceConfig,
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
    "MaintenanceConfig",
    "PrintingConfig",
    "SessionConfig",
    "TerminalConfig",
    "config_path",
    "data_dir",
    "default_config_path",
    "load",
    "parse",
]
