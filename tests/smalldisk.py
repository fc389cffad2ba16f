"""A small file system of its own (a tmpfs mounted for the test), filled to the last byte and
freed on demand: a real full disk (issue 13, point 12). Mounting needs root, as on CI."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


class SmallDisk:
    """A tmpfs of its own, filled and freed on demand."""

    def __init__(self, path: Path):
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 16, 1):              # big blocks, then the last bytes
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
        finally:
            os.close(fd)
        assert os.statvfs(self.path).f_bfree == 0, "the disk is not full"

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path):
    """A mounted tmpfs of 16 MB (``SmallDisk``), unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail("a full disk needs a small file system of its own: mounting a tmpfs failed"
                    f" ({done.stderr.strip()}); run the tests as root, as CI does")
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
