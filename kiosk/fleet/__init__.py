"""Watching a fleet of kiosks from one place: metrics for Prometheus, a heartbeat to the gateway."""
