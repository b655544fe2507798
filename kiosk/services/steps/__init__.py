"""The reusable steps every service is built from."""

from kiosk.services.steps.card import ReadCard
from kiosk.services.steps.choose import Choose, Option
from kiosk.services.steps.face import VerifyFace
from kiosk.services.steps.finish import Finish
from kiosk.services.steps.form import Field, Form
from kiosk.services.steps.kept import CollectKept
from kiosk.services.steps.lookup import Lookup
from kiosk.services.steps.otp import SecondFactor
from kiosk.services.steps.pay import Pay
from kiosk.services.steps.printing import Print
from kiosk.services.steps.quantity import ChooseQuantity, QuantityOffer
from kiosk.services.steps.result import ShowResult
from kiosk.services.steps.review import Review
from kiosk.services.steps.submit import Submit

__all__ = ["Choose", "ChooseQuantity", "CollectKept", "Field", "Finish", "Form", "Lookup",
           "Option", "Pay", "Print", "QuantityOffer", "ReadCard", "Review", "SecondFactor",
           "ShowResult", "Submit", "VerifyFace"]
