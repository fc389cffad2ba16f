"""terminal.toml: defaults, examples, and errors that name the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import TerminalConfig, load_config, parse_config, render_config, window_size
from sync.common.errors import ConfigError

EXAMPLES = sorted((Path(__file__).parent.parent / "config").glob("*.toml"))


def test_missing_file_means_defaults(tmp_path):
    config = load_config(tmp_path / "terminal.toml")
    assert config.terminal.timezone == "Europe/Brussels" and config.policy.overdraft_limit_cents == 0


def test_rendered_config_reads_back(tmp_path):
    path = tmp_path / "terminal.toml"
    path.write_text(render_config('Cantine "Nord"', "reception"))
    config = load_config(path)
    assert (config.terminal.name, config.terminal.profile) == ('Cantine "Nord"', "reception")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path):
    assert load_config(path).terminal.profile in ("canteen", "reception")


def test_examples_exist():
    assert {p.name for p in EXAMPLES} >= {"canteen.toml", "reception.toml"}


@pytest.mark.parametrize("data, needle", [
    ({"policy": {"overdraft_limit": 5}}, "policy.overdraft_limit: unknown key"),
    ({"polcy": {}}, "[polcy]: unknown section"),
    ({"policy": {"overdraft_limit_cents": "5"}}, "policy.overdraft_limit_cents: must be a whole number"),
    ({"policy": {"overdraft_limit_cents": 1.5}}, "must be a whole number"),
    ({"policy": {"offline_daily_cap_cents": -1}}, "must not be negative"),
    ({"policy": {"allergen_policy": "ignore"}}, "policy.allergen_policy: must be one of confirm, refuse"),
    ({"terminal": {"profile": "kitchen"}}, "terminal.profile: must be one of canteen, reception"),
    ({"terminal": {"timezone": "Mars/Olympus"}}, "terminal.timezone: unknown time zone"),
    ({"terminal": {"name": 3}}, "terminal.name: must be text"),
    ({"terminal": "Cantine"}, "[terminal]: must be a table"),
    ({"policy": {"double_tap_seconds": True}}, "must be a whole number"),
])
def test_bad_values_name_the_key(data, needle):
    with pytest.raises(ConfigError) as info:
        parse_config(data, "terminal.toml")
    assert needle in str(info.value)
    assert str(info.value).startswith("Configuration invalide\xa0: terminal.toml: ")


def test_bad_toml(tmp_path):
    path = tmp_path / "terminal.toml"
    path.write_text("[terminal\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


@pytest.mark.parametrize("data, needle", [
    ({"ui": {"dpi": 20}}, "ui.dpi: must be 0 (from the display) or between 50 and 800 (got 20)"),
    ({"ui": {"dpi": "133"}}, "ui.dpi: must be a whole number"),
    ({"ui": {"window": "full"}}, 'ui.window: must be "kiosk" or a size like "1280x800"'),
    ({"ui": {"window": "80x48"}}, 'ui.window: must be "kiosk" or a size like "1280x800"'),
])
def test_bad_panel_settings_name_the_key(data, needle):
    with pytest.raises(ConfigError) as info:
        parse_config(data, "terminal.toml")
    assert needle in str(info.value)


def test_panel_settings():
    assert (TerminalConfig().ui.dpi, TerminalConfig().ui.window) == (0, "kiosk")   # kiosk by default
    config = parse_config({"ui": {"dpi": 133, "window": "800x480"}})
    assert (config.ui.dpi, window_size(config.ui.window)) == (133, (800, 480))
    assert window_size("1280×800") == (1280, 800) and window_size("kiosk") is None
