"""退休基金會在生證明 · Prova de vida (FP) · Proof of life, Pension Fund."""

from kiosk.services.common.proof_of_life import proof_of_life

SERVICE = proof_of_life("fp.proof-of-life")
