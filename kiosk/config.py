"""The terminal's configuration: a TOML file (``terminal.toml`` in the data folder; examples in
``config/``). Every key is known: an unknown key, a wrong type or a bad value is a
``ConfigError`` that names the file and the key; a missing key takes the default below."""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.common.errors import ConfigError

PROFILES = ("canteen", "reception")
LANGUAGES = ("fr", "nl", "en")


@dataclass(frozen=True)
class TerminalSection:
    name: str = "Caisse"
    profile: str = "canteen"            # which articles this counter sells
    timezone: str = "Europe/Brussels"
    language: str = "fr"


@dataclass(frozen=True)
class PolicySection:
    overdraft_limit_cents: int = 0      # how far below zero a wallet may go
    stale_after_minutes: int = 60       # no successful pull for this long: data is stale...
    offline_daily_cap_cents: int = 1000  # ...and a student may spend at most this per day
    allergen_policy: str = "confirm"    # confirm: operator must confirm; refuse: never sell
    double_tap_seconds: int = 2
    integrity_check_minutes: int = 60


@dataclass(frozen=True)
class PhotocopySection:
    bw_article: str = "COPY-BW"
    colour_article: str = "COPY-COLOUR"


@dataclass(frozen=True)
class PrintingSection:
    receipt: str = "on_request"         # always | on_request (queued when asked) | never


@dataclass(frozen=True)
class SchoolSection:
    name: str = ""                      # printed on receipts and slips
    iban: str = ""                      # where parents transfer top-ups (low-balance slip, QR)
    bic: str = ""                       # empty: the bank's BIC, found from a Belgian IBAN
    topup_amount_cents: int = 2000      # the top-up the low-balance slip's QR code suggests


@dataclass(frozen=True)
class ReaderSection:
    backend: str = "simulated"          # pcsc | nfc | wedge | simulated
    pcsc_reader: str = ""               # part of the PC/SC reader's name; empty: the contactless
                                        # slot (or the only reader): see docs/readers.md
    nfc_device: str = "usb"             # any path nfcpy accepts: usb, usb:VID:PID, tty:..., udp
    wedge_device: str = "-"             # /dev/input/event*, or "-" for standard input
    wedge_format: str = "hex"           # hex | decimal10 | 8h10d (what the reader types)
    wedge_reverse_bytes: bool = False   # the reader types the UID's bytes in reverse order
    wedge_prefix: str = ""              # characters the reader types before the number
    wedge_suffix: str = ""              # ... and after it, before Enter
    wedge_timeout_ms: int = 300         # a pause between two keys longer than this drops the
                                        # number being typed (0: no limit, typed by hand)
    simulated_socket: str = ""          # a local socket to inject UIDs into; empty: code only


@dataclass(frozen=True)
class PrinterSection:
    backend: str = "file"               # usb | network | serial | file | dummy | none
    columns: int = 42                   # 32 | 42 | 48 characters per line
    profile: str = "TM-T88V"            # python-escpos printer profile
    usb_vendor: int = 0                 # usb: ids, e.g. 0x04b8 / 0x0202
    usb_product: int = 0
    host: str = ""                      # network
    port: int = 9100
    serial_device: str = "/dev/ttyUSB0"  # serial
    baudrate: int = 9600
    path: str = "receipts"              # file: a folder (relative to the data folder)
    confirm: str = "printed"            # printed (GS r) | received (DLE EOT) | none: a model
                                        # without status, jobs "sent, unconfirmed" (docs/printers.md)
    status_timeout_ms: int = 1000       # a status answer later than this: the printer is silent
    confirm_timeout_ms: int = 20000     # a job not confirmed within this: a fault, printed again
    probe_seconds: int = 10             # how often an idle printer is asked how it is


@dataclass(frozen=True)
class SyncSection:
    pull_minutes: int = 5               # pull the platform's changes this often
    nightly_at: str = "02:30"           # full resync and consistency check, local time
    allow_http: bool = False            # plain http to a non-loopback server (never in production)
    ca_file: str = ""                   # CA bundle for a platform with a private certificate
                                        # authority; empty: the system's trusted CAs


@dataclass(frozen=True)
class UiSection:
    idle_lock_seconds: int = 120        # the touch screen locks after this long without a touch or tap
    sound: bool = True                  # beeps on results, a distinct alarm on allergen alerts
    rush_result_seconds: int = 4        # rush mode: an answer fills the screen this long, then the
                                        # screen waits for the next badge (the last answers stay in
                                        # a strip); 0: until the next badge
    dpi: int = 0                        # the panel's dots per inch (touch targets are 12 mm);
                                        # 0: as the display tells, else Kivy's default (96)
    window: str = "kiosk"               # kiosk: full screen, no decorations, the panel's native
                                        # size; "WxH" (e.g. "1280x800"): a window, for development


@dataclass(frozen=True)
class BackupSection:
    folder: str = ""                    # where the store is backed up; empty: <data>/backups
                                        # (relative paths: in the data folder)
    second_folder: str = ""             # a second copy, e.g. a USB key's mount point; skipped
                                        # when absent, not writable or on the store's own disk
    keep_days: int = 14                 # backups older than this are deleted (never the newest)


