"""Comptoir terminal: the headless core (store, journal, counter service) and, in
``kiosk.ui``, the Kivy touch apps. Nothing outside ``kiosk.ui`` imports Kivy."""
