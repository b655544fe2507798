"""The reusable steps every service is built from."""

from kiosk.services.steps.card import ReadCard
from kiosk.services.steps.face import VerifyFace
from kiosk.services.steps.finish import Finish
from kiosk.services.steps.kept import CollectKept
from kiosk.services.steps.printing import Print
from kiosk.services.steps.quantity import ChooseQuantity, QuantityOffer
from kiosk.services.steps.submit import Submit

__all__ = ["ChooseQuantity", "CollectKept", "Finish", "Print", "QuantityOffer", "ReadCard",
           "Submit", "VerifyFace"]
