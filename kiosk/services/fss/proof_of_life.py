"""社會保障基金在生證明 · Prova de vida (FSS) · Proof of life, Social Security Fund."""

from kiosk.services.common.proof_of_life import proof_of_life

SERVICE = proof_of_life("fss.proof-of-life")
