"""A private PC/SC stack for the tests and the benchmark: the real ``pcscd`` as a child
process with a virtual reader (vsmartcard's ``vpcd`` driver), and virtual badges of our own
that speak vpcd's socket protocol.

vpcd makes pcscd listen on TCP for a card (one port per slot: PORT for slot ``00 00``,
PORT+1 for ``00 01``). A badge is *on the reader* while its TCP connection is open. Each
message, both ways, is a 2-byte big-endian length and a payload; from vpcd, one byte is a
command (``00`` power off, ``01`` power on, ``02`` reset, ``04`` send the ATR) and anything
longer is a C-APDU, answered with an R-APDU (data + SW1 SW2).

Only one pcscd can run on a machine (its socket is ``/run/pcscd/pcscd.comm``, fixed at build
time), so ``running_stack`` takes a lock file first: a test session and the benchmark wait
for each other instead of killing each other's daemon.

    with running_stack(Path("/tmp/work")) as stack:
        with stack.card(bytes.fromhex("04A1B2C3")):      # badge laid on the reader
            ...                                          # a PcscReader sees it

Readers named like real ones (``stack.start(names=[...])``): one vpcd reader per name, in one
configuration file so that pcscd lists them in that order, each as "NAME 00 00" and
"NAME 00 01". vpcd keeps one connection per *slot number* for the whole pcscd
(``ctx[Lun & 0xffff]`` in its ifd-vpcd.c), so with several vpcd readers every reader's slot
00 00 shares the last one's: such a layout shows reader names, not badges.
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

RUN_DIR = Path("/run/pcscd")
LOCK_PATH = Path(tempfile.gettempdir()) / "comptoir-pcscd.lock"
# pid and configuration folder of the pcscd this module last started: a run killed before its
# clean-up leaves that pcscd behind, and the next run (holding the lock) may end it.
OWNER_PATH = Path(tempfile.gettempdir()) / "comptoir-pcscd.owner"
FRIENDLY_NAME = "Comptoir Test PCD"
SLOT0 = f"{FRIENDLY_NAME} 00 00"        # the reader name pcscd gives vpcd's first slot
# ATR of a contactless card as PC/SC part 3 readers show it (MIFARE Classic 1K).
CONTACTLESS_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA000000")
OK = b"\x90\x00"


class StackMissing(RuntimeError):
    """pcscd or vpcd is not installed, or the stack could not start: the message says what
    to do. Tests fail with it (they never skip)."""


def find_pcscd() -> str:
    for candidate in (shutil.which("pcscd"), "/usr/sbin/pcscd", "/usr/local/sbin/pcscd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise StackMissing("pcscd is not installed: apt-get install pcscd (see APT_PACKAGES in the Makefile)")


def find_vpcd_driver() -> str:
    found = sorted(glob.glob("/usr/lib/pcsc/drivers/**/libifdvpcd.so*", recursive=True)
                   + glob.glob("/usr/local/lib/pcsc/drivers/**/libifdvpcd.so*", recursive=True))
    if not found:
        raise StackMissing("the virtual reader driver vpcd is not installed:"
                           " apt-get install vsmartcard-vpcd (see APT_PACKAGES in the Makefile)")
    return found[0]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))     # vpcd listens on every interface
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port P with P and P+1 free, below Linux's ephemeral range (32768+) so that no
    outgoing connection can take it between this check and pcscd's bind."""
    ports = list(range(20000, 32000, 2))
    random.shuffle(ports)
    for port in ports:
        if _port_free(port) and _port_free(port + 1):
            return port
    raise StackMissing("no free TCP port pair between 20000 and 32000 for the virtual reader")


