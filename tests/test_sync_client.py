"""The terminal's HTTP client against a hostile platform: a real HTTP server on loopback (the
tests' own) that answers garbage, truncated gzip, wrong shapes, errors, or too slowly."""
from __future__ import annotations

import gzip
import http.server
import json
import socket
import stat
import threading
from importlib.metadata import version as installed_version

import pytest

from sync import client as client_module
from sync.agent import Credentials, load_credentials, save_credentials
from sync.client import Client, GarbageAnswer, InsecureURL, Offline, Refused, SyncError, check_url
from sync.common.version import version
from sync.protocol import PushedEntry, PushRequest, PushResponse

GOOD = {"high_water": 3, "last_hash": "a" * 64, "applied": 1}


class Hostile(http.server.BaseHTTPRequestHandler):
    """Answers according to the path; records what it received."""
    received: list = []
    agents: list = []                   # the User-Agent of every request

    def log_message(self, *args):      # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        for k, v in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):   # the client gave up (timeout test)
            pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        Hostile.received.append((self.headers.get("Content-Encoding"), raw))
        self.do_GET()

    def do_GET(self):
        Hostile.agents.append(self.headers.get("User-Agent"))
        path = self.path.split("?")[0]
        if path == "/ok":
            self._send(200, json.dumps(GOOD).encode())
        elif path == "/gzip-ok":
            self._send(200, gzip.compress(json.dumps(GOOD).encode()),
                       {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        elif path == "/not-json":
            self._send(200, b"<html>proxy login</html>")
        elif path == "/wrong-types":
            self._send(200, json.dumps({**GOOD, "high_water": "three"}).encode())
        elif path == "/negative":
            self._send(200, json.dumps({**GOOD, "high_water": -5}).encode())
        elif path == "/unknown-field":
            self._send(200, json.dumps({**GOOD, "bonus": 1}).encode())
        elif path == "/truncated-gzip":
            body = gzip.compress(json.dumps(GOOD).encode() * 50)
            self._send(200, body[: len(body) // 2],
                       {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        elif path == "/error-body":
            self._send(409, json.dumps({"error": "gap", "message": "expected 4",
                                        "expected_seq": 4}).encode())
        elif path == "/error-garbage":
            self._send(500, b'{"detail": "Internal Server Error"}')
        elif path == "/huge":
            self._send(200, b"[" + b"1," * 600_000 + b"1]")
        elif path == "/slow":
            import time
            time.sleep(1.5)
            self._send(200, json.dumps(GOOD).encode())
        else:
            self._send(404, b"{}")


@pytest.fixture(scope="module")
def hostile():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def push_request():
    return PushRequest(entries=[PushedEntry(seq=1, body="{}", prev_hash="0" * 64, hash="b" * 64)])


def test_good_answers_parse(hostile):
    c = Client(hostile)
    assert c.post("/ok", push_request(), PushResponse).high_water == 3
    assert c.get("/gzip-ok", PushResponse).last_hash == "a" * 64


def test_request_body_is_gzipped_json(hostile):
    Hostile.received.clear()
    Client(hostile).post("/ok", push_request(), PushResponse)
    encoding, raw = Hostile.received[-1]
    assert encoding == "gzip"
    assert json.loads(gzip.decompress(raw))["entries"][0]["seq"] == 1


def test_user_agent_names_comptoir_and_its_version(hostile):
    Hostile.agents.clear()
    c = Client(hostile)
    c.post("/ok", push_request(), PushResponse)
    c.get("/ok", PushResponse)
    assert Hostile.agents == [f"comptoir/{version()} (terminal)"] * 2
    assert version() == installed_version("comptoir")      # setup.cfg's, as installed


@pytest.mark.parametrize("path", ["/not-json", "/wrong-types", "/negative", "/unknown-field",
                                  "/truncated-gzip", "/error-garbage"])
def test_garbage_is_refused_with_a_clear_error(hostile, path):
    with pytest.raises(GarbageAnswer) as info:
        Client(hostile).get(path, PushResponse)
    assert "Réponse incompréhensible" in str(info.value)


def test_oversized_answer_is_garbage(hostile, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 100_000)
    with pytest.raises(GarbageAnswer, match="larger than"):
        Client(hostile).get("/huge", PushResponse)


def test_answer_cut_inside_its_headers_is_offline_not_garbage():
    """http.client takes a connection closed inside the headers for their end: an empty 200.
    The protocol never answers empty, so that is a cut connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\ndate: Wed, 25 Nov 2026 10:00:00 GMT\r\ncontent-type: applic")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(Offline, match="connection cut"):
            Client(f"http://127.0.0.1:{listener.getsockname()[1]}").get("/x", PushResponse)
    finally:
        thread.join(timeout=5)
        listener.close()


def test_protocol_error_body_is_a_refusal(hostile):
    with pytest.raises(Refused) as info:
        Client(hostile).get("/error-body", PushResponse)
    assert (info.value.status, info.value.body.error, info.value.body.expected_seq) == (409, "gap", 4)


def test_unreachable_and_slow_are_offline(hostile):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Offline):
        Client(f"http://127.0.0.1:{port}").get("/ok", PushResponse)
    with pytest.raises(Offline):
        Client(hostile, timeout=(1, 0.3)).get("/slow", PushResponse)


@pytest.mark.parametrize("url, allowed", [
    ("https://comptoir.ecole.be", True), ("http://127.0.0.1:8765", True),
    ("http://localhost:8765/", True), ("http://[::1]:8765", True),
    ("http://10.0.0.5:8765", False), ("http://comptoir.ecole.be", False),
    ("ftp://comptoir.ecole.be", False), ("comptoir.ecole.be", False)])
def test_plain_http_only_to_loopback(url, allowed):
    if allowed:
        assert check_url(url) == url.rstrip("/")
    else:
        with pytest.raises(InsecureURL):
            check_url(url)


def test_plain_http_elsewhere_needs_the_config_flag():
    assert check_url("http://10.0.0.5:8765", allow_http=True) == "http://10.0.0.5:8765"


def test_credentials_file_is_owner_only(tmp_path):
    save_credentials(tmp_path, Credentials("https://x.be", "t" * 43, "Cantine 1", "École"))
    path = tmp_path / "sync.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(tmp_path).token == "t" * 43
    path.write_text("{not json")
    with pytest.raises(SyncError) as info:
        load_credentials(tmp_path)
    assert info.value.code == "not_enrolled"
