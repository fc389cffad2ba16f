"""A TCP proxy on loopback that a test controls, to put network faults between a terminal and
the central server (not a test module).

Each NEW connection gets a behaviour, drawn from the policy the test set (one mode, or modes
with weights) with the proxy's own ``random.Random(seed)``:

    pass         forward both ways until the server closes (keep-alive included); what a
                 client sent before it went away still reaches the server
    refuse       accept, then reset the connection (RST) without a byte
    delay        wait ``delay_ms`` before connecting to the server, then forward as ``pass``
                 (longer than the client's read timeout: the request arrives after the
                 client gave up, and is served all the same)
    cut_request  read the client's request, send the server only a part of it, close both
    cut_answer   forward the request, read the server's answer, send the client a part of it,
                 close both
    drop_answer  forward the request, read the server's whole answer (it has committed by
                 then), close the client side without a byte of it

The three HTTP-aware modes handle one request (``Content-Length`` or chunked) and close the
connection. Every connection is counted in ``counts``; those three also leave an event in
``events`` (the request line, the answer's status and, for ``drop_answer``, its body).
``disconnect_all()`` closes every live connection (a network blip): a client's next request
then opens a new connection, which gets the current policy. ``cut_every(n)`` makes a bad
link: once ``n`` bytes have gone from the server to the clients (in ``pass`` and ``delay``
connections), the link is cut right there (every live connection closed, the last one
mid-answer) and counting starts again; ``cuts`` counts them.
"""
from __future__ import annotations

import gzip
import random
import socket
import struct
import threading
from collections import Counter

MODES = ("pass", "refuse", "delay", "cut_request", "cut_answer", "drop_answer")
IO_TIMEOUT = 10.0       # seconds: a faulty exchange never hangs a proxy thread for longer


class FaultProxy:
    def __init__(self, target_port: int, seed: int = 0, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.counts: Counter[str] = Counter()
        self.events: list[dict] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._weights: dict[str, float] = {"pass": 1}
        self._delay_ms = (20, 200)
        self._live: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._cut_every: int | None = None
        self._since_cut = 0
        self.cuts = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)      # the accept loop looks at _stop this often
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    # -- control (any thread) ------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._spawn(self._accept_loop)
        return self

    def set_policy(self, policy: str | dict[str, float],
                   delay_ms: tuple[float, float] = (20, 200)) -> None:
        weights = {policy: 1} if isinstance(policy, str) else dict(policy)
        unknown = set(weights) - set(MODES)
        if unknown or not weights:
            raise ValueError(f"unknown modes {sorted(unknown)}")
        with self._lock:
            self._weights, self._delay_ms = weights, delay_ms

    def cut_every(self, size: int | None) -> None:
        """Cut the link after every ``size`` bytes sent to the clients (None: never)."""
        with self._lock:
            self._cut_every, self._since_cut = size, 0

    def _allow(self, size: int) -> tuple[int, bool]:
        """How many of ``size`` bytes may go to a client, and whether the link is cut then."""
        with self._lock:
            if self._cut_every is None:
                return size, False
            allowed = min(size, self._cut_every - self._since_cut)
            self._since_cut += allowed
            if self._since_cut < self._cut_every:
                return allowed, False
            self._since_cut = 0
            self.cuts += 1
            return allowed, True

    def disconnect_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for sock in live:
            _close(sock)

    def stop(self) -> None:
        self._stop.set()
        self.disconnect_all()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the proxy ---------------------------------------------------------------------------
    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Drawn here, in accept order: the same client calls get the same faults.
            with self._lock:
                modes, weights = zip(*self._weights.items())
                mode = self._rng.choices(modes, weights)[0]
                delay = self._rng.uniform(*self._delay_ms) / 1000
                cut = self._rng.random()
                self.counts[mode] += 1
                self._live.add(client)
                target = self.target
            self._spawn(self._serve, client, mode, delay, cut, target)

    def _serve(self, client: socket.socket, mode: str, delay: float, cut: float, target) -> None:
        server = None
        try:
            if mode == "refuse":
                _reset(client)
                return
            if mode == "delay":
                self._stop.wait(delay)
            try:
                server = socket.create_connection(target, timeout=IO_TIMEOUT)
            except OSError:             # the server is down: pass the refusal on
                _reset(client)
                return
            with self._lock:
                self._live.add(server)
            if mode in ("pass", "delay"):
                self._pipe(client, server)
                return
            client.settimeout(IO_TIMEOUT)
            request = _read_message(client)
            event = {"mode": mode, "request": request.split(b"\r\n", 1)[0].decode("latin-1")}
            if mode == "cut_request":
                server.sendall(request[:_cut_at(len(request), cut)])
            else:
                server.sendall(request)
                answer = _read_message(server)
                event["status"] = _status(answer)
                if mode == "cut_answer":
                    client.sendall(answer[:_cut_at(len(answer), cut)])
                else:
                    event["body"] = _body(answer)
            with self._lock:
                self.events.append(event)
        except OSError:
            pass                        # a side went away: that is what faults look like
        finally:
            for sock in (client, server):
                if sock is not None:
                    _close(sock)
                    with self._lock:
                        self._live.discard(sock)

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        """Both directions until the server is done; an error on either side closes both.
        A client that closes is not passed on: what it sent still reaches the server, which
        answers into the void (a request the client gave up on is still served, late)."""
        upstream = threading.Thread(target=_copy, args=(client, server, False), daemon=True)
        upstream.start()
        _copy(server, client, True, self._metered)
        upstream.join()

    def _metered(self, data: bytes, dst: socket.socket) -> bool:
        """Send what the link lets through; False when it was cut there."""
        allowed, cut = self._allow(len(data))
        dst.sendall(data[:allowed])
        if cut:
            self.disconnect_all()
        return not cut


def _copy(src: socket.socket, dst: socket.socket, pass_eof: bool, send=None) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                if pass_eof:
                    dst.shutdown(socket.SHUT_WR)
                return
            if send is None:
                dst.sendall(data)
            elif not send(data, dst):
                return
    except OSError:
        _close(src)
        _close(dst)


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message: the head, then a ``Content-Length`` body or a chunked one (what
    came before the other side closed, if it did)."""
    data = b""
    while b"\r\n\r\n" not in data or not _complete(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    headers = _headers(head)
    if b"content-length" in headers:
        return len(body) >= int(headers[b"content-length"])
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        return body == b"0\r\n\r\n" or body.endswith(b"\r\n0\r\n\r\n")
    return True


def _headers(head: bytes) -> dict[bytes, bytes]:
    lines = head.split(b"\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines)}


def _status(answer: bytes) -> int | None:
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _body(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    if _headers(head).get(b"content-encoding", b"").lower() == b"gzip":
        return gzip.decompress(body)
    return body


def _cut_at(size: int, fraction: float) -> int:
    """Somewhere strictly inside the message: at least one byte, never all of them."""
    return 1 + int(fraction * max(0, size - 2))


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)     # wakes a thread blocked in recv on it
    except OSError:
        pass
    sock.close()

