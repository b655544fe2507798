"""Saving settings: validated as a start would, written atomically, comments
kept, every change reported with secrets hidden; and the settings a technician
may change from the screen."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import i18n
from kiosk.config import CONFIG_VERSION, Config, ConfigError, load
from kiosk.config.edit import HIDDEN, Change, save_changes, value_at
from kiosk.config.settings import SETTINGS, Setting, setting, step_value, value_of
from kiosk.devices.speaker import DEFAULT_VOLUME
from kiosk.i18n import LANGUAGES
from kiosk.maintenance.credentials import hash_pin
from kiosk.offline.audit import AuditLog

PIN_HASH = hash_pin("246810", n=2**12)
BASE = f"""\
# Hall 7's terminal: ask Ana before changing anything.
version = 2

[terminal]
id = "hall-07"  # as on the cabinet's label

[backend]
url = "https://gw.example"
terminal_token = "s3cr3t-token"

[session]
# Long forms here: more time.
idle_timeout_s = 90.0

[maintenance.technicians.T001]
pin = "{PIN_HASH}"
role = "technician"

[devices.printer]
driver = "cups"
queue = "front"  # the Epson by the door
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(BASE, encoding="utf-8")
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_changes_are_saved_with_comments_kept_and_reported(config_file: Path) -> None:
    config, changes = save_changes(config_file, {
        "session.idle_timeout_s": 120, "terminal.languages": ["pt", "en"],
        "terminal.default_language": "pt", "devices.speaker.volume": 60,
        "services.enabled": ["ssm.voucher-print", "fp.proof-of-life"],
        "devices.printer.queue": "front",  # as it is: not a change
        "terminal.id": "hall-07",
    })
    assert changes == [
        Change("session.idle_timeout_s", 90.0, 120.0),
        Change("terminal.languages", ("zh-Hant", "pt", "en"), ("pt", "en")),
        Change("terminal.default_language", "zh-Hant", "pt"),
        Change("devices.speaker.volume", DEFAULT_VOLUME, 60),
        Change("services.enabled", ("*",), ("ssm.voucher-print", "fp.proof-of-life")),
    ]
    assert load(config_file) == config
    assert config.session.idle_timeout_s == 120.0 and config.terminal.languages == ("pt", "en")
    assert config.enabled_services == ("ssm.voucher-print", "fp.proof-of-life")
    assert config.device("speaker").options == {"volume": 60}
    text = config_file.read_text(encoding="utf-8")
    for line in BASE.splitlines():
        if "#" in line:
            assert line in text  # every comment, on its line
    assert "idle_timeout_s = 120\n" in text and '[devices.speaker]\nvolume = 60\n' in text


def test_nothing_to_change_writes_nothing(config_file: Path) -> None:
    before = os.stat(config_file)
    config, changes = save_changes(config_file, {"session.idle_timeout_s": 90,
                                                 "session.idle_warning_s": 20.0})
    assert changes == [] and config == load(config_file)
    assert config_file.read_text() == BASE and os.stat(config_file).st_mtime_ns == \
        before.st_mtime_ns


