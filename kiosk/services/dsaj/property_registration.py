"""物業登記證明 · Certidão do registo predial · Property registration certificate."""

from kiosk.services.dsaj.registry_certificate import registry_certificate
from kiosk.services.steps import Field

SERVICE = registry_certificate(
    "dsaj.property-registration",
    number=Field("property_number", "dsaj.property_number", kind="digits", max_length=8,
                 example="22001"),
    found_label="dsaj.property_description", found_key="property_description",
    lines=[("document.label.property_number", "property_number"),
           ("document.label.property_description", "property_description"),
           ("document.label.owners", "owners_masked")],
)
