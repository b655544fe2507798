"""The services of the department `ias` (see its titles in kiosk/i18n/texts/services.toml)."""
