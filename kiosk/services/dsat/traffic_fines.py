"""交通違例罰款查詢及繳付 · Multas de trânsito · Check and pay traffic fines."""

from kiosk.services.common import money, printouts
from kiosk.services.common.flows import pay_bills

SERVICE = pay_bills(
    "dsat.traffic-fines", list_key="fines", id_key="fine_id", form_key="fine_ids",
    choose_title="dsat.choose_fines",
    title=lambda fine: fine["offence"],
    lines=lambda fine: [f"{fine['plate']} · {fine['date']}",
                        f"MOP {money.text(money.amount(fine['amount']))}"],
    render=printouts.receipt(),
)
