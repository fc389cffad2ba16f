"""Reading a child's output after some of it was read line by line.

``Popen.communicate`` reads the pipes' file descriptors directly: what ``proc.stdout.readline()``
already pulled into the stream's buffer (a line the child wrote in the same burst as the one
the test waited for) is not in what it returns. A test that read lines finishes with
``rest_of`` instead, which reads the same buffered streams to their end.
"""
from __future__ import annotations

import subprocess
import threading


def rest_of(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Waits for the child to exit and returns the rest of its stdout and its stderr (either
    "" when not piped). Both are drained while waiting, so a chatty child cannot block on a
    full pipe; raises ``subprocess.TimeoutExpired`` when it does not exit in time."""
    found = {"out": "", "err": ""}

    def drain(name: str, stream) -> None:
        found[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(name, stream), daemon=True)
               for name, stream in (("out", proc.stdout), ("err", proc.stderr)) if stream]
    for reader in readers:
        reader.start()
    proc.wait(timeout=timeout)
    for reader in readers:
        reader.join(timeout)
    return found["out"], found["err"]
