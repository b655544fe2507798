"""The services of the department `ic` (see its titles in kiosk/i18n/texts/services.toml)."""
