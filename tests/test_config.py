"""Terminal config: defaults, the documented example, and broken files named clearly."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import (
    CONFIG_VERSION,
    Config,
    ConfigError,
    IdentityConfig,
    config_path,
    data_dir,
    default_config_path,
    load,
    parse,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "terminal.example.toml"


def test_defaults_are_the_demo() -> None:
    cfg = load(None)
    assert cfg == Config()
    assert cfg.uses_embedded_sandbox
    assert cfg.terminal.default_language == "zh-Hant"


def test_example_file_is_valid_and_documents_every_key() -> None:
    cfg = load(EXAMPLE)
    assert cfg.terminal.id
    # The example is what the package installs: it is the current version.
    assert cfg.version == CONFIG_VERSION and cfg.migrated_from is None
    text = EXAMPLE.read_text(encoding="utf-8")
    assert f"\nversion = {CONFIG_VERSION}\n" in text
    for documented in ("[maintenance.technicians.T001]", 'role = "technician"', '"field"'):
        assert documented in text
    for section in ("terminal", "backend", "session", "identity", "face", "printing"):
        for key in getattr(Config(), section).__dataclass_fields__:
            assert f"\n{key} =" in text or f"\n# {key} =" in text, f"{section}.{key} undocumented"
    for device in ("card_reader", "camera", "printer"):
        assert f"[devices.{device}]" in text


@pytest.mark.parametrize(("text", "names"), [
    ("[terminal]\nid = 3\n", "terminal.id: must be a string"),
    ("[printing]\nkeep_days = 0\n", "printing.keep_days: must be more than 0"),
    ("[terminal]\nlanguages = ['zh-Hant', 'fr']\n", "terminal.languages"),
    ("[terminal]\ndefault_language = 'pt'\nlanguages = ['en']\n", "terminal.default_language"),
    ("[backend]\nurl = 'ftp://x'\n", "backend.url"),
    ("[backend]\nread_timeout_s = 'soon'\n", "backend.read_timeout_s: must be a number"),
    ("[backend]\nretries = 1.5\n", "backend.retries: must be a whole number"),
    ("[session]\nidle_warning_s = 5\n", "session.idle_warning_s: must be at least 20"),
    ("[session]\nidel_timeout_s = 5\n", "session.idel_timeout_s: unknown key"),
    ("[devices.scanner]\ndriver = 'x'\n", "devices.scanner: unknown device"),
    ("[devices.printer]\ndriver = 'laser'\n", "devices.printer.driver"),
    ("[services]\nenabled = 'all'\n", "services.enabled"),
    ("version = 99\n", "version: 99 is newer"),
    ("version = 0\n", "version: must be 1 or more"),
    ("version = '2'\n", "version: must be a whole number"),
    ("version = 2\n[session]\nidle_timeout_s = nan\n", "session.idle_timeout_s: must be a finite"),
    ("[session]\ndone_screen_s = 0\n", "session.done_screen_s: must be more than 0"),
    ("[terminal]\nlanguages = ['en', 'en']\ndefault_language = 'en'\n",
     "terminal.languages: each language once"),
    ("[backend]\nurl = 'https://'\n", "backend.url: must be an http(s) URL with a host"),
    ("[backend]\nurl = 'http://gw example'\n", "backend.url"),
    ("[devices.speaker]\nvolume = 101\n", "devices.speaker.volume: must be a whole number 0"),
    ("[devices.speaker]\nvolume = 50.5\n", "devices.speaker.volume"),
    ("[devices.printer]\ndriver = 'cups'\nqueue = 'front desk'\n",
     "devices.printer.queue: must be a CUPS queue name"),
    ("colour = 'red'\n", "colour: unknown key"),
    ("[terminal\nid = 'x'\n", "not valid TOML"),
    ("[identity]\ntrusted_issuers = []\n", "identity.trusted_issuers: must name at least one"),
    ("[identity]\ntrusted_issuers = 'sandbox'\n", "identity.trusted_issuers: must be a list"),
    ("[identity]\ntrusted_issuers = ['ca.pem']\n", "identity.trusted_issuers: 'ca.pem' must be"),
    ("[identity]\ntrusted_issuers = ['/nonexistent/ca.pem']\n",
     "identity.trusted_issuers: /nonexistent/ca.pem: no such file"),
    ("[identity]\ntrust = ['sandbox']\n", "identity.trust: unknown key"),
])
def test_broken_config_names_the_key(text: str, names: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse(text, source="t.toml")
    assert names in str(info.value)
    assert str(info.value).startswith("t.toml: ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_config_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse(text)


def test_missing_file_and_cli_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[backend]\nread_timeout_s = -1\n")
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "validate", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "backend.read_timeout_s: must not be negative" in result.stderr
    assert "Traceback" not in result.stderr
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "validate",
                             str(EXAMPLE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_file_without_a_version_is_version_1() -> None:
    old = parse("[session]\nidle_timeout_s = 90\n")
    assert old.migrated_from == 1 and old.version == CONFIG_VERSION
    current = parse(f"version = {CONFIG_VERSION}\n[session]\nidle_timeout_s = 90\n")
    assert current.migrated_from is None
    assert old == current  # which version it came from is not part of what it says


def test_which_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert config_path(None) is None  # nothing there: the built-in defaults
    assert not (tmp_path / "home").exists()  # and asking created nothing
    saved = default_config_path()
    assert saved == (tmp_path / "home" / "terminal.toml").resolve()
    saved.parent.mkdir()
    saved.write_text("version = 2\n")
    assert config_path(None) == saved
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(None) == tmp_path / "env.toml"  # named, even if missing
    assert config_path(tmp_path / "given.toml") == tmp_path / "given.toml"


def test_the_cli_reads_the_data_directorys_file(tmp_path: Path) -> None:
    """What a demo's settings screen saved is what the next start reads."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    env["KIOSK_HOME"] = str(home)
    show = [sys.executable, "-m", "kiosk.cli", "config", "show"]
    before = json.loads(subprocess.run(show, capture_output=True, text=True, env=env,
                                       check=True).stdout)
    assert before["file"] is None and before["session"]["idle_timeout_s"] == 60.0
    (home / "terminal.toml").write_text("version = 2\n[session]\nidle_timeout_s = 120\n")
    after = json.loads(subprocess.run(show, capture_output=True, text=True, env=env,
                                      check=True).stdout)
    assert after["file"] == str((home / "terminal.toml").resolve())
    assert after["session"]["idle_timeout_s"] == 120.0


