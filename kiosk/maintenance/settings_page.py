"""The settings page: what a technician may change (kiosk/config/settings.py
says which), edited as a draft, then saved in one go: validated, written
atomically, each change in the audit log, and put into effect at once where
it can be (services, languages, timeouts) or at the next start (the backend,
the printer, the speaker), which the kiosk then makes when it returns to
service.

Action values are strings ("key" or "key|option"): they travel as a button's
property and its object name, which tests tap by.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Config, ConfigError
from kiosk.config.edit import same_value, save_changes
from kiosk.config.paths import default_config_path
from kiosk.config.settings import BY_KEY, SETTINGS, Setting, step_value, value_of
from kiosk.i18n import LANGUAGE_NAMES

if TYPE_CHECKING:
    from kiosk.journey import Journey
    from kiosk.maintenance.pages import Pages

log = logging.getLogger(__name__)

class SettingsPage:
    def __init__(self, path: Path | None, config: Config, journey: Journey, registry: Any,
                 *, apply: Callable[[Config], None] | None = None) -> None:
        # No file yet (a terminal on the defaults): the first change creates one
        # where the kiosk looks for it at its next start.
        self.path = Path(path) if path is not None else default_config_path()
        self.config = config
        self.journey = journey
        self.registry = registry
        self.apply = apply
        self.pages: Pages | None = None
        self.draft: dict[str, Any] = {}
        self.error: dict[str, str] | None = None  # {key, message} of a refused save
        self.saved: int | None = None  # how many changes the last save made
        self.restart_pending = False
        self.editing: str | None = None  # the text setting on the keyboard

    def attach(self, pages: Pages) -> None:
        self.pages = pages

    @staticmethod
    def setting(key: str) -> Setting | None:
        return BY_KEY.get(key)

    def value(self, key: str) -> Any:
        return self.draft[key] if key in self.draft else value_of(self.config, key)

    def options(self, s: Setting) -> list[dict[str, Any]]:
        """Each option's value and its label ({lang: text} or a plain name)."""
        if s.key == "services.enabled":
            return [{"value": sid, "label": dict(svc.titles)}
                    for sid, svc in sorted(self.registry.catalog.items())]
        if s.key in ("terminal.languages", "terminal.default_language"):
            return [{"value": lang, "label": name} for lang, name in LANGUAGE_NAMES.items()]
        return [{"value": o, "label": str(o)} for o in (s.options or ())]

    # ----- the page's data ---------------------------------------------------------

    def data(self) -> dict[str, Any]:
        rows = []
        for s in SETTINGS:
            value = self.value(s.key)
            if s.key == "services.enabled" and list(value) == ["*"]:
                value = sorted(self.registry.catalog)  # "*" is every installed service
            rows.append({"key": s.key, "kind": s.kind, "value": _plain(value),
                         "options": self.options(s) if s.kind in ("choice", "choices") else [],
                         "changed": s.key in self.draft, "live": s.live})
        return {"settings": rows, "error": self.error, "pending": bool(self.draft),
                "saved": self.saved, "restart_pending": self.restart_pending}

    def edit_data(self) -> dict[str, Any]:
        key = self.editing or ""
        return {"key": key, "value": str(self.value(key) or "")}

    # ----- actions -------------------------------------------------------------------

    def act(self, action: str, value: Any) -> None:
        assert self.pages is not None
        key, _, option = str(value or "").partition("|")
        s = self.setting(key)
        if action == "maint.settings":
            self.error, self.saved = None, None
            self.pages.go("maint_settings")
        elif action == "maint.setting_step" and s is not None and s.kind == "number":
            self._set(key, step_value(s, self.value(key), 1 if option == "up" else -1))
        elif action == "maint.setting_toggle" and s is not None:
            self._toggle(s, option)
        elif action == "maint.edit" and s is not None and s.kind == "text":
            self.editing = key
            self.pages.go("maint_edit")
        elif action == "maint.text" and self.editing is not None:
            text = value if isinstance(value, str) else ""
            self._set(self.editing, text.strip())
            self.editing = None
            self.pages.go("maint_settings")
        elif action == "maint.setting_discard":
            self.draft, self.error, self.saved = {}, None, None
            self.pages.redraw()
        elif action == "maint.save" and self.draft:
            self._save()

    def _toggle(self, s: Setting, option: str) -> None:
        valid = {str(o["value"]) for o in self.options(s)}
        if option not in valid:
            return
        if s.kind == "choice":
            self._set(s.key, option)
            return
        current = list(self.value(s.key))
        if s.key == "services.enabled" and current == ["*"]:
            current = sorted(self.registry.catalog)
        chosen = [v for v in current if v != option] if option in current else \
            [*current, option]
        # Kept in the options' order: a file that reads the same way every time.
        order = [str(o["value"]) for o in self.options(s)]
        self._set(s.key, [v for v in order if v in chosen])

    def _set(self, key: str, value: Any) -> None:
        self.error, self.saved = None, None
        if same_value(value, value_of(self.config, key)):  # as saving would judge it
            self.draft.pop(key, None)
        else:
            self.draft[key] = value
        assert self.pages is not None
        self.pages.redraw()

    def _save(self) -> None:
        assert self.pages is not None and self.pages.mode is not None
        mode, changes = self.pages.mode, dict(self.draft)

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                # Nothing saved: the file is as it was. A validation message
                # names the key (and says what is wrong with it, in English, as
                # `kiosk config validate` does); anything else is in the log.
                if isinstance(error, ConfigError):
                    self.error = {"key": _key_in(str(error), changes) or "",
                                  "message": str(error).split(": ", 1)[-1]}
                else:
                    log.error("settings not saved: %s", type(error).__name__)
                    self.error = {"key": "", "message": type(error).__name__}
                self.pages.redraw()  # type: ignore[union-attr]
                return
            config, made = result
            for change in made:  # secrets come hidden already
                mode.audit.append(mode.actor, "config.change", **change.audit_details())
            self._put_in_effect(config, [c.key for c in made])
            self.draft, self.error, self.saved = {}, None, len(made)
            self.pages.redraw()  # type: ignore[union-attr]

        mode.run(lambda: save_changes(self.path, changes), done)

    def _put_in_effect(self, config: Config, keys: list[str]) -> None:
        self.config = config
        # "version": a v1 file saved is migrated first; that changes no setting.
        live = {s.key for s in SETTINGS if s.live} | {"version"}
        if any(k not in live for k in keys):
            self.restart_pending = True
        j = self.journey
        j.services = {s.id: s for s in self.registry.enabled(config.enabled_services)}
        j.languages = tuple(config.terminal.languages)
        j.default_lang = config.terminal.default_language
        j.timeouts = config.session
        if self.apply is not None:
            self.apply(config)
        log.info("settings saved: %s", ", ".join(keys))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _key_in(message: str, changes: Mapping[str, Any]) -> str | None:
    """The changed key a validation message names (for the page to mark it)."""
    return next((k for k in changes if k in message), None)
