"""The kiosk's Qt face: shell, screens, on-screen controls. The only package that imports Qt."""
