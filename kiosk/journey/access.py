"""The citizen's accessibility choices: what each control of the UI changes.

Kept apart from the state machine: pure functions over ``Access``, so the
rules (volume steps, what a toggle flips) are read and tested in one place.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.journey.views import Access

VOLUME_STEP = 20
VOLUME_MIN = 20  # never silent by accident: "off" is the speech toggle
VOLUME_MAX = 100

# The values of the "access" action.
CHOICES = ("contrast", "large_text", "speech", "louder", "softer", "repeat")


def adjusted(access: Access, choice: str) -> Access:
    """``access`` after the citizen tapped ``choice`` (unknown choices change nothing)."""
    if choice == "contrast":
        return replace(access, high_contrast=not access.high_contrast)
    if choice == "large_text":
        return replace(access, large_text=not access.large_text)
    if choice == "speech":
        return replace(access, speech=not access.speech)
    if choice == "louder":
        return replace(access, volume=min(VOLUME_MAX, access.volume + VOLUME_STEP))
    if choice == "softer":
        return replace(access, volume=max(VOLUME_MIN, access.volume - VOLUME_STEP))
    if choice == "repeat" and access.speech:
        return replace(access, repeats=access.repeats + 1)
    return access
