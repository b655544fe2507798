"""One citizen's session: everything personal the kiosk holds, and its wipe.

Card data, photo, the face reference and backend replies live here and nowhere else
for the length of one session; ``wipe`` overwrites what can be overwritten and
drops the rest when the session ends (done, cancelled, card removed, idle).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from kiosk.identity.card import IdCard
from kiosk.identity.face import FaceDecision, Reference


@dataclass
class Session:
    lang: str
    # Not personal: lets logs and metrics tell sessions apart.
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    service_id: str | None = None
    card: IdCard | None = None
    face: FaceDecision | None = None
    # The card photo's face encoding, held by the face engine; made once per card.
    face_reference: Reference | None = None
    # Step results and choices, by the key each step declares.
    data: dict[str, Any] = field(default_factory=dict)
    # Idempotency keys by step, so a retried submission reuses its key.
    idempotency_keys: dict[str, str] = field(default_factory=dict)
    wiped: bool = False

    def __repr__(self) -> str:
        return f"Session({self.session_id}, service={self.service_id}, wiped={self.wiped})"

    def idempotency_key(self, step_id: str) -> str:
        return self.idempotency_keys.setdefault(step_id, uuid.uuid4().hex)

    @property
    def holds_personal_data(self) -> bool:
        return bool(self.card or self.data or self.face
                    or self.face_reference)

    def wipe(self) -> None:
        if self.card is not None:
            self.card.wipe()
        if self.face_reference is not None:
            self.face_reference.wipe()  # the engine drops the encoding
        self.card = None
        self.face = None
        self.face_reference = None
        for value in self.data.values():
            if isinstance(value, bytearray):
                value[:] = bytes(len(value))
        self.data.clear()
        self.idempotency_keys.clear()
        self.wiped = True
