"""A folder as a printer: each job is one ``.escpos`` file (the exact bytes a printer would
get), for the demo and for terminals without paper. Files are written whole (temporary name,
then rename) and readable by the owner only: receipts carry students' names."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from drivers.printer.base import PrinterState, PrinterStatus, PrinterUnavailable, ReceiptPrinter


class FolderPrinter(ReceiptPrinter):
    name = "file"
    confirms_on_write = True         # kept is printed: nothing to ask

    def __init__(self, folder: str | os.PathLike[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.folder = Path(folder)
        self._count = 0

    @property
    def where(self) -> str:
        return str(self.folder)

    def _open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not os.access(self.folder, os.W_OK | os.X_OK):
                raise PermissionError("no permission to write")
        except OSError as e:
            raise PrinterUnavailable(PrinterStatus(
                PrinterState.OFFLINE, "printer_folder",
                {"where": str(self.folder), "detail": e.strerror or str(e)})) from None

    def _write(self, data: bytes, name: str) -> None:
        self._count += 1
        stem = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{self._count:04d}"
        if name:
            stem += "-" + "".join(c for c in name if c.isalnum() or c in "-_")
        path = self.folder / f"{stem}.escpos"
        tmp = self.folder / f".{stem}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        self.last_path = path

    def _lost(self, error: BaseException) -> PrinterStatus:
        return PrinterStatus(PrinterState.OFFLINE, "printer_folder",
                             {"where": str(self.folder), "detail": str(error)})