def test_secrets_are_never_in_a_change(config_file: Path, tmp_path: Path) -> None:
    new_hash = hash_pin("97531864", n=2**12)
    config, changes = save_changes(config_file, {
        "backend.terminal_token": "n3w-t0ken",
        "maintenance.technicians.T001.pin": new_hash,
        "maintenance.technicians.T002": {"pin": new_hash, "role": "field"},
    })
    assert config.backend.terminal_token == "n3w-t0ken"
    assert config.maintenance.roles == {"T001": "technician", "T002": "field"}
    assert changes == [
        Change("backend.terminal_token", HIDDEN, HIDDEN),
        Change("maintenance.technicians.T001.pin", HIDDEN, HIDDEN),
        Change("maintenance.technicians.T002", None, {"pin": HIDDEN, "role": "field"}),
    ]
    shown = repr(changes) + repr([c.audit_details() for c in changes])
    for secret in ("s3cr3t-token", "n3w-t0ken", PIN_HASH, new_hash):
        assert secret not in shown
    # What the settings page writes to the audit log: the real log takes it.
    audit = AuditLog(tmp_path / "state" / "terminal.db", b"k" * 32)
    for change in changes:
        audit.append("technician:T001", "config.change", **change.audit_details())
    assert audit.verify().ok and len(audit.entries()) == 3
    assert audit.entries()[2].details == {"key": "maintenance.technicians.T002", "old": None,
                                          "new": str({"pin": HIDDEN, "role": "field"})}


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "terminal.toml"
    config, changes = save_changes(path, {"session.done_screen_s": 30,
                                          "devices.printer.queue": "lab"})
    assert changes == [Change("session.done_screen_s", 20.0, 30.0),
                       Change("devices.printer.queue", "kiosk", "lab")]
    assert path.read_text() == (f"version = {CONFIG_VERSION}\n\n[session]\ndone_screen_s = 30\n"
                                '\n[devices.printer]\nqueue = "lab"\n')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it may hold the credential
    assert load(path) == config and config.migrated_from is None
    assert not (tmp_path / "other.toml").exists()
    assert save_changes(tmp_path / "other.toml", {"session.done_screen_s": 20}) == (Config(), [])
    assert not (tmp_path / "other.toml").exists()  # no change, no file


def test_mode_and_symlink_are_kept(config_file: Path, tmp_path: Path) -> None:
    config_file.chmod(0o640)
    link = tmp_path / "current.toml"
    link.symlink_to(config_file)
    save_changes(link, {"session.idle_timeout_s": 100})
    assert link.is_symlink() and load(config_file).session.idle_timeout_s == 100
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o640


def test_none_removes_a_key_back_to_its_default(config_file: Path) -> None:
    config, changes = save_changes(config_file, {"session.idle_timeout_s": None,
                                                 "devices.speaker.volume": None})
    assert changes == [Change("session.idle_timeout_s", 90.0, 60.0)]
    assert "idle_timeout_s" not in config_file.read_text() and config.session == Config().session


@pytest.mark.parametrize(("changes", "names"), [
    ({"session.idle_warning_s": 10}, "session.idle_warning_s: must be at least 20"),
    ({"session.idle_timeout_s": "soon"}, "session.idle_timeout_s: must be a number"),
    ({"session.idle_timeout_s": float("nan")}, "session.idle_timeout_s: must be a finite"),
    ({"terminal.languages": ["pt", "fr"]}, "terminal.languages"),
    ({"terminal.default_language": "en", "terminal.languages": ["pt"]},
     "terminal.default_language"),
    ({"backend.url": "gw.example"}, "backend.url"),
    ({"devices.printer.driver": "laser"}, "devices.printer.driver"),
    ({"devices.printer.queue": "front door"}, "devices.printer.queue"),
    ({"devices.speaker.volume": 110}, "devices.speaker.volume"),
    ({"services.enabled": "all"}, "services.enabled"),
    ({"services.enabled": ["\ud800"]}, "services.enabled: text that is not valid Unicode"),
    ({"services.enabled": [None]}, "services.enabled"),
    ({"session.idle_timeout_s": object()}, "session.idle_timeout_s"),
    ({"terminal.id.part": "x"}, "terminal.id: must be a table"),
    ({"maintenance.technicians.T001.role": "boss"}, "maintenance.technicians.T001.role"),
    ({"session.colour": "red"}, "session.colour: unknown key"),
    ({"session..x": 1}, "session..x: not a key"),
])
def test_a_bad_value_names_the_key_and_leaves_the_file(config_file: Path,
                                                      changes: dict[str, Any],
                                                      names: str) -> None:
    with pytest.raises(ConfigError) as info:
        save_changes(config_file, changes)
    assert names in str(info.value)
    assert config_file.read_bytes() == BASE.encode()
    assert leftovers(config_file.parent) == ["terminal.toml"]


