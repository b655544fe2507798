"""Maintenance (vendor) mode: the kiosk out of service while a technician works.

``credentials``: who may enter (scrypt-hashed PINs, roles, lockout); ``mode``:
the states (PIN, open, out of service) and the routing between the citizen's
journey and maintenance; ``pages``/``settings_page``: the technician's pages;
``diagnostics``, ``counters``, ``history``: the devices' tests, counters and
status history; ``bundle``: the redacted diagnostics bundle; ``build``: all of
it from a terminal's parts. See docs/maintenance.md.
"""
