"""商業登記證明 · Certidão do registo comercial · Commercial registration certificate."""

from kiosk.services.dsaj.registry_certificate import registry_certificate
from kiosk.services.steps import Field

SERVICE = registry_certificate(
    "dsaj.commercial-registration",
    number=Field("registration_number", "dsaj.registration_number", max_length=16,
                 example="12345(SO)"),
    found_label="dsaj.company_name", found_key="company_name",
    lines=[("document.label.registration_number", "registration_number"),
           ("document.label.company_name", "company_name"),
           ("document.label.registered_on", "registered_on")],
)
