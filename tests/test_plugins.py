"""A department ships a service in its own distribution, without touching the kiosk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

KIOSK = Path(sys.executable).with_name("kiosk")

PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.0"

[project.entry-points."kiosk.services"]
"{service_id}" = "{module}:SERVICE"
"""

GOOD = '''
"""A museum's ticket check: the kiosk's shared steps, declared in a few lines."""
from kiosk.services.contract import Need, OfflinePolicy, Service
from kiosk.services.steps import ReadCard, ShowResult

SERVICE = Service(
    id="ic.museum-pass", department="ic",
    titles={"zh-Hant": "博物館通行證", "pt": "Passe de museu", "en": "Museum pass"},
    needs=frozenset({Need.CARD}), offline=OfflinePolicy.LOCAL,
    steps=(ReadCard(), ShowResult(title="card_check.title", rows=lambda ctx: [])),
)
'''

BROKEN = '''
raise RuntimeError("this plugin is broken on purpose")
'''


def _install(tmp: Path, name: str, service_id: str, module: str, source: str,
             target: Path) -> None:
    project = tmp / name
    (project / module).mkdir(parents=True)
    (project / module / "__init__.py").write_text(textwrap.dedent(source))
    (project / "pyproject.toml").write_text(
        PYPROJECT.format(name=name, service_id=service_id, module=module))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target),
                    str(project)], check=True, capture_output=True, timeout=300)


def test_a_third_party_service_appears_and_a_broken_one_is_isolated(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install(tmp_path, "ic-museum-pass", "ic.museum-pass", "museum_pass", GOOD, site)
    _install(tmp_path, "dsat-broken", "dsat.parking", "dsat_parking", BROKEN, site)
    env = {**os.environ, "PYTHONPATH": str(site), "KIOSK_HOME": str(tmp_path / "home")}
    listed = subprocess.run([str(KIOSK), "services", "list", "--json"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    services = {s["id"]: s for s in json.loads(listed.stdout)}
    assert services["ic.museum-pass"]["titles"]["pt"] == "Passe de museu"
    assert "broken" not in services["ic.museum-pass"]
    assert len([s for s in services.values() if "broken" not in s]) == 29  # 28 built in + 1
    # The broken one is shown, greyed out, with why; the kiosk did not stop.
    assert services["dsat.parking"]["broken"].startswith("RuntimeError: this plugin is broken")
    assert "dsat.parking (dsat-broken) failed to load" in listed.stderr


def test_without_the_distributions_the_catalog_is_the_built_in_28(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_HOME": str(tmp_path / "home")}
    listed = subprocess.run([str(KIOSK), "services", "list", "--json"], capture_output=True,
                            text=True, env=env, timeout=120, check=True)
    services = json.loads(listed.stdout)
    assert len(services) == 28
    assert len({s["department"] for s in services}) == 10
