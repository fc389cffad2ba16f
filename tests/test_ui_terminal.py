"""The touch app's terminal (no Kivy): a student's photo is shown only from inside the data
folder, whatever the platform's photo reference says."""
from __future__ import annotations

from types import SimpleNamespace

from kiosk.ui.terminal import Terminal


def test_photo_path_stays_inside_the_data_folder(tmp_path):
    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True)
    (data / "photos" / "S00001.png").write_bytes(b"\x89PNG")
    (tmp_path / "outside.png").write_bytes(b"\x89PNG")
    terminal = object.__new__(Terminal)      # only the folder matters here
    terminal.folder = data

    def photo(ref):
        return terminal.photo_path(SimpleNamespace(photo_ref=ref))
    assert photo("photos/S00001.png") == str((data / "photos" / "S00001.png").resolve())
    for ref in ("photos/S00002.png", "../outside.png", str(tmp_path / "outside.png"),
                "photos/../../outside.png", ".", "", None):
        assert photo(ref) is None, ref
    assert terminal.photo_path(None) is None
