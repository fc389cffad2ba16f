"""Names of the files a terminal keeps in its data folder, for modules that need only the
name: ``kiosk.ui.terminal`` asks every second whether the terminal is enrolled, and
importing ``sync.agent`` for it would load the HTTP client (requests: 14 MiB of RSS) into the app."""

CREDENTIALS = "sync.json"       # in the data folder, owner-only: URL and bearer token
