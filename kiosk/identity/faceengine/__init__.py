"""The dlib-based face engine behind ``kiosk.identity.face.FaceVerifier``.

Importing this package loads neither dlib nor the models: the worker process
does, once. See docs/face.md for the pipeline, the models' licences, the
threshold's measurements and the liveness design.
"""

from kiosk.identity.faceengine.decision import DEFAULT_THRESHOLD, MIN_GOOD_FRAMES
from kiosk.identity.faceengine.liveness import LivenessLimits
from kiosk.identity.faceengine.quality import QualityLimits
from kiosk.identity.faceengine.verifier import DlibFaceVerifier

__all__ = ["DEFAULT_THRESHOLD", "MIN_GOOD_FRAMES", "DlibFaceVerifier", "LivenessLimits",
           "QualityLimits"]
