"""``python -m kiosk.cli``: the ``comptoir`` command."""
import sys

from kiosk.cli import main

sys.exit(main())
