"""The runnable examples in the modules' docstrings stay true."""
import doctest
import importlib

import pytest

MODULES = ["sync.common.money", "sync.common.retry", "sync.common.messages", "sync.common.chain", "sync.common.wallets", "sync.common.uids", "kiosk.counter",
           "kiosk.lookups", "kiosk.payments", "drivers.badge", "drivers.badge.pcsc",
           "drivers.printer", "drivers.printer.document", "drivers.printer.status", "drivers.badge.base",
           "kiosk.hardware", "kiosk.receipts", "kiosk.demo.store",
           "sync.server.backends", "kiosk.ui.formats", "kiosk.ui.texts", "kiosk.ui.topup",
           "kiosk.ui.flows", "kiosk.ui.present", "kiosk.ui.terminal"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
