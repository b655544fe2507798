"""A form the citizen fills on the on-screen keyboard, checked before it goes on.

What the kiosk already knows (from the card and the citizen's profile at the
gateway) is filled in: the citizen confirms or corrects, never retypes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.services.contract import Step, StepContext

_CHECKS: dict[str, tuple[re.Pattern[str], str]] = {
    "digits": (re.compile(r"\d+"), "form.error.digits"),
    "phone": (re.compile(r"\+?[\d ]{8,16}"), "form.error.phone"),
    "email": (re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "form.error.email"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # text key
    kind: str = "text"  # text | digits | phone | email | multiline | choice
    required: bool = True
    max_length: int = 80
    # For kind "choice": (value, label key) pairs.
    options: Sequence[tuple[str, str]] = ()
    # What the autopilot and the demo type when the field is empty.
    example: str = ""

    def check(self, value: str) -> str | None:
        """The text key of what is wrong with ``value``, or None."""
        if not value:
            return "form.error.required" if self.required else None
        if len(value) > self.max_length:
            return "form.error.too_long"
        if self.kind == "choice":
            return None if value in {v for v, _ in self.options} else "form.error.required"
        check = _CHECKS.get(self.kind)
        if check is not None and not check[0].fullmatch(value):
            return check[1]
        return None

    def view(self, value: str, error: str | None) -> dict[str, Any]:
        shown: dict[str, Any] = {"name": self.name, "label": self.label, "kind": self.kind,
                                 "value": value, "required": self.required,
                                 "max_length": self.max_length, "example": self.example}
        if self.options:
            shown["options"] = [{"value": v, "label": label} for v, label in self.options]
        if error:
            shown["error"] = error
        return shown


Prefill = Callable[[StepContext], Mapping[str, str]]


@dataclass(frozen=True, kw_only=True)
class Form(Step):
    id: str
    title: str  # text key
    fields: Sequence[Field]
    result_key: str
    # Runs off the UI thread (it may ask the gateway for the citizen's profile).
    prefill: Prefill | None = None
    note: str | None = None

    def enter(self, ctx: StepContext) -> None:
        done = ctx.session.data.get(self.result_key)
        if isinstance(done, dict):  # back here on a retry: what was entered stays
            self._show(ctx, dict(done), {})
            return
        if self.prefill is None:
            self._show(ctx, {}, {})
            return
        ctx.show("progress", message="wait.loading")
        ctx.run(lambda: dict(self.prefill(ctx)) if self.prefill else {},
                lambda values: self._show(ctx, values, {}), wait=self.id)

    def _show(self, ctx: StepContext, values: dict[str, str],
              errors: Mapping[str, str]) -> None:
        ctx.state["values"] = values
        data: dict[str, Any] = {"title": self.title, "fields": [
            f.view(values.get(f.name, ""), errors.get(f.name)) for f in self.fields]}
        if self.note:
            data["note"] = self.note
        ctx.show("form", **data)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        if action != "submit_form" or not isinstance(value, Mapping) or "values" not in ctx.state:
            return
        values = {f.name: str(value.get(f.name, "")).strip() for f in self.fields}
        errors = {f.name: e for f in self.fields if (e := f.check(values[f.name]))}
        if errors:
            self._show(ctx, values, errors)
            return
        ctx.session.data[self.result_key] = values
        ctx.next()