def test_an_invalid_file_can_be_fixed_by_the_edit(config_file: Path) -> None:
    config_file.write_text(BASE.replace("idle_timeout_s = 90.0", "idle_timeout_s = -1"))
    with pytest.raises(ConfigError, match=r"session\.idle_timeout_s: must not be negative"):
        save_changes(config_file, {"session.done_screen_s": 30})  # does not fix it
    config, changes = save_changes(config_file, {"session.idle_timeout_s": 45})
    assert changes == [Change("session.idle_timeout_s", -1, 45.0)]
    assert config.session.idle_timeout_s == 45.0


def test_a_v1_file_is_migrated_by_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "terminal.toml"
    original = f'# old\n[maintenance.technicians]\nT001 = "{PIN_HASH}"\n'
    path.write_text(original)
    config, changes = save_changes(path, {"session.idle_timeout_s": 70})
    assert changes[0] == Change("version", 1, CONFIG_VERSION)
    assert changes[1:] == [Change("session.idle_timeout_s", 60.0, 70.0)]
    assert path.with_name("terminal.toml.v1").read_text() == original
    assert config.maintenance.roles == {"T001": "technician"} and config.migrated_from is None
    assert load(path) == config


# --------------------------------------------------------------------------- crashes


def test_a_failed_replace_leaves_the_old_file(config_file: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ConfigError, match=r"terminal\.toml: cannot write the file \(No space"):
        save_changes(config_file, {"session.idle_timeout_s": 120})
    assert config_file.read_bytes() == BASE.encode()
    assert leftovers(config_file.parent) == ["terminal.toml"]


def test_an_error_mid_write_leaves_the_old_file(config_file: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise RuntimeError("the disk controller went away")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(RuntimeError):
        save_changes(config_file, {"session.idle_timeout_s": 120})
    assert config_file.read_bytes() == BASE.encode()
    assert leftovers(config_file.parent) == ["terminal.toml"]


KILLED_MID_SAVE = """
import os, signal, sys
from kiosk.config.edit import save_changes
def die(src, dst):  # the power cut: after the new text is on disk, before the rename
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = die
save_changes(sys.argv[1], {"session.idle_timeout_s": 120})
"""


def test_a_process_killed_mid_save_leaves_the_old_file(config_file: Path) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, str(config_file)],
                          capture_output=True, timeout=60)
    assert done.returncode == -9
    assert config_file.read_bytes() == BASE.encode()
    debris = [n for n in leftovers(config_file.parent) if n != "terminal.toml"]
    assert len(debris) == 1 and debris[0].startswith(".terminal.toml.")  # what a crash leaves
    save_changes(config_file, {"session.idle_timeout_s": 100})
    assert leftovers(config_file.parent) == ["terminal.toml"]  # the next save clears it
    assert load(config_file).session.idle_timeout_s == 100


