"""Running the reference server in-process on a free loopback port (a helper, not a test)."""
from __future__ import annotations

import threading
import time

import uvicorn

from sync.server.app import create_app
from sync.server.storage import CentralStore


class Served:
    def __init__(self, store: CentralStore):
        self.server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=0,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
