"""The services of the department `safp` (see its titles in kiosk/i18n/texts/services.toml)."""
