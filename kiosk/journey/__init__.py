"""The citizen's journey: a Qt-free state machine over screens, steps and timeouts.

The UI shows the ``View`` the journey asks for and passes taps back as actions;
the journey never touches a widget and runs in tests without Qt.
"""

from kiosk.journey.host import JourneyHost, ManualClock, ManualHost, Timer
from kiosk.journey.machine import Journey, SessionReport, View
from kiosk.journey.views import Access

__all__ = ["Access", "Journey", "JourneyHost", "ManualClock", "ManualHost", "SessionReport",
           "Timer", "View"]
