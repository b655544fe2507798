"""繳納稅款 · Pagamento de impostos · Pay a tax bill."""

from kiosk.i18n import all_languages
from kiosk.services.common import printouts
from kiosk.services.common.flows import pay_bills

SERVICE = pay_bills(
    "dsf.tax-payment", list_key="bills", id_key="bill_id", form_key="bill_ids",
    choose_title="dsf.choose_bills",
    title=lambda bill: bill["tax"],
    lines=lambda bill: [all_languages("bills.year", year=bill["year"]),
                        all_languages("bills.due_on", date=bill["due_on"])],
    render=printouts.receipt(),
)
