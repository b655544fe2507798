"""Which dlib models the engine loads, from the face_recognition_models package.

Licences (see docs/face.md): the HOG face detector is part of dlib (Boost
Software Licence); the ResNet face encoder and the 5-point landmark model are
Davis King's, released into the public domain (dlib-models). The 68-point model was
trained on iBUG 300-W, whose licence excludes commercial use: it is loaded
only when a deployment asks for it explicitly (``landmarks="68"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LANDMARK_MODELS = {
    "5": "shape_predictor_5_face_landmarks.dat",
    "68": "shape_predictor_68_face_landmarks.dat",
}
ENCODER_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


@dataclass(frozen=True)
class ModelFiles:
    landmarks: Path
    encoder: Path


def model_files(landmarks: str = "5") -> ModelFiles:
    """Paths of the model files; raises FileNotFoundError naming the missing package."""
    if landmarks not in LANDMARK_MODELS:
        raise ValueError(f"landmarks must be one of {sorted(LANDMARK_MODELS)}, not {landmarks!r}")
    try:
        import face_recognition_models
    except ImportError as e:  # a clear message beats a bare ModuleNotFoundError on a kiosk
        raise FileNotFoundError("face models missing: install face_recognition_models") from e
    root = Path(face_recognition_models.__file__).parent / "models"
    files = ModelFiles(root / LANDMARK_MODELS[landmarks], root / ENCODER_MODEL)
    for path in (files.landmarks, files.encoder):
        if not path.is_file():
            raise FileNotFoundError(f"face model missing: {path}")
    return files
