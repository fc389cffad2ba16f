"""A student's photo decoded on the worker thread, with the tap's answer, so that the UI
thread only uploads it: the answer's frame waits for neither the disk nor the JPEG decoder.

Kivy's own asynchronous loader (``kivy.loader``) works the same way: image loaders decode
into memory off the UI thread; a texture (OpenGL) is made on the UI thread only
(``Photo.show_decoded``, kiosk.ui.widgets). A photo that cannot be decoded here is left to
the widget, which loads it the usual way (and logs why it cannot)."""
from __future__ import annotations

import logging
from typing import Any, NamedTuple

log = logging.getLogger(__name__)


class Decoded(NamedTuple):
    path: str
    image: Any              # a kivy.core.image.ImageLoaderBase: the pixels, no texture yet


def decode(path: str | None) -> Decoded | None:
    """The photo at ``path`` decoded (any thread), or None (no photo, or not decodable)."""
    if not path:
        return None
    try:
        from kivy.core.image import ImageLoader
        image = ImageLoader.load(path, nocache=True)
    except Exception:                   # the widget tries again, and says why
        log.warning("a photo could not be decoded off the UI thread", exc_info=True)
        return None
    return Decoded(path, image) if image is not None else None