def _live_pcscd_pids() -> list[int]:
    """Every running (not zombie) pcscd on the machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "pcscd":
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def _end_our_orphan() -> None:
    """End the pcscd a killed earlier run of this module left behind, recognised by the pid
    and the private configuration folder it recorded (never any other pcscd)."""
    try:
        pid_text, confdir = OWNER_PATH.read_text().strip().split(" ", 1)
        pid = int(pid_text)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if pid in _live_pcscd_pids() and confdir.encode() in cmdline:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while pid in _live_pcscd_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid in _live_pcscd_pids():
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        OWNER_PATH.unlink()


class VirtualCard:
    """A badge of the tests' own: answers ``FF CA 00 00 00`` with ``uid`` + ``status``
    (``status`` other than 90 00: the status word alone, like a reader refusing).

    ``insert()`` lays it on the reader (opens the TCP connection to vpcd), ``remove()`` takes
    it off. ``uid_requests`` counts the GET UID commands it answered; ``inserted_at`` and
    ``uid_sent_at`` are ``time.monotonic()`` stamps for the benchmark."""

    def __init__(self, port: int, uid: bytes, status: bytes = OK, atr: bytes = CONTACTLESS_ATR,
                 host: str = "127.0.0.1") -> None:
        self.port, self.uid, self.status, self.atr, self.host = port, bytes(uid), bytes(status), atr, host
        self.uid_requests = 0
        self.inserted_at = self.uid_sent_at = 0.0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout: float = 5.0) -> VirtualCard:
        if self._sock is not None:
            raise RuntimeError("card already on the reader")
        deadline = time.monotonic() + timeout
        while True:      # right after a pcscd (re)start vpcd may not listen yet
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise StackMissing(f"cannot reach the virtual reader on port {self.port}: {exc}") from exc
                time.sleep(0.02)
        sock.settimeout(None)
        # vpcd sends length and payload in two pieces: without these each APDU waits 40 ms
        # for a delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self._sock = sock
        self.inserted_at = time.monotonic()
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                        name="virtual-card")
        self._thread.start()
        return self

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    def __enter__(self) -> VirtualCard:
        return self if self._sock is not None else self.insert()

    def __exit__(self, *exc) -> None:
        self.remove()

    # -- vpcd's side of the conversation ---------------------------------------------------
    def answer(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            return self.atr if message == b"\x04" else None   # power off/on, reset: no answer
        if message[:4] == GET_UID[:4]:
            self.uid_requests += 1
            self.uid_sent_at = time.monotonic()
            return self.uid + self.status if self.status == OK else self.status
        return b"\x6D\x00"                                   # instruction not supported

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exactly(sock, 2)
                message = _recv_exactly(sock, struct.unpack(">H", header)[0])
                reply = self.answer(message)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except (OSError, EOFError):
            return          # taken off the reader, or pcscd went away


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        # Quick ACK is not sticky on Linux: ask again before each read, or vpcd's second
        # piece (it sends length and payload separately, Nagle on) waits 40 ms for our ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class PcscStack:
    """pcscd with one vpcd reader, started from a private configuration folder."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.pcscd = find_pcscd()
        self.driver = find_vpcd_driver()
        self.port = free_port_pair()
        self.reader_name = SLOT0
        self.confdir = self.workdir / "reader.conf.d"
        self.confdir.mkdir(parents=True, exist_ok=True)
        (self.confdir / "vpcd").write_text(
            f'FRIENDLYNAME "{FRIENDLY_NAME}"\n'
            f"DEVICENAME   /dev/null:0x{self.port:X}\n"
            f"LIBPATH      {self.driver}\n"
            f"CHANNELID    0x{self.port:X}\n")
        self.log_path = self.workdir / "pcscd.log"
        self.proc: subprocess.Popen | None = None
        self.has_reader = False
        self.started_at = self.ready_at = self.stopped_at = 0.0

    # -- the daemon ------------------------------------------------------------------------
    def start(self, timeout: float = 10.0, with_reader: bool = True,
              names: list[str] | None = None) -> float:
        """Start pcscd and wait until it lists our reader; returns that moment (monotonic).
        ``with_reader=False``: a pcscd with no reader at all (as if it were unplugged);
        ``names``: vpcd readers with these names instead (see the module's docstring)."""
        if self.proc is not None:
            raise RuntimeError("pcscd already started")
        self._clear_stale_files()
        confdir = self.confdir if with_reader else self.workdir / "no-readers.conf.d"
        expected = [self.reader_name] if with_reader else []
        if names:
            confdir = self.workdir / "named.conf.d"
            confdir.mkdir(exist_ok=True)
            blocks = []
            for name in names:
                port = free_port_pair()
                blocks.append(f'FRIENDLYNAME "{name}"\nDEVICENAME   /dev/null:0x{port:X}\n'
                              f"LIBPATH      {self.driver}\nCHANNELID    0x{port:X}\n")
            (confdir / "vpcd").write_text("\n".join(blocks))
            expected = [f"{name} {slot}" for name in names for slot in ("00 00", "00 01")]
        confdir.mkdir(exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen([self.pcscd, "--foreground", "--info", "-c", str(confdir)],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        OWNER_PATH.write_text(f"{self.proc.pid} {confdir}\n")
        self.has_reader = with_reader and not names
        self.ready_at = self._wait_listed(timeout, expected)
        return self.ready_at

    def stop(self) -> float:
        """Terminate pcscd (it removes its socket and pid file); returns when it is gone."""
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            with contextlib.suppress(FileNotFoundError):
                OWNER_PATH.unlink()
        self.stopped_at = time.monotonic()
        return self.stopped_at

    def restart(self, down_for: float = 0.0) -> float:
        self.stop()
        if down_for:
            time.sleep(down_for)
        return self.start()

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no pcscd log)"

    def _clear_stale_files(self) -> None:
        _end_our_orphan()
        others = _live_pcscd_pids()
        deadline = time.monotonic() + 10
        while others and time.monotonic() < deadline:      # one that is just exiting
            time.sleep(0.1)
            others = _live_pcscd_pids()
        if others:
            raise StackMissing(
                f"another pcscd is running (pid {', '.join(map(str, others))}); only one can run on a"
                " machine: stop it (e.g. systemctl stop pcscd.socket pcscd) and run the tests again")
        # Left by a pcscd that was killed: they make a new one refuse to start.
        for name in ("pcscd.pid", "pcscd.comm"):
            with contextlib.suppress(FileNotFoundError):
                (RUN_DIR / name).unlink()

    def _wait_listed(self, timeout: float, expected: list[str]) -> float:
        """Until pcscd answers and lists the ``expected`` readers (all; or none at all)."""
        from smartcard import scard
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StackMissing(f"pcscd exited at start (code {self.proc.returncode}):\n{self.log_tail()}")
            rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if rv == scard.SCARD_S_SUCCESS:
                try:
                    rv, readers = scard.SCardListReaders(ctx, [])
                    if rv == scard.SCARD_S_SUCCESS and expected and set(expected) <= set(readers):
                        return time.monotonic()
                    if rv == scard.SCARD_E_NO_READERS_AVAILABLE and not expected:
                        return time.monotonic()
                finally:
                    scard.SCardReleaseContext(ctx)
            time.sleep(0.02)
        raise StackMissing(f"pcscd did not show the virtual reader within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    # -- badges ----------------------------------------------------------------------------
    def card(self, uid: bytes | str, status: bytes = OK, slot: int = 0) -> VirtualCard:
        """A badge (not yet on the reader) for slot ``00 00``, or ``00 01`` with slot=1:
        pcscd shows each slot as a reader of its own."""
        if isinstance(uid, str):
            uid = bytes.fromhex(uid)
        return VirtualCard(self.port + slot, uid, status)

    def wait_slot(self, present: bool, timeout: float = 5.0, reader: str | None = None) -> float:
        """Wait until pcscd itself reports the slot (default ``00 00``) with (or without) a
        card, with a bare SCardGetStatusChange loop; returns that moment (monotonic)."""
        reader = reader or self.reader_name
        from smartcard import scard
        rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            raise StackMissing(f"pcscd is not answering: {scard.SCardGetErrorMessage(rv)}")
        try:
            states = [(reader, scard.SCARD_STATE_UNAWARE)]
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"slot still {'empty' if present else 'occupied'} after {timeout} s")
                rv, states = scard.SCardGetStatusChange(ctx, int(left * 1000), states)
                if rv == scard.SCARD_S_SUCCESS and bool(states[0][1] & scard.SCARD_STATE_PRESENT) == present:
                    return time.monotonic()
                if rv not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                    raise StackMissing(f"pcscd: {scard.SCardGetErrorMessage(rv)}")
        finally:
            scard.SCardReleaseContext(ctx)


@contextlib.contextmanager
def machine_lock(timeout: float = 180.0):
    """Only one user of pcscd at a time on this machine (test sessions, the benchmark)."""
    with open(LOCK_PATH, "a+") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StackMissing(f"{LOCK_PATH} stayed locked for {timeout:.0f} s: another test"
                                       " run or benchmark is using pcscd") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def running_stack(workdir: Path):
    """The whole stack for the duration of the block; pcscd is always terminated after."""
    with machine_lock():
        stack = PcscStack(workdir)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()
