"""What ``make demo`` runs, out of the product's modules: nothing here is imported by the
terminal (``kiosk``), the touch app (``kiosk.ui``) or the platform, except the demo school
that the platform's ``comptoir central demo-data`` loads explicitly.

- ``school``: the demo school's data (pure: imports the shared layer at most);
- ``store``: that school in a terminal's store, with a counter service (``demo_service``);
- ``folder``: a demo data folder for the touch app (``comptoir ui --demo``);
- ``launch``: the touch app with the demo's badge panel;
- ``scenario``: the scripted lunch service ``make demo`` walks (``comptoir ui --scenario``),
  with the touch app's autopilot (``kiosk.ui.autopilot``: it imports Kivy, which stays in
  ``kiosk.ui``);
- ``escpos_decode``: the ESC/POS bytes back into text, for the receipts the demo writes.

Each is imported by its full name (``from kiosk.demo.school import generate``): this package
imports nothing itself, so that loading the demo school loads nothing of the terminal.
"""
