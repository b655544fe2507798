"""The demo citizen's phone: reads the SMS the sandbox sent, pays with a wallet.

Talks to the sandbox's test-control API (``/_sandbox/``) over HTTP, so the demo's
simulation panel and the autopilot use the sandbox as a citizen's phone would
(an SMS arrives, a wallet app pays), never reaching into the kiosk.
"""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_S = 5.0


class SandboxPhone:
    def __init__(self, gateway_url: str) -> None:
        self.url = gateway_url.rstrip("/")
        self._http = requests.Session()

    def messages(self) -> list[dict[str, Any]]:
        """Every SMS the sandbox sent, oldest first: ``{at, phone_masked, text, code}``."""
        try:
            resp = self._http.get(f"{self.url}/_sandbox/sms", timeout=TIMEOUT_S)
            resp.raise_for_status()
            reply = resp.json()
        except (requests.RequestException, ValueError):
            return []  # not a sandbox, or it is down: the phone shows nothing
        return reply if isinstance(reply, list) else []

    def last_code(self) -> str | None:
        codes = [m.get("code") for m in self.messages() if m.get("code")]
        return str(codes[-1]) if codes else None

    def pay(self, payment_id: str) -> bool:
        """The wallet pays ``payment_id``; False if the sandbox refused."""
        try:
            resp = self._http.post(f"{self.url}/_sandbox/payments/pay",
                                   json={"payment_id": payment_id}, timeout=TIMEOUT_S)
        except requests.RequestException:
            return False
        return resp.ok

    def close(self) -> None:
        self._http.close()
