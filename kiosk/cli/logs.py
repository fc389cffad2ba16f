"""The sync agent's and the print worker's log lines, in the command line's language: their
messages (English, ``%s`` placeholders) are msgids too (``babel.cfg`` extracts the
``log.warning``/``log.info``... calls of those two modules), translated by a filter on their
loggers that the long-running commands install."""
from __future__ import annotations

import logging

from kiosk.cli.base import _

LOGGERS = ("comptoir.sync", "kiosk.print_worker")


class _Translate(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _(record.msg)
        return True


def translate_logs() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Translate) for f in logger.filters):
            logger.addFilter(_Translate())
