"""The services of the department `fss` (see its titles in kiosk/i18n/texts/services.toml)."""
