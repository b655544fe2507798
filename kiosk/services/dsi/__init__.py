"""The services of the department `dsi` (see its titles in kiosk/i18n/texts/services.toml)."""
