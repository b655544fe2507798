"""The services of the department `dsaj` (see its titles in kiosk/i18n/texts/services.toml)."""
