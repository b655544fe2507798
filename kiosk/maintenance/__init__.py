"""Maintenance mode: who may enter it (technician credentials and lockout).

The mode itself (the kiosk out of service, diagnostics, configuration from the
screen) is still to come; see issue 9. What is here is the gate.
"""