def test_kiosk_home_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_HOME", str(tmp_path / "a"))
    assert data_dir("/somewhere/else") == (tmp_path / "a").resolve()
    monkeypatch.delenv("KIOSK_HOME")
    assert data_dir(tmp_path / "b") == (tmp_path / "b").resolve()
    assert (tmp_path / "b").is_dir()


def test_identity_defaults_to_the_sandbox_issuer() -> None:
    cfg = load(None)
    assert cfg.identity == IdentityConfig(trusted_issuers=("sandbox",))
    assert cfg.identity.trusts_sandbox
    assert cfg.identity.certificate_files == ()


def test_identity_with_a_ca_file(tmp_path: Path) -> None:
    from kiosk.sandbox.issuer import ca_certificate_pem

    pem = tmp_path / "issuer-ca.pem"
    pem.write_bytes(ca_certificate_pem())
    cfg = parse(f"[identity]\ntrusted_issuers = [{str(pem)!r}]\n")
    assert cfg.identity.certificate_files == (str(pem),)
    assert not cfg.identity.trusts_sandbox
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    with pytest.raises(ConfigError, match=r"identity\.trusted_issuers: .*key\.pem: not a PEM"):
        parse(f"[identity]\ntrusted_issuers = ['sandbox', {str(key)!r}]\n")
    with pytest.raises(ConfigError, match=r"identity\.trusted_issuers: .*: not a regular file"):
        parse(f"[identity]\ntrusted_issuers = [{str(tmp_path)!r}]\n")


def test_a_certificate_path_that_is_a_fifo_or_huge_is_refused_not_read(tmp_path: Path) -> None:
    """Named by mistake, a FIFO would hold the start for ever (nobody writes to
    it) and a huge file would be read whole: both are refused by what they are."""
    fifo = tmp_path / "issuer.pem"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"trusted_issuers: .*issuer\.pem: not a regular"):
        parse(f"[identity]\ntrusted_issuers = [{str(fifo)!r}]\n")
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"A" * (2 * 1024 * 1024))
    with pytest.raises(ConfigError, match=r"huge\.pem: larger than"):
        parse(f"[identity]\ntrusted_issuers = [{str(huge)!r}]\n")
    with pytest.raises(ConfigError, match=r"backend\.ca_file: .*issuer\.pem: not a regular"):
        parse(f"[backend]\nurl = 'https://gateway.example'\nca_file = {str(fifo)!r}\n")


PRODUCTION = """version = 2
[terminal]
production = true
[backend]
url = "https://gateway.gov.mo/kiosk"
[identity]
trusted_issuers = ["{ca}"]
[face]
engine = "dlib"
[devices.card_reader]
driver = "pcsc"
[devices.camera]
driver = "opencv"
[devices.printer]
driver = "cups"
[maintenance.technicians.T001]
pin = "{pin}"
role = "technician"
"""


def test_a_production_terminal_refuses_anything_of_the_demo(tmp_path: Path) -> None:
    from kiosk.maintenance.credentials import hash_pin
    from kiosk.sandbox.issuer import ca_certificate_pem

    ca = tmp_path / "issuer-ca.pem"  # a CA file (here the sandbox's, by path: it is a test)
    ca.write_bytes(ca_certificate_pem())
    good = PRODUCTION.format(ca=ca, pin=hash_pin("246810", n=2**12))
    assert parse(good).terminal.production
    for old, new, key in [
        ('url = "https://gateway.gov.mo/kiosk"', 'url = "embedded-sandbox"', "backend.url"),
        (f'trusted_issuers = ["{ca}"]', 'trusted_issuers = ["sandbox"]',
         "identity.trusted_issuers"),
        ('driver = "pcsc"', 'driver = "simulator"', "devices.card_reader.driver"),
        ('driver = "opencv"', 'driver = "simulator"', "devices.camera.driver"),
        ('driver = "cups"', 'driver = "simulator"', "devices.printer.driver"),
        ('engine = "dlib"', 'engine = "simulator"', "face.engine"),
        ('engine = "dlib"', 'engine = "dlib"\nliveness = false', "face.liveness"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(key)):
            parse(good.replace(old, new))
    without_technician = good[:good.index("[maintenance")]
    with pytest.raises(ConfigError, match=re.escape("maintenance.technicians")):
        parse(without_technician)
    # The same demo settings are fine on a terminal that is not in production.
    assert not parse(good.replace("production = true", "production = false")
                     .replace('engine = "dlib"', 'engine = "simulator"')).terminal.production
