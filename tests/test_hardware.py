"""The drivers raise their own errors and report by code; the terminal (kiosk.hardware) words
them exactly as before for the canteen worker."""
from types import SimpleNamespace

import pytest

from drivers.badge import (
    InvalidUid,
    ReaderConfigError,
    ReaderError,
    normalise_uid,
    open_reader as driver_reader,
)
from drivers.printer import (
    PrinterConfigError,
    PrinterState,
    PrinterStatus,
    PrinterUnavailable,
    open_printer as driver_printer,
)
from drivers.printer.document import Document
from kiosk.config import PrinterSection, ReaderSection
from kiosk.hardware import CounterPrinterStatus, open_printer, open_reader, printer_message
from sync.common import uids
from sync.common.errors import ConfigError, Refusal


@pytest.mark.parametrize("section, detail", [
    (ReaderSection(backend="carrier-pigeon"), "reader.backend: unknown backend 'carrier-pigeon'"),
    (ReaderSection(backend="nfc", nfc_device=""),
     "reader.nfc_device: empty (usb, usb:VID:PID, tty:..., udp)"),
    (ReaderSection(backend="wedge", wedge_device=""),
     "reader.wedge_device: empty (an input device, or - )"),
])
def test_reader_settings_that_cannot_work_are_config_errors(section, detail):
    with pytest.raises(ReaderConfigError) as raw:
        driver_reader(section)
    assert raw.value.code == "config_error" and raw.value.detail == detail
    assert isinstance(raw.value, ReaderError)
    with pytest.raises(ConfigError) as worded:
        open_reader(section)
    assert worded.value.message("fr") == f"Configuration invalide\xa0: {detail}"


def test_printer_settings_that_cannot_work_are_config_errors():
    for section, detail in [(PrinterSection(backend="pigeon"), "unknown printer backend 'pigeon'"),
                            (PrinterSection(backend="network", host=""),
                             "a network printer needs its address: [printer] host")]:
        with pytest.raises(PrinterConfigError, match="^" + detail.replace("[", r"\[")):
            driver_printer(section)
        with pytest.raises(ConfigError) as worded:
            open_printer(section)
        assert worded.value.message("en") == f"Invalid configuration: [printer]: {detail}"
    assert open_printer(PrinterSection(backend="none")) is None


def test_printer_statuses_come_by_code_and_the_terminal_words_them(tmp_path):
    doc = Document(32)
    doc.line("test")
    raw = driver_printer(SimpleNamespace(backend="dummy", columns=32, profile="TM-T88V"))
    status = raw.print(doc)
    assert type(status) is PrinterStatus and status.code == "printer_ok"
    assert not hasattr(status, "reason")                    # the driver words nothing
    worded = open_printer(PrinterSection(backend="dummy")).print(doc)
    assert isinstance(worded, CounterPrinterStatus) and worded == status
    assert [worded.reason(lang) for lang in ("fr", "nl", "en")] == [
        "Imprimante prête.", "Printer klaar.", "Printer ready."]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    printer = open_printer(PrinterSection(backend="file", path=str(blocker)))
    with pytest.raises(PrinterUnavailable) as lost:
        printer.print(doc)
    assert isinstance(lost.value.status, CounterPrinterStatus)
    assert lost.value.status.state is PrinterState.OFFLINE
    assert lost.value.status.reason("fr") == printer_message(lost.value.status, "fr")
    assert "not-a-folder" in lost.value.status.reason("fr")
    assert str(lost.value).startswith("printer offline: printer_folder (where=")


@pytest.mark.parametrize("raw", ["04:a1:b2:c3", "04A1B2C3", "04 11 22 33 44 55 66", "0a-0b-0c-0d",
                                 "zz", "", "04A1B2", "04A1B2C3D", "00" * 10, "00" * 11, 4, None,
                                 "04a1b2c3\n", "ÉÉ"])
def test_readers_normalise_uids_as_the_store_does(raw):
    """The drivers' own helper and the shared rule agree on every input (both accept and give
    the same UID, or both refuse)."""
    try:
        expected = uids.normalise_uid(raw)
    except Refusal:
        with pytest.raises(InvalidUid) as refused:
            normalise_uid(raw)
        assert refused.value.code == "bad_badge"
    else:
        assert normalise_uid(raw) == expected
