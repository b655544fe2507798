"""繳納車輛使用牌照稅 · Imposto de circulação · Pay vehicle licence tax."""

from kiosk.i18n import all_languages
from kiosk.services.common import printouts
from kiosk.services.common.flows import pay_bills

SERVICE = pay_bills(
    "dsat.vehicle-tax", list_key="vehicles", id_key="plate", form_key="plates",
    choose_title="dsat.choose_vehicles",
    title=lambda vehicle: str(vehicle["plate"]),
    lines=lambda vehicle: [vehicle["kind"], all_languages("bills.year", year=vehicle["year"])],
    render=printouts.receipt(),
)
