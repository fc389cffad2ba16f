"""The words for what terminals report of their health (``sync.protocol.HealthReport`` codes,
``terminal_health.WARNINGS``), as the office's pages say them (translated there with ``_``)."""
from __future__ import annotations

from sync.server.web.nav import N_

PRINTER = {"ok": N_("ready"), "offline": N_("not answering (unplugged or off)"),
           "silent": N_("silent (connected but not answering)"), "paper_out": N_("out of paper"),
           "cover_open": N_("cover open"), "error": N_("in error"), "busy": N_("printing"),
           "none": N_("none on this terminal"), "unknown": N_("not known yet")}
READER = {"ok": N_("ready"), "not_started": N_("starting"), "stopped": N_("stopped"),
          "not_found": N_("not found (unplugged?)"), "setup": N_("wrongly set up"),
          "service": N_("card reader service not answering"),
          "unplugged": N_("unplugged or not answering"), "failed": N_("stopped on an error"),
          "none": N_("none on this terminal"), "unknown": N_("not known yet")}
START = {"clean": N_("normal start"), "crash": N_("restarted after a crash or power cut"),
         "update": N_("started after an update")}
WARNINGS = {"silent": N_("silent for hours on a school day"),
            "disk_low": N_("disk nearly full"),
            "printer_failing": N_("printer failing for more than 30 minutes"),
            "no_backup": N_("no backup for more than 2 days"),
            "clock_off": N_("clock off by more than 2 minutes")}
WORDS = {"PRINTER_WORDS": PRINTER, "READER_WORDS": READER, "START_WORDS": START,
         "WARNING_WORDS": WARNINGS}
