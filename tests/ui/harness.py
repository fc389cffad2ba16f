"""The UI tests drive the app with its autopilot (kiosk/ui/autopilot.py): Xvfb, Kivy's headless
set-up, the Driver that touches real widgets, the login walk. Kept as the tests' import path."""
from kiosk.ui.autopilot import SCREEN, Driver, NotOnScreen, Xvfb, login, plain, start_kivy  # noqa: F401
