"""What the terminal keeps on its own disk: sealed with a key of its own.

``keys`` makes and guards the terminal's data key, ``sealed`` encrypts personal
data at rest with it, ``store`` opens the terminal's SQLite state durably (WAL,
synchronous FULL) and quarantines a corrupt file, ``kept_prints`` holds printouts
that could not be printed until they are.
"""