def test_concurrent_saves_lose_nothing(config_file: Path) -> None:
    errors: list[BaseException] = []

    def save(key: str, values: range) -> None:
        try:
            for v in values:
                save_changes(config_file, {key: v})
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=("session.idle_timeout_s", range(30, 61, 5))),
               threading.Thread(target=save, args=("session.done_screen_s", range(5, 36, 5)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    config = load(config_file)
    assert (config.session.idle_timeout_s, config.session.done_screen_s) == (60.0, 35.0)


# --------------------------------------------------------------------------- settings


def test_the_settings_a_technician_may_change() -> None:
    assert [s.key for s in SETTINGS] == [
        "services.enabled", "terminal.languages", "terminal.default_language",
        "session.idle_timeout_s", "session.idle_warning_s", "session.done_screen_s",
        "backend.url", "devices.printer.driver", "devices.printer.queue",
        "devices.speaker.volume"]
    live = {s.key for s in SETTINGS if s.live}
    assert live == {"services.enabled", "terminal.languages", "terminal.default_language",
                    "session.idle_timeout_s", "session.idle_warning_s", "session.done_screen_s"}
    assert setting("services.enabled").options is None  # the installed services, at runtime
    assert setting("devices.printer.driver").options == ("simulator", "cups", "escpos")
    for s in SETTINGS:
        assert s.role == "technician"
        assert i18n.has(s.label_key) and i18n.has(s.help_key), s.key
        if s.kind == "number":
            assert s.minimum is not None and s.maximum is not None and s.step
            assert s.minimum < s.maximum
    with pytest.raises(KeyError):
        setting("backend.terminal_token")  # never from the screen


def test_values_in_effect_and_their_defaults(config_file: Path) -> None:
    defaults = Config()
    assert value_of(defaults, "devices.speaker.volume") == DEFAULT_VOLUME
    assert value_of(defaults, "devices.printer.queue") == "kiosk"
    assert value_of(defaults, "devices.printer.driver") == "simulator"
    assert value_of(defaults, "services.enabled") == ("*",)
    assert value_of(defaults, "terminal.languages") == LANGUAGES
    assert value_of(defaults, "session.idle_warning_s") == 20.0
    config = load(config_file)
    assert value_of(config, "devices.printer.queue") == "front"
    assert value_of(config, "backend.url") == "https://gw.example"
    assert value_at(config, "maintenance.technicians.T001.role") == "technician"
    for s in SETTINGS:  # each one's value in effect saves as no change
        assert save_changes(config_file, {s.key: value_of(config, s.key)})[1] == []
    assert config_file.read_text() == BASE


def test_the_number_stepper() -> None:
    timeout = setting("session.idle_timeout_s")
    assert step_value(timeout, 60.0, 1) == 70 and step_value(timeout, 60.0, -1) == 50
    assert step_value(timeout, 65, 1) == 70 and step_value(timeout, 65, -1) == 60  # onto the grid
    assert step_value(timeout, 600, 1) == 600 and step_value(timeout, 30, -1) == 30
    assert step_value(timeout, 1000, -1) == 600 and step_value(timeout, 5, 1) == 30
    volume = setting("devices.speaker.volume")
    assert step_value(volume, 80, 1) == 90 and isinstance(step_value(volume, 80, 1), int)
    with pytest.raises(ValueError):
        step_value(volume, 80, 2)
    with pytest.raises(ValueError):
        step_value(setting("backend.url"), 1, 1)


def values_for(s: Setting) -> st.SearchStrategy[Any]:
    junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                     st.text(max_size=12), st.lists(st.text(max_size=5), max_size=3))
    if s.kind == "number":
        assert s.minimum is not None and s.maximum is not None
        return st.one_of(st.integers(int(s.minimum) - 50, int(s.maximum) + 50),
                         st.floats(s.minimum - 50, s.maximum + 50), junk)
    if s.kind == "choice":
        return st.one_of(st.sampled_from(s.options or ("x",)), junk)
    if s.kind == "choices":
        ids = s.options or ("ssm.voucher-print", "dsi.card-check", "*")
        return st.one_of(st.lists(st.sampled_from(ids), max_size=4),
                         st.lists(st.one_of(st.sampled_from(ids), st.text(max_size=6)),
                                  max_size=4), junk)
    return st.one_of(st.sampled_from(["https://gw.example:8443/api", "http://10.0.0.7",
                                      "embedded-sandbox", "queue-2", "Epson_TM"]),
                     st.text(max_size=30), junk)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_of_any_setting_saves_or_names_its_key(tmp_path: Path, data: Any) -> None:
    for s in SETTINGS:
        value = data.draw(values_for(s), label=s.key)
        path = Path(tempfile.mkdtemp(dir=tmp_path)) / "terminal.toml"
        path.write_text(BASE, encoding="utf-8")
        try:
            config, changes = save_changes(path, {s.key: value})
        except ConfigError as e:
            assert s.key in str(e), (s.key, value, str(e))
            assert path.read_bytes() == BASE.encode()
            assert leftovers(path.parent) == ["terminal.toml"]
            continue
        assert load(path) == config  # re-loads equal
        now = value_of(config, s.key)
        if value is None:  # removed: back to the default
            assert now == value_of(Config(), s.key)
        else:
            expected = tuple(value) if isinstance(value, list) else value
            assert now == expected and isinstance(now, bool) == isinstance(value, bool), \
                (s.key, value)
        assert all(c.key == s.key for c in changes) and len(changes) <= 1
