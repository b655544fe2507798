"""The services of the department `dsat` (see its titles in kiosk/i18n/texts/services.toml)."""
