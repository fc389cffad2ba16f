"""One version, one source: setup.cfg's ``version``, read at run time from the installed
distribution's metadata (``sync.common.version``); the sync client's User-Agent carries it
(tests/test_sync_client.py), and so will ``comptoir --version``."""
from __future__ import annotations

import configparser
import json
import subprocess
import sys
from importlib.metadata import distributions, version as installed_version
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from packaging.version import Version

from sync.common import version as version_module
from sync.common.version import __version__, user_agent, version

ROOT = Path(__file__).resolve().parents[1]


def source_version() -> str:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg["metadata"]["version"]


def installed_from_this_checkout() -> bool:
    """An editable install of this very source tree (``make test``'s, CI's). Every
    ``comptoir`` distribution on the path is asked: an editable install also leaves a
    ``comptoir.egg-info`` (no ``direct_url.json``) in the tree, found first from its root."""
    for dist in distributions(name="comptoir"):
        text = dist.read_text("direct_url.json")
        url = json.loads(text).get("url", "") if text else ""
        if url.startswith("file:") and Path(unquote(urlsplit(url).path)).resolve() == ROOT:
            return True
    return False


def test_the_version_is_the_installed_distributions():
    assert version() == __version__ == installed_version("comptoir")
    assert str(Version(version())) == version()          # PEP 440, normalised
    assert user_agent() == f"comptoir/{version()} (terminal)"


def test_setup_cfg_is_the_one_source():
    if not installed_from_this_checkout():
        pytest.skip("comptoir is installed from another checkout: its metadata is that one's")
    assert version() == source_version()


def test_a_source_tree_never_installed_says_unknown(monkeypatch):
    from importlib.metadata import PackageNotFoundError

    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version_module, "_installed_version", missing)
    version_module.version.cache_clear()
    try:
        assert version_module.version() == "0+unknown"
        assert Version("0+unknown") < Version("0.1.0")
    finally:
        version_module.version.cache_clear()


def test_comptoir_version_prints_the_same_version():
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "--version"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"comptoir {version()}"
