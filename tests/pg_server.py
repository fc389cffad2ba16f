"""A throw-away PostgreSQL server for the tests and the benchmarks (a helper, not a test).

    with PgServer() as pg:                       # initdb + postgres on 127.0.0.1: about 1 s
        url = pg.create_database("central_1")    # postgresql://postgres@127.0.0.1:PORT/central_1

It uses Debian's ``postgresql`` package (the newest of /usr/lib/postgresql/*/bin, else
``initdb``/``postgres`` on the PATH). The cluster lives in a fresh folder under /tmp; as
root, that folder belongs to the ``postgres`` user and initdb and the server run as that user
(both refuse to run as root). The server is a child process of ours (no ``pg_ctl`` daemon
left behind): it listens on 127.0.0.1 on a free port, with its unix socket in the folder, and
``stop()`` shuts it down (fast shutdown: open sessions are cut) and deletes the folder.

``durable=False`` (the tests) turns fsync off: a test database need not survive a power cut,
and each commit is then as cheap as the machine's memory. The benchmark keeps PostgreSQL's
defaults (``durable=True``), so that its commits are as durable as SQLite's
``synchronous=FULL``.
"""
from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

INSTALL_HINT = ("install Debian's 'postgresql' package (as root: apt-get install postgresql,"
                " or 'make system-deps')")


class PgUnavailable(RuntimeError):
    """PostgreSQL is not installed or would not start: the message says what to do."""


def pg_bin() -> Path:
    """The folder of the newest PostgreSQL binaries installed."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    if found:
        return max(found, key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0))
    on_path = shutil.which("postgres")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    raise PgUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres,"
                        f" no postgres on the PATH): {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, durable: bool = False, max_connections: int = 300):
        self.bin = pg_bin()
        self.durable, self.max_connections = durable, max_connections
        self.proc: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.port = 0
        self._as = {}           # Popen's user/group: the postgres user when we are root
        if os.geteuid() == 0:
            try:
                who = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable(f"no 'postgres' user to run PostgreSQL as: {INSTALL_HINT}"
                                    ) from None
            self._as = {"user": who.pw_uid, "group": who.pw_gid, "extra_groups": []}

    # -- life ----------------------------------------------------------------------------
    def start(self) -> PgServer:
        self.folder = Path(tempfile.mkdtemp(prefix="comptoir-pg-", dir="/tmp"))
        if self._as:
            os.chown(self.folder, self._as["user"], self._as["group"])
        data = self.folder / "data"
        done = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--no-locale", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, **self._as)
        if done.returncode != 0:
            self._remove()
            raise PgUnavailable(f"initdb failed ({done.returncode}): {done.stderr[-2000:]}")
        settings = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(self.folder),
                    "max_connections": str(self.max_connections)}
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off",
                         "full_page_writes": "off"}
        for _ in range(3):           # the free port may be taken meanwhile: try another
            self.port = free_port()
            options = [f"-c{k}={v}" for k, v in settings.items()]
            with open(self.folder / "postgres.log", "ab") as log:    # the server keeps its copy
                self.proc = subprocess.Popen(
                    [str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port), *options],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **self._as)
            if self._wait_ready():
                return self
        tail = (self.folder / "postgres.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise PgUnavailable(f"PostgreSQL did not start: {tail}")

    def _wait_ready(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)         # fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        self._remove()

    def _remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- databases -----------------------------------------------------------------------
    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the maintenance database (outside a transaction)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        """A new empty database (from template0); returns its URL."""
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
        self.admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, cutting any session still open on it."""
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
