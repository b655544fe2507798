"""A scripted citizen for the Qt-free journey: answers every screen kind as the
autopilot does in the UI, so a test can take any service from start to finish."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.journey import Journey, ManualHost
from kiosk.sandbox.phone import SandboxPhone

CARD = "C0000001"


@dataclass
class Walk:
    screens: list[str] = field(default_factory=list)
    printed: int = 0
    outcome: str = ""
    error: str | None = None


def walk(journey: Journey, host: ManualHost, terminal: Any, service_id: str, *,
         card: str = CARD, print_results: bool = True, lang: str = "en",
         timeout: float = 30.0) -> Walk:
    """Take ``service_id`` from the attract screen to the end of the session."""
    phone = SandboxPhone(terminal.backend_url)
    seen_codes = len([m for m in phone.messages() if m.get("code")])
    result = Walk()
    reports = len(host.reports)
    journey.act("start")
    journey.act("choose_lang", lang)
    journey.act("service", service_id)
    last: object = None
    printed_once = False
    try:
        while len(host.reports) == reports:
            view = host.view
            if view is last:
                host.pump(lambda shown=last: host.view is not shown
                          or len(host.reports) > reports, timeout=timeout)
                continue
            last = view
            kind, data = view.screen, view.data
            result.screens.append(kind)
            if kind == "insert_card":
                terminal.devices["card_reader"].insert(card)
            elif kind == "choose":
                usable = [o["value"] for o in data["options"] if not o.get("disabled")]
                if data["multi"]:
                    if not data["selected"]:
                        journey.act("toggle", usable[0])
                    else:
                        journey.act("confirm")
                else:
                    journey.act("pick", usable[0])
            elif kind == "form":
                journey.act("submit_form", {f["name"]: f["value"] or f.get("example", "")
                                            for f in data["fields"]})
            elif kind == "otp":
                host.pump(lambda before=seen_codes: len(
                    [m for m in phone.messages() if m.get("code")]) > before, timeout=timeout)
                seen_codes = len([m for m in phone.messages() if m.get("code")])
                journey.act("submit_code", phone.last_code())
            elif kind == "payment":
                assert phone.pay(data["payment_id"])
            elif kind in ("review", "quantity"):
                journey.act("confirm")
            elif kind == "kept":
                journey.act("print_kept")
            elif kind == "result":
                if data.get("can_print") and print_results and not printed_once:
                    printed_once = True
                    journey.act("print")
                else:
                    journey.act("finish")
            elif kind == "done":
                terminal.devices["card_reader"].remove()
            elif kind == "error":
                result.error = str(data.get("message"))
                journey.act("cancel")
    finally:
        phone.close()
        if terminal.devices["card_reader"].status.media.value == "present":
            terminal.devices["card_reader"].remove()
    result.outcome = host.reports[-1].outcome
    # A card left in the reader was asked for ("take your card"); once it is
    # taken the kiosk is back on the attract screen, ready for the next walk.
    host.pump(lambda: host.view.screen == "attract", timeout=timeout)
    return result
