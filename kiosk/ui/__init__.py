"""The Kivy touch apps: canteen sale (cart and rush mode), sandwich pickup, reception
photocopies, balance check, admin; a status bar on every screen.

This package is the only place that imports Kivy, and only in the modules that need it
(``app`` and the screens); ``terminal``, ``flows``, ``texts``, ``formats`` and ``topup`` are
plain Python that tests and benchmarks can use without a screen. Every rule lives in the
counter service: the screens ask it and show what it answers.

Start it with ``comptoir ui`` (``--demo`` for the demo school and a panel of badges to tap,
``--badge-panel`` for that panel on any folder) or ``python -m kiosk.ui``. The demo's badges
come from above (``kiosk.demo.launch``); ``kiosk.ui.autopilot`` drives the running app with
real touches (tests, benchmarks, the scripted demo: ``--scenario``).
"""
