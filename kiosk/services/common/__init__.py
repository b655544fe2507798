"""What the 28 services share beyond steps: the citizen, money, texts, printouts, flows.

The e-government module library of the catalog (second factor, progress query,
payment, user profile) lives in ``kiosk.services.steps``; these modules are the
glue a service declaration uses to fill them.
"""
