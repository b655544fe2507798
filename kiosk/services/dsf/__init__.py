"""The services of the department `dsf` (see its titles in kiosk/i18n/texts/services.toml)."""
