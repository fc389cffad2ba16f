"""A data folder for the demo: the demo school (kiosk.demo.school), a terminal configuration with
the school's IBAN (for the top-up QR code), and portrait placeholders for the hand-made demo
students so that the screens show photos. Never for a real terminal (the PINs are public)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

DEMO_SCHOOL = {"name": "Institut Saint-Michel (démo)", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB"}
PORTRAIT_COLOURS = [(66, 103, 178), (178, 82, 66), (60, 140, 90), (150, 90, 160), (200, 140, 40),
                    (40, 140, 150), (120, 120, 120), (170, 70, 110)]


def make_demo_folder(folder: Path, profile: str = "canteen", students: int = 800) -> bool:
    """Create the demo data folder unless it already has a store; True if it was created."""
    from kiosk import importer
    from kiosk.config import load_config, render_config
    from kiosk.demo.school import generate
    from kiosk.store import open_store
    from kiosk.ui.terminal import CONFIG_NAME, DB_NAME
    from sync.common.clock import SystemClock, business_day

    folder = Path(folder)
    if (folder / DB_NAME).exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    name = "Cantine 1" if profile == "canteen" else "Accueil"
    text = render_config(name, profile)
    text = text.replace('name = ""', f'name = "{DEMO_SCHOOL["name"]}"')
    text = text.replace('iban = ""', f'iban = "{DEMO_SCHOOL["iban"]}"')
    text = text.replace('bic = ""', f'bic = "{DEMO_SCHOOL["bic"]}"')
    (folder / CONFIG_NAME).write_text(text, encoding="utf-8")
    config = load_config(folder / CONFIG_NAME)
    now = SystemClock().now()
    data = generate(students, day=business_day(now, config.tz))
    store = open_store(folder / DB_NAME, create=True)
    try:
        importer.apply(store, importer.parse(data), now)
    finally:
        store.close()
    make_portraits(folder, data["students"][:8])
    return True


def make_portraits(folder: Path, students: list[dict]) -> int:
    """Initials on a coloured square at each student's ``photo_ref`` (needs Pillow)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return 0
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont | None = None
    spec = importlib.util.find_spec("kivy")
    if spec and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "data" / "fonts" / "Roboto-Bold.ttf"
        if path.exists():
            font = ImageFont.truetype(str(path), 150)
    font = font or ImageFont.load_default()
    made = 0
    for i, s in enumerate(students):
        if not s.get("photo_ref"):
            continue
        target = folder / s["photo_ref"]
        target.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (360, 440), PORTRAIT_COLOURS[i % len(PORTRAIT_COLOURS)])
        draw = ImageDraw.Draw(image)
        draw.ellipse((90, 60, 270, 240), fill=(235, 225, 215))
        draw.rectangle((60, 260, 300, 440), fill=(235, 225, 215))
        initials = s["first_name"][0] + s["last_name"][0]
        draw.text((180, 350), initials, font=font, fill=(40, 40, 40), anchor="mm")
        image.save(target, "JPEG", quality=85)
        made += 1
    return made
