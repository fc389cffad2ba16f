"""``python -m kiosk.ui [--data DIR] [--demo] ...``: the same as ``comptoir ui``."""
import sys

from kiosk.cli import main

sys.exit(main(["ui", *sys.argv[1:]]))
