"""Config versions: a v1 file works (migrated in memory), `kiosk config migrate`
rewrites it keeping its comments, and technicians' roles (version 2)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import CONFIG_VERSION, ConfigError, load, parse
from kiosk.config.edit import document_table, migrate_file
from kiosk.config.migrate import MIGRATIONS, upgrade
from kiosk.maintenance.credentials import ACTS, PERMITS, gate_for, hash_pin, may

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "terminal.example.toml"
KIOSK = [sys.executable, "-m", "kiosk.cli"]
FAST = 2**12  # the cheapest scrypt cost the gate accepts
PIN_T001, PIN_T002 = "246810", "13579246"
HASHES = {"T001": hash_pin(PIN_T001, n=FAST), "T002": hash_pin(PIN_T002, n=FAST)}

V1 = f"""\
# The hall's terminal.
version = 1

[terminal]
id = "hall-07"  # as on the cabinet's label
languages = ["pt", "en"]
default_language = "pt"

[maintenance]
# Three wrong PINs are enough here.
max_failures = 3

[maintenance.technicians]
# Ana, the hall's technician
T001 = "{HASHES['T001']}"  # since 2024
T002 = "{HASHES['T002']}"

[session]
idle_timeout_s = 90.0
"""


def kiosk(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=60,
                          env={**env, "KIOSK_HOME": str(home)})


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(V1, encoding="utf-8")
    return path


def test_a_v1_file_works_migrated_in_memory_with_one_warning(
        v1_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        config = load(v1_file)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "kiosk config migrate" in warnings[0].getMessage()
    assert str(v1_file) in warnings[0].getMessage()
    assert config.migrated_from == 1 and config.version == CONFIG_VERSION
    assert config.maintenance.technicians == HASHES
    # Everyone a v1 file named could change settings: they keep that.
    assert config.maintenance.roles == {"T001": "technician", "T002": "technician"}
    assert config.maintenance.max_failures == 3 and config.terminal.id == "hall-07"
    assert v1_file.read_text(encoding="utf-8") == V1  # reading never writes


def test_migrate_keeps_comments_and_values_and_the_original(v1_file: Path) -> None:
    in_memory = load(v1_file)
    done = migrate_file(v1_file)
    assert done.from_version == 1 and done.backup == v1_file.with_name("terminal.toml.v1")
    assert done.backup.read_text(encoding="utf-8") == V1
    assert done.notes[0] == f"version: 1 → {CONFIG_VERSION}"
    assert any(n.startswith("maintenance.technicians.T001:") for n in done.notes)
    text = v1_file.read_text(encoding="utf-8")
    assert comments(text) == comments(V1)  # every comment, in order
    assert f"\nversion = {CONFIG_VERSION}\n" in text
    assert f'[maintenance.technicians.T001]\npin = "{HASHES["T001"]}"  # since 2024\n' \
           'role = "technician"\n' in text
    migrated = load(v1_file)
    assert migrated.migrated_from is None
    assert migrated == in_memory  # loading v1 in memory is loading the migrated file
    # The technicians still get in, with the PINs they had.
    assert gate_for(migrated, v1_file.parent).try_pin(PIN_T002).technician == "T002"


def test_migrate_again_changes_nothing(v1_file: Path) -> None:
    migrate_file(v1_file)
    once = v1_file.read_bytes()
    again = migrate_file(v1_file)
    assert again.notes == [] and again.backup is None
    assert v1_file.read_bytes() == once


def test_a_file_without_version_migrates_too(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f'# no version\n[maintenance.technicians]\nT9 = "{HASHES["T001"]}"\n')
    done = migrate_file(path)
    assert done.from_version == 1 and path.with_name("t.toml.v1").exists()
    text = path.read_text()
    assert text.startswith("# no version\n") and "\nversion = 2\n" in text
    assert load(path).maintenance.roles == {"T9": "technician"}


@pytest.mark.parametrize("layout", [
    '[maintenance]\ntechnicians = {{T001 = "{h}", T002 = "{h}"}}\n',
    'maintenance.technicians.T001 = "{h}"\n',
    'maintenance = {{technicians = {{T001 = "{h}"}}}}\n',
])
def test_other_layouts_migrate_to_the_same_meaning(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(layout.format(h=HASHES["T001"]))
    in_memory = load(path)
    migrate_file(path)
    assert load(path) == in_memory and in_memory.maintenance.roles["T001"] == "technician"


def test_a_layout_tomlkit_cannot_keep_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    text = f'[maintenance]\ntechnicians.T001 = "{HASHES["T001"]}"\nmax_failures = 3\n'
    path.write_text(text)
    assert load(path).maintenance.roles == {"T001": "technician"}  # it still works
    with pytest.raises(ConfigError, match="cannot be migrated keeping its layout"):
        migrate_file(path)
    assert path.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["t.toml"]


def test_an_invalid_v1_file_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    text = '[maintenance.technicians]\nT001 = "246810"\n'  # a bare PIN
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"maintenance\.technicians\.T001: must be a PIN hash"):
        migrate_file(path)
    assert path.read_text() == text and not path.with_name("t.toml.v1").exists()


def test_an_earlier_different_backup_is_not_overwritten(v1_file: Path) -> None:
    backup = v1_file.with_name("terminal.toml.v1")
    backup.write_text("# an older original\n")
    with pytest.raises(ConfigError, match=r"terminal\.toml\.v1 already exists"):
        migrate_file(v1_file)
    assert v1_file.read_text() == V1 and backup.read_text() == "# an older original\n"


def test_the_example_is_current_and_its_v1_form_migrates(tmp_path: Path) -> None:
    assert migrate_file(EXAMPLE, check=True).notes == []
    old = tmp_path / "old.toml"
    old.write_text(EXAMPLE.read_text().replace("\nversion = 2\n", "\nversion = 1\n")
                   .replace("[fleet]", f'T001 = "{HASHES["T001"]}"\n\n[fleet]'))
    done = migrate_file(old)
    assert comments(old.read_text()) == comments(done.backup.read_text())
    assert load(old).maintenance.roles == {"T001": "technician"}


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}", fullmatch=True),
                       st.sampled_from(list(HASHES.values())), max_size=5),
       st.booleans())
def test_a_migration_means_the_same_on_a_dict_and_a_document(technicians: dict[str, str],
                                                            with_version: bool) -> None:
    """Written once over a MutableMapping: tomllib's dict and tomlkit's document
    end up holding the same data."""
    doc = tomlkit.document()
    if with_version:
        doc["version"] = 1
    doc["maintenance"] = {"max_failures": 4, "technicians": technicians}
    plain = doc.unwrap()
    notes = upgrade(plain)
    assert upgrade(doc, document_table) == notes
    assert tomlkit.parse(tomlkit.dumps(doc)).unwrap() == plain
    assert plain["version"] == CONFIG_VERSION
    assert all(entry == {"pin": technicians[who], "role": "technician"}
               for who, entry in plain["maintenance"]["technicians"].items())
    assert upgrade(plain) == []  # current: nothing more to do


def test_every_version_has_its_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(1, CONFIG_VERSION))


# --------------------------------------------------------------------------- roles


def test_roles_are_parsed_and_checked() -> None:
    h = HASHES["T001"]
    config = parse(f'version = 2\n[maintenance.technicians.T001]\npin = "{h}"\nrole = "field"\n'
                   f'[maintenance.technicians.T002]\npin = "{h}"\nrole = "technician"\n')
    m = config.maintenance
    assert m.technicians == {"T001": h, "T002": h}
    assert m.roles == {"T001": "field", "T002": "technician"}
    assert m.role_of("T001") == "field" and m.role_of("T002") == "technician"
    with pytest.raises(KeyError):
        m.role_of("T003")  # someone the config does not name has no role at all
    assert may(m.role_of("T002"), "settings") and not may(m.role_of("T001"), "settings")
    assert may("field", "diagnostics") and may("field", "consumables")
    assert not may("stranger", "diagnostics")
    assert set(PERMITS["technician"]) == set(ACTS)


@pytest.mark.parametrize(("body", "names"), [
    ('pin = "{h}"\nrole = "admin"\n', r"maintenance\.technicians\.T001\.role: 'admin' is not"),
    ('pin = "{h}"\n', r"maintenance\.technicians\.T001\.role: missing"),
    ('role = "field"\n', r"maintenance\.technicians\.T001: must be a PIN hash"),
    ('pin = "123456"\nrole = "field"\n', r"maintenance\.technicians\.T001: must be a PIN hash"),
    ('pin = "{h}"\nrole = "field"\nbadge = 3\n', r"maintenance\.technicians\.T001\.badge: unknown"),
])
def test_a_bad_technician_names_the_key(body: str, names: str) -> None:
    text = "version = 2\n[maintenance.technicians.T001]\n" + body.format(h=HASHES["T001"])
    with pytest.raises(ConfigError, match=names):
        parse(text)


def test_a_v1_line_in_a_v2_file_says_what_to_write() -> None:
    with pytest.raises(ConfigError, match=r"maintenance\.technicians\.T001: since config "
                                          r"version 2 a table"):
        parse(f'version = 2\n[maintenance.technicians]\nT001 = "{HASHES["T001"]}"\n')


# --------------------------------------------------------------------------- the CLI


def test_migrate_on_the_command_line(v1_file: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    check = kiosk("config", "migrate", "--check", str(v1_file), home=home)
    assert check.returncode == 1, check.stderr
    assert "version 1, needs `kiosk config migrate" in check.stdout
    assert v1_file.read_text() == V1 and not v1_file.with_name("terminal.toml.v1").exists()
    valid = kiosk("config", "validate", str(v1_file), home=home)
    assert valid.returncode == 0
    assert "valid, but an old version (1" in valid.stdout and "kiosk config migrate" in valid.stdout
    done = kiosk("config", "migrate", str(v1_file), home=home)
    assert done.returncode == 0, done.stderr
    assert "maintenance.technicians.T001: now a table" in done.stdout
    assert "terminal.toml.v1" in done.stdout
    assert HASHES["T001"] not in done.stdout + done.stderr  # nothing secret printed
    assert kiosk("config", "migrate", "--check", str(v1_file), home=home).returncode == 0
    again = kiosk("config", "validate", str(v1_file), home=home)
    assert again.returncode == 0 and again.stdout.strip() == f"{v1_file}: valid"


def test_an_old_config_in_use_is_named_on_stderr(v1_file: Path, tmp_path: Path) -> None:
    shown = kiosk("--config", str(v1_file), "config", "show", home=tmp_path / "home")
    assert shown.returncode == 0, shown.stderr
    assert f"kiosk config migrate {v1_file}" in shown.stderr
    assert HASHES["T001"] not in shown.stdout and '"T001": "(set, hidden)"' in shown.stdout
    assert '"T001": "technician"' in shown.stdout  # roles are not secret


@pytest.mark.parametrize(("text", "names"), [
    ("version = 3\n", "version: 3 is newer than this kiosk understands (2)"),
    ("version = 'two'\n", "version: must be a whole number"),
    ("[maintenance\n", "not valid TOML"),
    ('version = 2\n[maintenance.technicians.T001]\npin = "x"\nrole = "boss"\n',
     "maintenance.technicians.T001"),
])
def test_broken_files_exit_2_naming_the_key(tmp_path: Path, text: str, names: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    for args in (["config", "migrate", str(path)], ["config", "migrate", "--check", str(path)],
                 ["config", "validate", str(path)], ["--config", str(path), "config", "show"]):
        done = kiosk(*args, home=tmp_path / "home")
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert names in done.stderr and "Traceback" not in done.stderr
    assert path.read_text() == text
    missing = kiosk("config", "migrate", str(tmp_path / "nope.toml"), home=tmp_path / "home")
    assert missing.returncode == 2 and "no such config file" in missing.stderr
