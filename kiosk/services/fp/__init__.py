"""The services of the department `fp` (see its titles in kiosk/i18n/texts/services.toml)."""
