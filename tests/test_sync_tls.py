"""TLS between a terminal and the platform: certificates are verified, always.

The reference server runs as `comptoir central serve --tls-cert --tls-key` with a certificate
from a test certificate authority (trustme); the terminal is driven through its commands. A
terminal that does not trust that authority refuses to talk (and keeps nothing); one whose
config names the school's CA bundle (`[sync] ca_file`) enrols and syncs; a certificate for
another host name is refused even from a trusted authority."""
from __future__ import annotations

import subprocess
import sys
import time
import warnings

import pytest
import requests
import trustme
import urllib3

from kiosk.demo.school import Badge
from tests.test_sync_e2e import comptoir, free_port

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=200)


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "school-ca.pem"))
    return ca, folder


def serve_tls(db, cert, key_folder):
    """`comptoir central serve` over https with ``cert``; returns (process, port)."""
    cert.private_key_pem.write_to_path(str(key_folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(key_folder / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(key_folder / "cert.pem"), append=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "central", "serve", "--db", str(db),
                               "--port", str(port), "--tls-cert", str(key_folder / "cert.pem"),
                               "--tls-key", str(key_folder / "key.pem")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            with warnings.catch_warnings():     # only asking whether it is up, not trusting it
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                requests.get(f"https://127.0.0.1:{port}/api/v1/device", timeout=1, verify=False)
            return server, port
        except requests.ConnectionError:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def central_tls(authority, tmp_path_factory):
    ca, _ = authority
    folder = tmp_path_factory.mktemp("central-tls")
    db = folder / "central.db"
    comptoir("central", "init", "--db", str(db), "--school", "Institut Saint-Michel")
    comptoir("central", "demo-data", "--db", str(db), "--students", "60")
    server, port = serve_tls(db, ca.issue_cert("127.0.0.1", "localhost"), folder)
    try:
        yield {"db": db, "url": f"https://127.0.0.1:{port}"}
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def new_terminal(folder, name, ca_file=None):
    comptoir("init", "--name", name, data=folder)
    if ca_file:
        text = (folder / "terminal.toml").read_text(encoding="utf-8")
        text = text.replace('ca_file = ""', f'ca_file = "{ca_file}"')
        (folder / "terminal.toml").write_text(text, encoding="utf-8")


def enrol_code(central, name):
    return comptoir("central", "enrol-code", "--db", str(central["db"]), "--name", name).stdout.strip()


def test_a_terminal_that_does_not_trust_the_certificate_refuses_and_keeps_nothing(central_tls, tmp_path):
    data = tmp_path / "t"
    new_terminal(data, "Cantine 1")
    code = enrol_code(central_tls, "Cantine 1")
    refused = comptoir("enrol", central_tls["url"], code, data=data, check_rc=None)
    assert refused.returncode != 0
    assert "Certificat de la plateforme invalide (unable to get local issuer certificate)" \
        in refused.stderr, refused.stderr
    assert not (data / "sync.json").exists()
    # The code was never received by the server: a terminal that trusts the CA can still use it.


def test_a_terminal_with_the_school_ca_enrols_and_syncs_over_https(central_tls, authority, tmp_path):
    ca, pki = authority
    data = tmp_path / "t"
    new_terminal(data, "Cantine 2", ca_file=pki / "school-ca.pem")
    out = comptoir("enrol", central_tls["url"], enrol_code(central_tls, "Cantine 2"), data=data).stdout
    assert "Cantine 2" in out
    assert "800" not in comptoir("sync", "--once", data=data).stdout   # 60-student school
    comptoir("sell", "--badge", Badge.EMMA, "SOUP", data=data, operator="Marie", pin="1234")
    pushed = comptoir("sync", "--once", data=data).stdout
    assert "1 opération(s) envoyée(s)" in pushed and "0 en attente" in pushed


def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_ca(authority, tmp_path):
    ca, pki = authority
    db = tmp_path / "central.db"
    comptoir("central", "init", "--db", str(db), "--school", "Autre école")
    server, port = serve_tls(db, ca.issue_cert("comptoir.autre-ecole.be"), tmp_path)
    try:
        data = tmp_path / "t"
        new_terminal(data, "Accueil", ca_file=pki / "school-ca.pem")
        code = comptoir("central", "enrol-code", "--db", str(db), "--name", "Accueil").stdout.strip()
        refused = comptoir("enrol", f"https://127.0.0.1:{port}", code, data=data, check_rc=None)
        assert refused.returncode != 0, refused.stderr
        mismatch = "(IP address mismatch, certificate is not valid for '127.0.0.1')"
        assert mismatch in refused.stderr, refused.stderr
        assert not (data / "sync.json").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def test_ca_file_that_does_not_exist_is_a_config_error_naming_the_key(tmp_path):
    data = tmp_path / "t"
    new_terminal(data, "Cantine 3", ca_file=tmp_path / "missing.pem")
    bad = comptoir("status", data=data, check_rc=None)
    assert bad.returncode != 0 and "sync.ca_file" in bad.stderr, bad.stderr
