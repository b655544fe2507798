"""packaging/: the systemd unit passes `systemd-analyze verify`, the udev rules
parse, kiosk-session claims the watchdog, and `packaging/build-deb` builds a
package whose contents, control fields and maintainer scripts are checked.

Needs no root and installs nothing: the unit is verified in a scratch root, the
package is built into a temporary directory and only inspected.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from kiosk.config import CONFIG_VERSION

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
UNIT = PACKAGING / "systemd" / "kiosk.service"
RULES = PACKAGING / "udev" / "60-kiosk.rules"
SESSION = PACKAGING / "kiosk-session"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def _unit_entries(text: str) -> dict[tuple[str, str], list[str]]:
    entries: dict[tuple[str, str], list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.setdefault((section, key.strip()), []).append(value.strip())
    return entries


# --- the systemd unit ---------------------------------------------------------


def _system_unit_dir() -> Path:
    for d in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (d / "sysinit.target").exists():
            return d
    pytest.fail("no systemd unit directory with sysinit.target (Debian package systemd)")


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze missing: Debian package systemd (DEBS in ./run)"
    # A scratch root: systemd's own units (verify resolves dependencies such as
    # sysinit.target there) and a stand-in for /usr/bin/cage, which verify
    # requires to be executable and a build machine does not have.
    root = tmp_path / "root"
    shutil.copytree(_system_unit_dir(), root / "usr/lib/systemd/system", symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    cage = root / "usr/bin/cage"
    cage.write_text("#!/bin/sh\n")
    cage.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/kiosk.service")
    result = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", "kiosk.service"],
        capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values too, only warning on stderr.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_unit_verify_catches_a_missing_compositor(tmp_path: Path) -> None:
    """The check above is not vacuous: without cage, verify fails."""
    root = tmp_path / "root"
    shutil.copytree(_system_unit_dir(), root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/kiosk.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", "kiosk.service"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "/usr/bin/cage" in result.stderr


def test_unit_settings() -> None:
    e = _unit_entries(UNIT.read_text())

    def one(section: str, key: str) -> str:
        values = e.get((section, key))
        assert values, f"{key}= missing in [{section}]"
        return values[-1]

    assert one("Service", "Type") == "notify"
    assert one("Service", "NotifyAccess") == "all"  # the kiosk is cage's child
    assert one("Service", "WatchdogSec") == "30s"
    assert one("Service", "Restart") in {"always", "on-failure"}
    assert one("Service", "RestartSec")
    assert one("Unit", "StartLimitIntervalSec") and one("Unit", "StartLimitBurst")
    assert one("Service", "User") == "kiosk"
    assert one("Service", "ExecStart") == "/usr/bin/cage -- /opt/kiosk/bin/kiosk-session"
    assert one("Service", "TTYPath") == "/dev/tty1"
    assert "getty@tty1.service" in one("Unit", "Conflicts")
    env = e[("Service", "Environment")]
    assert "KIOSK_HOME=/var/lib/kiosk" in env
    assert "KIOSK_CONFIG=/etc/kiosk/terminal.toml" in env
    assert one("Service", "ProtectSystem") == "strict"
    writable = {p for line in e[("Service", "ReadWritePaths")] for p in line.split()}
    # Its state, its config (settings saved in maintenance), and USB sticks for
    # the diagnostics bundle ("-": if they exist).
    assert writable == {"/var/lib/kiosk", "/etc/kiosk", "-/media", "-/run/media"}
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert one("Service", key) == "yes"
    assert "PAMName" not in {k for _, k in e}, "a PAM session moves the kiosk out of the unit"
    assert one("Install", "WantedBy") == "multi-user.target"


# --- kiosk-session ------------------------------------------------------------


def test_kiosk_session_claims_the_watchdog(tmp_path: Path) -> None:
    stub = tmp_path / "kiosk"
    stub.write_text('#!/bin/sh\necho "$$ ${WATCHDOG_PID:-none} $*"\n')
    stub.chmod(0o755)
    session = tmp_path / "kiosk-session"
    session.write_text(SESSION.read_text().replace("/opt/kiosk/venv/bin/kiosk", str(stub)))
    session.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1",
           "KIOSK_CONFIG": "/etc/kiosk/terminal.toml"}
    out = subprocess.run([str(session)], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    pid, watchdog_pid, *args = out
    assert watchdog_pid == pid  # exec kept the PID it claimed
    assert args == ["--config", "/etc/kiosk/terminal.toml", "run"]  # the production entry
    env.pop("WATCHDOG_USEC")
    out = subprocess.run([str(session)], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "1"  # no watchdog asked for: left alone


# --- udev rules ---------------------------------------------------------------

_UDEV_KEY = r"[A-Z_]+(?:\{[A-Za-z0-9_.\-]+\})?"
_UDEV_PAIR = re.compile(rf'\s*({_UDEV_KEY})\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*')
_UDEV_MATCH_KEYS = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "NAME", "SYMLINK", "SUBSYSTEM",
                    "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTR", "ATTRS", "ENV", "TAG", "TAGS",
                    "TEST", "PROGRAM", "RESULT", "CONST", "SYSCTL"}
_UDEV_ASSIGN_KEYS = {"NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "SECLABEL", "ATTR", "SYSCTL",
                     "ENV", "TAG", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS"}


def _udev_rule_errors(text: str) -> list[str]:
    errors = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        matches = assigns = 0
        # Pairs are comma-separated; a comma inside a quoted value is the value's.
        for part in re.findall(r'(?:[^,"]|"[^"]*")+', stripped):
            m = _UDEV_PAIR.fullmatch(part)
            if not m:
                errors.append(f"{n}: not KEY op \"value\": {part.strip()!r}")
                continue
            key, op, _ = m.groups()
            base = key.split("{")[0]
            if op in ("==", "!="):
                matches += 1
                ok = base in _UDEV_MATCH_KEYS
            else:
                assigns += 1
                ok = base in _UDEV_ASSIGN_KEYS
            if not ok:
                errors.append(f"{n}: {key} cannot take {op}")
        if not (matches and assigns):
            errors.append(f"{n}: a rule needs a match and an assignment")
    return errors


def test_udev_rules_syntax() -> None:
    assert _udev_rule_errors(RULES.read_text()) == []


def test_udev_syntax_check_rejects_mistakes() -> None:
    assert _udev_rule_errors('SUBSYSTEM=="usb", GROUP=="kiosk"')  # a match where = was meant
    assert _udev_rule_errors('SUBSYSTEM=="usb" GROUP="kiosk"')    # a missing comma
    assert _udev_rule_errors('SUBSYSTEM=="usb", MODE=0660')       # value unquoted
    assert _udev_rule_errors('SUBSYSTEM=="usb", RUN+="a,b')       # quote not closed
    assert not _udev_rule_errors('SUBSYSTEM=="block", RUN+="mount -o a,b x"')
    assert _udev_rule_errors('GROUP="kiosk"')                     # no match


def test_udev_rules_cover_the_kiosk_devices() -> None:
    rules = [line for line in RULES.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert any('"video4linux"' in r and 'GROUP="video"' in r for r in rules)
    assert any(":07????:" in r and 'GROUP="kiosk"' in r for r in rules)  # USB printer class
    assert any("ttyUSB" in r and 'GROUP="dialout"' in r for r in rules)
    # USB sticks for the diagnostics bundle: mounted under /media, as the kiosk, no exec.
    assert any('ENV{ID_BUS}=="usb"' in r and "systemd-mount" in r and "uid=kiosk" in r
               and "noexec" in r and " /media/" in r for r in rules)
    assert not any('MODE="0666"' in r or 'MODE="666"' in r for r in rules)


# --- the Debian package -------------------------------------------------------


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("dpkg-deb"), "dpkg-deb missing"
    out = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, KIOSK_PYTHON=sys.executable)
    result = subprocess.run([str(PACKAGING / "build-deb"), "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == out / f"kiosk_{VERSION}_amd64.deb"
    return path


def _dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True,
                          check=True).stdout


EXPECTED_FILES = {
    "./etc/kiosk/terminal.toml": "-rw-r-----",
    "./lib/systemd/system/kiosk.service": "-rw-r--r--",
    "./lib/udev/rules.d/60-kiosk.rules": "-rw-r--r--",
    "./opt/kiosk/bin/kiosk-session": "-rwxr-xr-x",
    f"./opt/kiosk/wheels/kiosk-{VERSION}-py3-none-any.whl": "-rw-r--r--",
    "./usr/share/doc/kiosk/packaging.md": "-rw-r--r--",
}


def test_package_files_paths_modes_owners(deb: Path) -> None:
    listing = {}
    for line in _dpkg_deb("-c", str(deb)).splitlines():
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        listing[path] = (mode, owner)
    for path, mode in EXPECTED_FILES.items():
        assert path in listing, f"{path} missing from the package"
        assert listing[path] == (mode, "root/root"), path
    assert all(owner == "root/root" for _, owner in listing.values())
    files = {p for p, (m, _) in listing.items() if not m.startswith("d")}
    assert files == set(EXPECTED_FILES), "unexpected files in the default (wheel) package"


def test_package_control_fields(deb: Path) -> None:
    fields = dict(line.split(": ", 1) for line in
                  _dpkg_deb("-f", str(deb), "Package", "Version", "Architecture").splitlines())
    assert fields == {"Package": "kiosk", "Version": VERSION, "Architecture": "amd64"}
    depends = {d.strip().split()[0] for d in _dpkg_deb("-f", str(deb), "Depends").split(",")}
    for needed in ("python3", "python3-venv", "adduser", "cage", "seatd", "libegl1",
                   "fonts-noto-cjk", "pcscd", "cups-client", "espeak-ng", "alsa-utils",
                   # pyscard compiles on the target in the default package
                   "gcc", "swig", "libpcsclite-dev", "python3-dev"):
        assert needed in depends, needed
    info = _dpkg_deb("-I", str(deb))
    assert "Description: government multi-function self-service terminal" in info


def test_package_conffiles_and_maintainer_scripts(deb: Path, tmp_path: Path) -> None:
    control = tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/kiosk/terminal.toml"]
    for name in ("postinst", "prerm", "postrm"):
        script = control / name
        assert script.stat().st_mode & 0o777 == 0o755, name
        lines = script.read_text().splitlines()
        assert lines[0] == "#!/bin/sh" and lines[1] == "KIOSK_VENV_IN_PACKAGE=0", name
        for shell in ("sh", "bash"):
            subprocess.run([shell, "-n", str(script)], check=True)
    postinst = (control / "postinst").read_text()
    assert "adduser --system --group" in postinst
    for group in ("video", "render", "input", "audio", "lp", "dialout", "systemd-journal"):
        assert group in postinst
    assert "systemctl enable seatd.service kiosk.service" in postinst
    assert "/var/lib/kiosk" in (control / "postrm").read_text()


def test_package_payload(deb: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    assert (root / "lib/systemd/system/kiosk.service").read_text() == UNIT.read_text()
    assert (root / "lib/udev/rules.d/60-kiosk.rules").read_text() == RULES.read_text()
    config = tomllib.loads((root / "etc/kiosk/terminal.toml").read_text())
    assert config["version"] == CONFIG_VERSION and "terminal" in config
    subprocess.run(["sh", "-n", str(root / "opt/kiosk/bin/kiosk-session")], check=True)
    wheel = root / f"opt/kiosk/wheels/kiosk-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "kiosk/cli.py" in names
        entry_points = z.read(f"kiosk-{VERSION}.dist-info/entry_points.txt").decode()
    assert "kiosk = kiosk.cli:main" in entry_points


def test_build_deb_is_strict_bash() -> None:
    text = (PACKAGING / "build-deb").read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(PACKAGING / "build-deb")], check=True)
