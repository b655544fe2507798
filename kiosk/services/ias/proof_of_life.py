"""社會工作局在生證明 · Prova de vida (IAS) · Proof of life, Social Welfare Bureau."""

from kiosk.services.common.proof_of_life import proof_of_life

SERVICE = proof_of_life("ias.proof-of-life")