@dataclass(frozen=True)
class TerminalConfig:
    terminal: TerminalSection = field(default_factory=TerminalSection)
    policy: PolicySection = field(default_factory=PolicySection)
    photocopy: PhotocopySection = field(default_factory=PhotocopySection)
    printing: PrintingSection = field(default_factory=PrintingSection)
    school: SchoolSection = field(default_factory=SchoolSection)
    reader: ReaderSection = field(default_factory=ReaderSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    sync: SyncSection = field(default_factory=SyncSection)
    ui: UiSection = field(default_factory=UiSection)
    backup: BackupSection = field(default_factory=BackupSection)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.terminal.timezone)


_CHOICES = {
    ("terminal", "profile"): PROFILES,
    ("terminal", "language"): LANGUAGES,
    ("policy", "allergen_policy"): ("confirm", "refuse"),
    ("printing", "receipt"): ("always", "on_request", "never"),
    ("reader", "backend"): ("pcsc", "nfc", "wedge", "simulated"),
    ("reader", "wedge_format"): ("hex", "decimal10", "8h10d"),
    ("printer", "backend"): ("usb", "network", "serial", "file", "dummy", "none"),
    ("printer", "columns"): (32, 42, 48),
    ("printer", "confirm"): ("printed", "received", "none"),
}


def parse_config(data: dict, source: str = "config") -> TerminalConfig:
    def fail(key: str, why: str) -> NoReturn:
        raise ConfigError(detail=f"{source}: {key}: {why}")

    sections = {}
    known = {f.name: f.type for f in fields(TerminalConfig)}
    for name in data:
        if name not in known:
            fail(f"[{name}]", f"unknown section (known: {', '.join(known)})")
    for sec_field in fields(TerminalConfig):
        cls: Any = sec_field.default_factory     # every section is a dataclass made by default
        raw = data.get(sec_field.name, {})
        if not isinstance(raw, dict):
            fail(f"[{sec_field.name}]", "must be a table")
        values = {}
        names = {f.name: f for f in fields(cls)}
        for key, value in raw.items():
            where = f"{sec_field.name}.{key}"
            if key not in names:
                fail(where, f"unknown key (known: {', '.join(names)})")
            default = names[key].default
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    fail(where, f"must be true or false (got {value!r})")
            elif isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
                fail(where, f"must be a whole number (got {value!r})")
            if isinstance(default, int) and value < 0:
                fail(where, f"must not be negative (got {value})")
            if isinstance(default, str) and not isinstance(value, str):
                fail(where, f"must be text (got {value!r})")
            choices = _CHOICES.get((sec_field.name, key))
            if choices and value not in choices:
                fail(where, f"must be one of {', '.join(map(str, choices))} (got {value!r})")
            values[key] = value
        sections[sec_field.name] = cls(**values)
    config = TerminalConfig(**sections)
    try:
        _ = config.tz                   # the zone is looked up: a name the system lacks fails here
    except (ZoneInfoNotFoundError, ValueError):
        fail("terminal.timezone", f"unknown time zone {config.terminal.timezone!r}")
    if config.policy.double_tap_seconds > 60:
        fail("policy.double_tap_seconds", "must be at most 60")
    if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", config.sync.nightly_at):
        fail("sync.nightly_at", f"must be a time like 02:30 (got {config.sync.nightly_at!r})")
    if config.school.iban:
        from kiosk.payments import validate_iban
        try:
            validate_iban(config.school.iban)
        except ValueError as e:
            fail("school.iban", str(e))
    if config.ui.idle_lock_seconds < 1:
        fail("ui.idle_lock_seconds", "must be at least 1")
    if config.ui.dpi and not 50 <= config.ui.dpi <= 800:
        fail("ui.dpi", f"must be 0 (from the display) or between 50 and 800 (got {config.ui.dpi})")
    if config.ui.window != "kiosk" and window_size(config.ui.window) is None:
        fail("ui.window", f'must be "kiosk" or a size like "1280x800" (got {config.ui.window!r})')
    if config.backup.keep_days < 1:
        fail("backup.keep_days", "must be at least 1")
    if config.sync.pull_minutes < 1:
        fail("sync.pull_minutes", "must be at least 1")
    if config.sync.ca_file and not Path(config.sync.ca_file).is_file():
        fail("sync.ca_file", f"no such file {config.sync.ca_file!r} (give an absolute path)")
    return config


def window_size(text: str) -> tuple[int, int] | None:
    """``"1280x800"`` → (1280, 800); None for anything else (or a side under 200 px)."""
    match = re.fullmatch(r"\s*(\d{3,5})\s*[x×]\s*(\d{3,5})\s*", text)
    if match is None:
        return None
    width, height = int(match[1]), int(match[2])
    return (width, height) if min(width, height) >= 200 else None


def load_config(path: str | Path) -> TerminalConfig:
    """Read ``path``; a missing file means all defaults."""
    path = Path(path)
    if not path.exists():
        return TerminalConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(detail=f"{path}: not valid TOML ({e})") from None
    except UnicodeDecodeError:
        raise ConfigError(detail=f"{path}: not UTF-8 text") from None
    return parse_config(data, str(path))


def render_config(name: str, profile: str) -> str:
    """The ``terminal.toml`` that ``comptoir init`` writes: every key, with its default."""
    c = TerminalConfig()
    lines = ["# Comptoir terminal configuration (see config/ in the sources for examples).", ""]
    for sec in fields(c):
        lines.append(f"[{sec.name}]")
        for f in fields(getattr(c, sec.name)):
            value = getattr(getattr(c, sec.name), f.name)
            if (sec.name, f.name) == ("terminal", "name"):
                value = name
            if (sec.name, f.name) == ("terminal", "profile"):
                value = profile
            lines.append(f"{f.name} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)
