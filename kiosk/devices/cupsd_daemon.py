"""A private cupsd with a cups-pdf queue, for tests, benchmarks and the demo rig.

Everything lives under one work directory (config, spool, logs) and cupsd
listens on a loopback port of its own, so it never touches the machine's CUPS.
The cups-pdf backend reads its settings from /etc/cups, whatever the server
root: the queue's device URI ``cups-pdf:/<queue>`` makes it read
``/etc/cups/cups-pdf-<queue>.conf``, which points its output into the work
directory and is removed again by ``close()`` (needs root, as cupsd does).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
CUPS_PDF_CONF_DIR = Path("/etc/cups")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CupsdDaemon:
    """``cupsd -f`` with one queue, ``queue``, printing to PDF files in ``out``.

    ``workdir`` and its parents must be reachable by the ``lp`` user, as whom
    CUPS runs its filters (not pytest's tmp_path, which is private to root).
    """

    def __init__(self, workdir: str | Path, *, queue: str | None = None,
                 port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.queue = queue or f"kiosk-pdf-{self.port}"
        self.out = self.workdir / "out"
        self._proc: subprocess.Popen[bytes] | None = None
        self._queue_conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{self.queue}.conf"

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "log" / "error_log"

    def start(self, timeout: float = 15.0) -> None:
        w = self.workdir
        for sub in ("conf/ppd", "spool", "tmp", "state", "cache", "log", "out"):
            (w / sub).mkdir(parents=True, exist_ok=True)
        # Filters run as the unprivileged lp user and write temporary files.
        for sub in ("tmp", "cache", "out"):
            (w / sub).chmod(0o1777)
        conf = w / "conf"
        (conf / "cups-files.conf").write_text(
            f"ServerRoot {conf}\nRequestRoot {w / 'spool'}\nTempDir {w / 'tmp'}\n"
            f"StateDir {w / 'state'}\nCacheDir {w / 'cache'}\n"
            f"AccessLog {w / 'log/access_log'}\nErrorLog {w / 'log/error_log'}\n"
            f"PageLog {w / 'log/page_log'}\nServerBin /usr/lib/cups\n"
            "DataDir /usr/share/cups\nSystemGroup root\n")
        (conf / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel info\nWebInterface No\nBrowsing No\n"
            "DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n"
            "</Location>\n<Policy default>\n  <Limit All>\n    Order allow,deny\n"
            "    Allow all\n  </Limit>\n</Policy>\n")
        shutil.copy(CUPS_PDF_PPD, conf / "ppd" / f"{self.queue}.ppd")
        (conf / "printers.conf").write_text(
            f"<Printer {self.queue}>\nInfo Kiosk test printer (PDF)\n"
            f"DeviceURI cups-pdf:/{self.queue}\n"
            "State Idle\nAccepting Yes\nShared No\n</Printer>\n")
        # Label 0: the file is named after the job title only.
        self._queue_conf.write_text(f"Out {self.out}\nLabel 0\n")
        self._proc = subprocess.Popen(
            ["cupsd", "-f", "-c", str(conf / "cupsd.conf"), "-s", str(conf / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded: until cupsd answers for the queue
            if self._proc.poll() is not None:
                raise RuntimeError(f"cupsd exited ({self._proc.returncode}); see {self.log}")
            probe = subprocess.run(["lpstat", "-h", self.server, "-p", self.queue],
                                   capture_output=True, text=True)
            if probe.returncode == 0 and self.queue in probe.stdout:
                return
            time.sleep(0.1)  # polling a daemon that is starting
        raise TimeoutError(f"cupsd did not start on {self.server}")

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
        self._queue_conf.unlink(missing_ok=True)

    def __enter__(self) -> CupsdDaemon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
