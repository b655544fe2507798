"""TLS to the gateway: a pinned CA and the terminal's client certificate, against
the sandbox serving https on 127.0.0.1 with certificates each test makes with
``cryptography`` (kiosk.sandbox.tls.Authority); and the [backend] keys that
configure it, checked when the config is read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.api.client import GatewayClient
from kiosk.api.errors import GatewayRejected, GatewayUnavailable
from kiosk.api.transport import GatewayTLSError
from kiosk.config import ConfigError, load, parse
from kiosk.sandbox.server import SandboxServer, sandbox_tls
from kiosk.sandbox.tls import Authority, TlsDir, TlsFiles, write_cert, write_key
from kiosk.services.errors import message_for
from tests.conftest import CHAN, TERMINAL, TOKEN

HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def make_pair(directory: Path, name: str, ca: Authority, *, hosts: tuple[str, ...] = (),
              client: bool = False, **validity: datetime) -> Pair:
    cert, key = ca.issue(name, hosts=hosts, client=client, **validity)
    pair = Pair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    write_cert(pair.cert, cert)
    write_key(pair.key, key)
    return pair


@dataclass(frozen=True)
class Pki:
    """The gateway's CA (pinned by the terminal, and signing terminals'
    certificates), a CA nobody pinned, and certificates from both."""

    dir: Path
    ca: Authority
    ca_file: Path
    rogue: Authority
    rogue_file: Path
    server: Pair
    terminal: Pair

    def client_cert(self, pair: Pair | None = None) -> tuple[str, str]:
        pair = pair or self.terminal
        return str(pair.cert), str(pair.key)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    d = tmp_path / "pki"
    d.mkdir()
    ca, rogue = Authority.create("Gateway CA"), Authority.create("Gateway CA")  # same name
    write_cert(d / "ca.pem", ca.cert)
    write_cert(d / "rogue-ca.pem", rogue.cert)
    return Pki(d, ca, d / "ca.pem", rogue, d / "rogue-ca.pem",
               make_pair(d, "gateway", ca, hosts=HOSTS),
               make_pair(d, TERMINAL, ca, client=True))


def tls_sandbox(tmp_path: Path, pki: Pki, server: Pair | None = None) -> SandboxServer:
    server = server or pki.server
    return SandboxServer(tmp_path / "gateway.db", terminals={TERMINAL: TOKEN},
                         tls=TlsFiles(server.cert, server.key, client_ca=pki.ca_file))


@pytest.fixture
def sandbox_tls_server(tmp_path: Path, pki: Pki) -> Iterator[SandboxServer]:
    with tls_sandbox(tmp_path, pki) as server:
        yield server


def client(url: str, pki: Pki, sleeps: list[float] | None = None, *,
           ca_file: Path | bool | None = True, cert: Pair | bool | None = True,
           token: str = TOKEN) -> GatewayClient:
    """A client of the TLS sandbox; ``True`` means the pki's pinned CA or terminal
    certificate, ``None`` none (the system store; no certificate)."""
    ca = str(pki.ca_file) if ca_file is True else (str(ca_file) if ca_file else None)
    pair = pki.terminal if cert is True else (cert or None)
    return GatewayClient(url, TERMINAL, token, retries=2, backoff_s=0.0,
                         sleep=(sleeps if sleeps is not None else []).append, ca_file=ca,
                         client_cert=pki.client_cert(pair) if pair else None)


# --- the way it should work -----------------------------------------------------------


def test_the_client_talks_to_the_tls_sandbox_with_the_pinned_ca_and_its_certificate(
        sandbox_tls_server: SandboxServer, pki: Pki) -> None:
    assert sandbox_tls_server.url.startswith("https://127.0.0.1:")
    with client(sandbox_tls_server.url, pki) as c:
        assert c.health()["status"] == "ok"
        # A read that needs the terminal's token: it still travels, inside TLS.
        balance = c.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert balance.available == CHAN.vouchers_available
    assert [r.path for r in sandbox_tls_server.journal] == ["/v1/health",
                                                             "/v1/ssm/vouchers/balance"]


def test_the_terminal_token_is_still_checked_over_tls(sandbox_tls_server: SandboxServer,
                                                      pki: Pki) -> None:
    with client(sandbox_tls_server.url, pki, token="not-the-token") as c, \
            pytest.raises(GatewayRejected) as err:
        c.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert err.value.code == "unauthorized"


def test_another_terminals_certificate_does_not_speak_for_this_terminal(
        sandbox_tls_server: SandboxServer, pki: Pki) -> None:
    # Signed by the right CA, but for demo-terminal-02: a stolen certificate of one
    # kiosk does not go with another's token.
    other = make_pair(pki.dir, "demo-terminal-02", pki.ca, client=True)
    with client(sandbox_tls_server.url, pki, cert=other) as c, \
            pytest.raises(GatewayRejected) as err:
        c.departments_status()
    assert err.value.code == "forbidden"


def test_for_terminal_takes_the_tls_settings_from_the_config(
        sandbox_tls_server: SandboxServer, pki: Pki, tmp_path: Path) -> None:
    path = tmp_path / "terminal.toml"
    path.write_text(f'version = 2\n[terminal]\nid = "{TERMINAL}"\n'
                    f'[backend]\nurl = "{sandbox_tls_server.url}"\nterminal_token = "{TOKEN}"\n'
                    f'ca_file = "{pki.ca_file}"\nclient_cert = "{pki.terminal.cert}"\n'
                    f'client_key = "{pki.terminal.key}"\n', encoding="utf-8")
    config = load(path)
    with GatewayClient.for_terminal(config, config.backend.url, retries=0) as c:
        assert c.departments_status()["ssm"] == "up"
        assert c.retries == 0 and c.timeout == (3.0, 10.0)
    # The same config without the client certificate: the gateway refuses it.
    bare = parse(path.read_text(encoding="utf-8").replace("client_", "# client_"))
    with GatewayClient.for_terminal(bare, config.backend.url) as c, \
            pytest.raises(GatewayUnavailable):
        c.departments_status()


# --- what must be refused ------------------------------------------------------------


def test_a_server_certificate_from_another_ca_is_refused_though_the_system_trusts_it(
        tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = make_pair(pki.dir, "impostor", pki.rogue, hosts=HOSTS)
    # Stands in for the system's store: requests trusts this bundle when not pinned.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.rogue_file))
    sleeps: list[float] = []
    with tls_sandbox(tmp_path, pki, impostor) as server:
        with client(server.url, pki, ca_file=None) as unpinned:
            assert unpinned.health()["status"] == "ok"  # the system store would let it in
        with client(server.url, pki, sleeps) as pinned, \
                pytest.raises(GatewayTLSError) as err:
            pinned.departments_status()
        assert [r.path for r in server.journal] == ["/v1/health"]  # nothing more arrived
    assert isinstance(err.value, GatewayUnavailable)
    # The rogue CA has the pinned one's name: only the signature gives it away.
    assert "TLS" in str(err.value) and "signature failure" in err.value.reason
    assert sleeps == []  # not retried: the same handshake fails the same way
    # The citizen is told the gateway is unavailable, as for any outage.
    assert message_for(err.value) == "error.gateway.gateway_unavailable"


def test_an_expired_server_certificate_is_refused(tmp_path: Path, pki: Pki) -> None:
    now = datetime.now(UTC)
    expired = make_pair(pki.dir, "expired", pki.ca, hosts=HOSTS,
                        not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    with tls_sandbox(tmp_path, pki, expired) as server, client(server.url, pki) as c, \
            pytest.raises(GatewayTLSError) as err:
        c.health()
    assert "expired" in err.value.reason


def test_a_server_certificate_for_another_host_is_refused(tmp_path: Path, pki: Pki) -> None:
    elsewhere = make_pair(pki.dir, "elsewhere", pki.ca, hosts=("gateway.example",))
    with tls_sandbox(tmp_path, pki, elsewhere) as server, client(server.url, pki) as c, \
            pytest.raises(GatewayTLSError) as err:
        c.health()
    assert "mismatch" in err.value.reason.lower()


def test_without_a_client_certificate_the_gateway_refuses_the_terminal(
        sandbox_tls_server: SandboxServer, pki: Pki) -> None:
    with client(sandbox_tls_server.url, pki, cert=None) as c, \
            pytest.raises(GatewayTLSError) as err:
        c.health()
    assert "certificate required" in err.value.reason
    assert sandbox_tls_server.journal == []  # refused in the handshake, before any HTTP


def test_a_client_certificate_from_another_ca_is_refused(sandbox_tls_server: SandboxServer,
                                                         pki: Pki) -> None:
    forged = make_pair(pki.dir, "forged", pki.rogue, client=True)
    with client(sandbox_tls_server.url, pki, cert=forged) as c, \
            pytest.raises(GatewayTLSError) as err:
        c.health()
    assert "alert" in err.value.reason  # the gateway's verdict, sent to the terminal
    assert sandbox_tls_server.journal == []


def test_a_gateway_that_hangs_up_over_tls_is_an_outage_and_retried(
        sandbox_tls_server: SandboxServer, pki: Pki) -> None:
    sandbox_tls_server.set_online(False)  # hangs up after the handshake: not a TLS verdict
    sleeps: list[float] = []
    with client(sandbox_tls_server.url, pki, sleeps) as c, \
            pytest.raises(GatewayUnavailable) as err:
        c.departments_status()
    assert not isinstance(err.value, GatewayTLSError)
    assert len(sleeps) == 2


def test_a_tls_failure_logs_its_reason_once_and_nothing_personal(
        tmp_path: Path, pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    impostor = make_pair(pki.dir, "impostor", pki.rogue, hosts=HOSTS)
    with tls_sandbox(tmp_path, pki, impostor) as server, client(server.url, pki) as c, \
            caplog.at_level(logging.DEBUG):
        for _ in range(2):
            with pytest.raises(GatewayTLSError):
                c.voucher_balance(CHAN.card_number, CHAN.id_number)
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    tls = [r for r in caplog.records if "TLS handshake failed" in r.getMessage()]
    # Once for the technician; the probe's every-few-seconds repeats only at debug.
    assert [r.levelno for r in tls if r.name == "kiosk.api.client"] == [logging.WARNING,
                                                                        logging.DEBUG]
    for personal in (CHAN.card_number, CHAN.id_number, CHAN.name_latin, CHAN.name_zh, TOKEN):
        assert personal not in text


# --- the config -----------------------------------------------------------------------


def backend(**keys: str | bool) -> str:
    lines = [f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
             for k, v in keys.items()]
    return "version = 2\n[backend]\n" + "\n".join(lines) + "\n"


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse(text)
    return str(err.value)


def test_tls_keys_load(pki: Pki) -> None:
    config = parse(backend(url="https://gateway.example", ca_file=str(pki.ca_file),
                           client_cert=str(pki.terminal.cert),
                           client_key=str(pki.terminal.key)))
    assert config.backend.ca_file == str(pki.ca_file)
    assert config.backend.client_key == str(pki.terminal.key)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8700", "http://localhost:8700",
                                 "http://127.0.0.9", "http://[::1]:8700", "https://10.0.0.7"])
def test_http_to_this_machine_and_https_anywhere_are_fine(url: str) -> None:
    assert parse(backend(url=url)).backend.url == url


def test_plain_http_to_another_machine_is_refused_unless_allowed() -> None:
    message = config_error(backend(url="http://10.0.0.7"))
    assert message.startswith("<config>: backend.url: plain http") and "https" in message
    assert parse(backend(url="http://10.0.0.7", allow_plain_http=True)).backend.allow_plain_http


def test_tls_files_with_an_http_url_are_refused(pki: Pki) -> None:
    message = config_error(backend(url="http://127.0.0.1:8700", ca_file=str(pki.ca_file)))
    assert "backend.url" in message and "https" in message


def test_a_key_others_can_read_is_refused_naming_the_key(pki: Pki) -> None:
    pki.terminal.key.chmod(0o640)
    message = config_error(backend(client_cert=str(pki.terminal.cert),
                                   client_key=str(pki.terminal.key)))
    assert "backend.client_key" in message and "0640" in message and "0600" in message


def test_a_key_of_another_certificate_is_refused(pki: Pki) -> None:
    other = make_pair(pki.dir, "other", pki.ca, client=True)
    message = config_error(backend(client_cert=str(pki.terminal.cert), client_key=str(other.key)))
    assert "backend.client_key" in message and "not the key of backend.client_cert" in message
    assert "PRIVATE KEY" not in message


def test_an_encrypted_key_is_refused(pki: Pki) -> None:
    cert, key = pki.ca.issue("locked", client=True)
    write_cert(pki.dir / "locked.pem", cert)
    locked = pki.dir / "locked-key.pem"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"secret")))
    locked.chmod(0o600)
    message = config_error(backend(client_cert=str(pki.dir / "locked.pem"),
                                   client_key=str(locked)))
    assert "backend.client_key" in message and "encrypted" in message


@pytest.mark.parametrize(("keys", "names"), [
    ({"ca_file": "ca.pem"}, "backend.ca_file: 'ca.pem' must be an absolute path"),
    ({"ca_file": "/nonexistent/ca.pem"}, "backend.ca_file: /nonexistent/ca.pem: no such file"),
    ({"ca_file": "{key}"}, "backend.ca_file: {key}: not a PEM certificate"),
    ({"client_cert": "{cert}"}, "backend.client_key: backend.client_cert and backend.client_key"),
    ({"client_key": "{key}"}, "backend.client_cert: backend.client_cert and backend.client_key"),
    ({"client_cert": "{key}", "client_key": "{key}"}, "backend.client_cert: {key}: not a PEM"),
    ({"client_cert": "{cert}", "client_key": "{private_cert}"},
     "backend.client_key: {private_cert}: not a PEM private key"),
    ({"client_cert": "{cert}", "client_key": "/nonexistent/k.pem"},
     "backend.client_key: /nonexistent/k.pem: no such file"),
])
def test_a_broken_tls_setting_names_its_key(pki: Pki, keys: dict[str, str], names: str) -> None:
    private_cert = pki.dir / "cert-as-key.pem"  # a certificate where the key should be
    private_cert.write_bytes(pki.terminal.cert.read_bytes())
    private_cert.chmod(0o600)
    paths = {"cert": str(pki.terminal.cert), "key": str(pki.terminal.key),
             "private_cert": str(private_cert)}
    text = backend(url="https://gateway.example",
                   **{k: v.format(**paths) for k, v in keys.items()})
    assert names.format(**paths) in config_error(text)


# --- kiosk sandbox serve --tls-dir ----------------------------------------------------


def test_sandbox_serve_tls_dir_makes_certificates_and_prints_a_config_that_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = sandbox_tls(tmp_path / "tls", "127.0.0.1", 8700)
    printed = capsys.readouterr().out
    made = TlsDir.at(tmp_path / "tls")
    assert files == made.server_files()
    assert made.client_key.stat().st_mode & 0o777 == 0o600
    config = parse("version = 2\n" + printed[printed.index("[backend]"):])
    assert config.backend.url == "https://127.0.0.1:8700"
    assert config.backend.ca_file == str(made.ca)
    # A second start keeps the CA, so a terminal configured for it still trusts it.
    ca = made.ca.read_bytes()
    sandbox_tls(tmp_path / "tls", "127.0.0.1", 8700)
    assert made.ca.read_bytes() == ca
    assert "Made a test CA" not in capsys.readouterr().out


def test_the_sandbox_tls_dir_works_end_to_end(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    files = sandbox_tls(tmp_path / "tls", "127.0.0.1", 8700)
    made = TlsDir.at(tmp_path / "tls")
    with SandboxServer(tmp_path / "gateway.db", tls=files) as server, \
            GatewayClient(server.url, "demo-terminal-01", "sandbox-demo-token",
                          ca_file=str(made.ca),
                          client_cert=(str(made.client_cert), str(made.client_key))) as c:
        assert c.departments_status()["dsi"] == "up"
