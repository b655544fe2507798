"""交通違例罰款查詢及繳付 · Multas de trânsito · Check and pay traffic fines."""

from kiosk.services.common import printouts
from kiosk.services.common.flows import pay_bills

SERVICE = pay_bills(
    "dsat.traffic-fines", list_key="fines", id_key="fine_id", form_key="fine_ids",
    choose_title="dsat.choose_fines",
    title=lambda fine: fine["offence"],
    lines=lambda fine: [f"{fine['plate']} · {fine['date']}"],
    render=printouts.receipt(),
)
